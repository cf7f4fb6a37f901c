/**
 * Frame encoding: one msgpack map per WebSocket binary frame, plain msgpack only (no records, no extension types), so
 * that Python's msgpack, Go's vmihailenco/msgpack and every other standard library read what we write.
 */
import { Packr } from 'msgpackr';

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

/** Decodes one frame; throws on bytes that are not exactly one msgpack value. */
export function decodeFrame(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
