/**
 * Frame encoding: one msgpack map per WebSocket binary frame, plain msgpack only (no records, no extension types), so
 * that Python's msgpack, Go's vmihailenco/msgpack and every other standard library read what we write.
 */
import { C1, Packr } from 'msgpackr';

// 'auto' (numbers when safe, BigInt beyond 2^53) is a runtime option newer than msgpackr's type declarations.
const int64AsType = 'auto' as unknown as 'number';

const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
  mapsAsObjects: true,
  // Some encoders (Go's) write every int as int64: small ones must still decode as numbers, huge ones as BigInt.
  int64AsType,
  // Variable map headers cost nothing; keep map16 off for tiny maps so frames are byte-identical to other encoders'.
  variableMapSize: true,
  // undefined has no plain-msgpack form (msgpackr would write ext type 0): optional fields left undefined are omitted
  // from maps, as JSON.stringify does, and undefined anywhere else becomes nil.
  skipValues: [undefined],
  encodeUndefinedAsNil: true,
} as ConstructorParameters<typeof Packr>[0] & { skipValues: unknown[] });

/** Encodes one frame. Typed arrays must already be wrapped as tensors (their bytes as Uint8Array). */
export function encodeFrame(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes one frame; throws on bytes that are not exactly one valid msgpack value. */
export function decodeFrame(bytes: Uint8Array): unknown {
  const value = packr.unpack(bytes);
  if (containsNeverUsed(value)) throw new Error('the frame contains byte 0xc1, which msgpack never uses');
  return value;
}

/**
 * msgpackr decodes the reserved byte 0xc1 to a marker object instead of failing, while every other msgpack library
 * rejects it; finding the marker anywhere makes the frame undecodable, as the spec says it is.
 */
function containsNeverUsed(v: unknown): boolean {
  if (v === C1) return true;
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return false;
  if (Array.isArray(v)) {
    for (const x of v) if (containsNeverUsed(x)) return true;
    return false;
  }
  if (v instanceof Map) {
    for (const [k, x] of v) if (containsNeverUsed(k) || containsNeverUsed(x)) return true;
    return false;
  }
  for (const k in v) if (containsNeverUsed((v as Record<string, unknown>)[k])) return true;
  return false;
}
