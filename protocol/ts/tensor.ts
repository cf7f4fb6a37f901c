/**
 * Tensors on the wire: {dtype, shape, data} with data the little-endian bytes of the elements in row-major order.
 * Plain msgpack carries `data` as bin, so any language's msgpack library can read it without extensions.
 */
export type DType = 'f32' | 'f64' | 'i32' | 'i64' | 'u8' | 'bool';

/** A tensor as it travels: dtype, shape and the raw little-endian bytes. */
export interface WireTensor {
  dtype: DType;
  shape: number[];
  data: Uint8Array;
}

/** The JavaScript typed array that holds one dtype's elements. */
export type TypedArrayFor<D extends DType> = D extends 'f32'
  ? Float32Array
  : D extends 'f64'
    ? Float64Array
    : D extends 'i32'
      ? Int32Array
      : D extends 'i64'
        ? BigInt64Array
        : Uint8Array;

/** Any typed array a tensor may decode into. */
export type AnyTypedArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = { f32: 4, f64: 8, i32: 4, i64: 8, u8: 1, bool: 1 };

/** All dtypes, in the order the spec lists them. */
export const DTYPES: readonly DType[] = ['f32', 'f64', 'i32', 'i64', 'u8', 'bool'];

/** True when `d` names a dtype of the protocol. */
export function isDType(d: unknown): d is DType {
  return typeof d === 'string' && (DTYPES as readonly string[]).includes(d);
}

/** Number of elements of a shape (1 for a scalar's empty shape). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Why a wire tensor could not be read; the caller turns it into a protocol error. */
export class TensorFormatError extends Error {
  constructor(message: string, readonly reason: 'dtype' | 'shape' | 'data') {
    super(message);
  }
}

/** True when this value looks like a tensor map (has dtype, shape and data keys). */
export function isWireTensorLike(x: unknown): x is { dtype: unknown; shape: unknown; data: unknown } {
  return typeof x === 'object' && x !== null && 'dtype' in x && 'shape' in x && 'data' in x;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A zeroed typed array holding n elements of dtype (bool and u8 share Uint8Array). */
export function allocateTyped(dtype: DType, n: number): AnyTypedArray {
  switch (dtype) {
    case 'f32': return new Float32Array(n);
    case 'f64': return new Float64Array(n);
    case 'i32': return new Int32Array(n);
    case 'i64': return new BigInt64Array(n);
    default: return new Uint8Array(n);
  }
}

/**
 * Builds a wire tensor from numbers (or a typed array of the same dtype, which is used without conversion).
 * Values are converted as the dtype's typed array converts them; bool stores 1 for any non-zero value.
 */
export function encodeTensor(dtype: DType, shape: readonly number[], values: ArrayLike<number> | AnyTypedArray): WireTensor {
  const n = numel(shape);
  if (values.length !== n) throw new TensorFormatError(`tensor of shape [${shape.join(', ')}] needs ${n} values, got ${values.length}`, 'shape');
  let arr: AnyTypedArray;
  if (sameKind(dtype, values)) {
    arr = values as AnyTypedArray;
  } else {
    arr = allocateTyped(dtype, n);
    if (arr instanceof BigInt64Array) {
      for (let i = 0; i < n; i++) arr[i] = BigInt(Math.trunc(Number(values[i])));
    } else if (dtype === 'bool') {
      for (let i = 0; i < n; i++) arr[i] = values[i] ? 1 : 0;
    } else {
      (arr as Float64Array).set(values as ArrayLike<number>);
    }
  }
  if (!LITTLE_ENDIAN) throw new Error('big-endian hosts are not supported');
  return { dtype, shape: [...shape], data: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength) };
}

function sameKind(dtype: DType, values: ArrayLike<number> | AnyTypedArray): boolean {
  switch (dtype) {
    case 'f32': return values instanceof Float32Array;
    case 'f64': return values instanceof Float64Array;
    case 'i32': return values instanceof Int32Array;
    case 'i64': return values instanceof BigInt64Array;
    case 'u8': return values instanceof Uint8Array;
    case 'bool': return false; // normalise to 0/1
  }
}

/** A validated, decoded tensor: its elements in the typed array of its dtype. */
export interface DecodedTensor<D extends DType = DType> {
  dtype: D;
  shape: number[];
  values: TypedArrayFor<D>;
}

/**
 * Checks a tensor map and views (or, when misaligned, copies) its bytes as a typed array.
 * Throws TensorFormatError naming what is wrong.
 */
export function decodeTensor(t: unknown): DecodedTensor {
  if (!isWireTensorLike(t)) throw new TensorFormatError('a tensor must be a map with dtype, shape and data', 'data');
  const { dtype, shape, data } = t;
  if (!isDType(dtype)) throw new TensorFormatError(`unknown dtype ${JSON.stringify(dtype)}; use one of ${DTYPES.join(', ')}`, 'dtype');
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TensorFormatError('shape must be an array of non-negative integers', 'shape');
  }
  if (!(data instanceof Uint8Array)) throw new TensorFormatError('data must be msgpack bin (bytes)', 'data');
  const n = numel(shape as number[]);
  const size = DTYPE_SIZE[dtype];
  if (data.byteLength !== n * size) {
    throw new TensorFormatError(`data has ${data.byteLength} bytes; shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${n * size}`, 'data');
  }
  let bytes = data;
  // new Uint8Array(x) copies; Buffer#slice would not, and the view would stay misaligned.
  if (bytes.byteOffset % size !== 0) bytes = new Uint8Array(bytes);
  let values: AnyTypedArray;
  switch (dtype) {
    case 'f32': values = new Float32Array(bytes.buffer, bytes.byteOffset, n); break;
    case 'f64': values = new Float64Array(bytes.buffer, bytes.byteOffset, n); break;
    case 'i32': values = new Int32Array(bytes.buffer, bytes.byteOffset, n); break;
    case 'i64': values = new BigInt64Array(bytes.buffer, bytes.byteOffset, n); break;
    default: values = new Uint8Array(bytes.buffer, bytes.byteOffset, n); break;
  }
  return { dtype, shape: [...(shape as number[])], values } as DecodedTensor;
}

/** A decoded tensor's elements as float64 numbers (i64 beyond 2^53 loses precision, which no space here needs). */
export function tensorNumbers(t: DecodedTensor): Float64Array {
  const out = new Float64Array(t.values.length);
  if (t.values instanceof BigInt64Array) {
    for (let i = 0; i < out.length; i++) out[i] = Number(t.values[i]);
  } else {
    out.set(t.values as ArrayLike<number>);
  }
  return out;
}
