/**
 * The JSON face of wire values (DECISIONS.md 12): a tensor is {dtype, shape, data: [flat numbers]} with non-finite
 * numbers as the strings "NaN", "Infinity" and "-Infinity"; other bytes (snapshots) are base64 strings. Replies are
 * mapped wire -> JSON, request bodies JSON -> wire, so the op handlers see exactly what the msgpack path gives them.
 */
import { DTYPES, TensorFormatError, decodeTensor, encodeTensor, isDType, isWireTensorLike, type DType } from '../../protocol/ts/tensor.js';
import { tensorError } from '../../src/core/batch-input.js';
import { TwinGymError } from '../../src/core/errors.js';

/** A JSON number, or one of the strings standing for a non-finite number. */
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/** A number as JSON can carry it. */
export function jsonNumber(x: number): JsonNumber {
  if (Number.isFinite(x)) return x;
  if (Number.isNaN(x)) return 'NaN';
  return x > 0 ? 'Infinity' : '-Infinity';
}

function fromJsonNumber(x: unknown): number | undefined {
  if (typeof x === 'number') return x;
  if (x === 'NaN') return Number.NaN;
  if (x === 'Infinity') return Number.POSITIVE_INFINITY;
  if (x === '-Infinity') return Number.NEGATIVE_INFINITY;
  return undefined;
}

/** A wire value (tensors with bin data, bytes, plain values) as JSON. */
export function toJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (typeof value === 'number') return jsonNumber(value);
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object' && value !== null) {
    if (isWireTensorLike(value) && value.data instanceof Uint8Array) {
      const t = decodeTensor(value);
      const data: JsonNumber[] = new Array(t.values.length);
      for (let i = 0; i < data.length; i++) data[i] = jsonNumber(Number(t.values[i]));
      return { dtype: t.dtype, shape: t.shape, data };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJson(v);
    return out;
  }
  return value;
}

const INTEGER_RANGES: Partial<Record<DType, readonly [number, number]>> = {
  i32: [-(2 ** 31), 2 ** 31 - 1],
  i64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  u8: [0, 255],
  bool: [0, 1],
};

/** A JSON tensor as a wire tensor; malformed ones are bad_tensor errors naming the field. */
function jsonTensorToWire(t: { dtype: unknown; shape: unknown; data: unknown[] }, path: string) {
  if (!isDType(t.dtype)) throw new TwinGymError('bad_tensor', `${path}: unknown dtype ${JSON.stringify(t.dtype)}; use one of ${DTYPES.join(', ')}`, { path });
  const dtype: DType = t.dtype;
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TwinGymError('bad_tensor', `${path}: shape must be an array of non-negative integers`, { path });
  }
  const values = new Float64Array(t.data.length);
  const range = INTEGER_RANGES[dtype];
  for (let i = 0; i < t.data.length; i++) {
    const raw = t.data[i];
    const x = dtype === 'bool' && typeof raw === 'boolean' ? Number(raw) : fromJsonNumber(raw);
    if (x === undefined) throw new TwinGymError('bad_tensor', `${path}: data[${i}] is not a number (non-finite numbers are written "NaN", "Infinity", "-Infinity")`, { path, index: i });
    // Integer typed arrays would wrap or truncate silently (and BigInt(NaN) throws): refuse what the dtype cannot hold.
    if (range && !(Number.isInteger(x) && x >= range[0] && x <= range[1])) {
      throw new TwinGymError('bad_tensor', `${path}: data[${i}] = ${String(raw)} is not a ${dtype} value (integers in [${range[0]}, ${range[1]}])`, { path, index: i });
    }
    values[i] = x;
  }
  try {
    return encodeTensor(dtype, t.shape as number[], values);
  } catch (e) {
    if (e instanceof TensorFormatError) throw tensorError(e, path);
    throw e;
  }
}

/**
 * A JSON request body as wire values: JSON tensors become tensors with bin data, and the strings "NaN", "Infinity" and
 * "-Infinity" become numbers, except under the top-level `textFields`, whose strings are meant as text (env ids,
 * modes, env option values, base64 snapshots).
 */
export function fromJson(value: unknown, textFields: ReadonlySet<string> = new Set(), path = ''): unknown {
  if (typeof value === 'string') {
    const x = fromJsonNumber(value);
    return x === undefined ? value : x;
  }
  if (Array.isArray(value)) return value.map((v, i) => fromJson(v, textFields, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    if (isWireTensorLike(value) && Array.isArray(value.data)) return jsonTensorToWire(value as { dtype: unknown; shape: unknown; data: unknown[] }, path);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = path === '' && textFields.has(k) ? v : fromJson(v, textFields, path === '' ? k : `${path}.${k}`);
    }
    return out;
  }
  return value;
}

/** Base64 text as bytes (snapshots sent to set_state). */
export function bytesFromBase64(text: string, path: string): Uint8Array {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) throw new TwinGymError('invalid_argument', `${path} must be base64 text (what get_state returned)`, { path });
  return Buffer.from(text, 'base64');
}
