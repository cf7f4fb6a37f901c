/**
 * Turns what a client sent for a batch of space values (a tensor, a plain number, or nested arrays of numbers) into
 * numEnvs x size float64 numbers, checking dtype and shape against the space. Bounds are the session's job.
 */
import { TensorFormatError, decodeTensor, isWireTensorLike, numel, tensorNumbers, type DType } from '../../protocol/ts/tensor.js';
import { TwinGymError } from './errors.js';
import type { FlatSpace } from './spaces.js';

const INTEGER_DTYPES: readonly DType[] = ['i32', 'i64', 'u8', 'bool'];
const FLOAT_DTYPES: readonly DType[] = ['f32', 'f64'];

/** dtypes a space accepts without loss: integer dtypes for integer spaces, float dtypes for real Boxes. */
export function acceptedDTypes(space: FlatSpace): readonly DType[] {
  return space.integral ? INTEGER_DTYPES : FLOAT_DTYPES;
}

/** Shape and numbers of a nested array of numbers, or null when it is ragged or holds non-numbers. */
function nestedToFlat(x: unknown): { shape: number[]; values: number[] } | null {
  if (typeof x === 'number') return { shape: [], values: [x] };
  if (!Array.isArray(x)) return null;
  if (x.length === 0) return { shape: [0], values: [] };
  const parts = x.map(nestedToFlat);
  if (parts.some((p) => p === null)) return null;
  const first = parts[0]!.shape;
  if (!parts.every((p) => p!.shape.length === first.length && p!.shape.every((d, i) => d === first[i]))) return null;
  return { shape: [x.length, ...first], values: parts.flatMap((p) => p!.values) };
}

/** Turns a wire TensorFormatError into the protocol error a client should see. */
export function tensorError(e: TensorFormatError, path: string): TwinGymError {
  return new TwinGymError('bad_tensor', `${path}: ${e.message}`, { path });
}

/**
 * Reads a batch for `space`: for vector sessions shape [n, ...space.shape] (or space.shape, broadcast to every env);
 * otherwise exactly space.shape. `path` names the field in error messages.
 */
export function readBatch(space: FlatSpace, input: unknown, n: number, vectorized: boolean, path: string): Float64Array {
  // The commonest request of all, a single env stepped with a plain number, skips the general shape machinery.
  if (typeof input === 'number' && n === 1 && space.shape.length === 0) return Float64Array.of(input);
  let shape: number[];
  let values: Float64Array;
  if (isWireTensorLike(input)) {
    let t;
    try {
      t = decodeTensor(input);
    } catch (e) {
      if (e instanceof TensorFormatError) throw tensorError(e, path);
      throw e;
    }
    const ok = acceptedDTypes(space);
    if (!ok.includes(t.dtype)) {
      throw new TwinGymError('bad_dtype', `${path} has dtype ${t.dtype}; this space takes ${ok.join(' or ')} (${space.integral ? 'integers' : 'real numbers'})`, { path, got: t.dtype, expected: [...ok] });
    }
    shape = t.shape;
    values = tensorNumbers(t);
  } else {
    const flat = nestedToFlat(input);
    if (!flat) throw new TwinGymError('invalid_argument', `${path} must be a tensor, a number, or a rectangular array of numbers`, { path });
    shape = flat.shape;
    values = Float64Array.from(flat.values);
  }
  const single = [...space.shape];
  const batched = [n, ...single];
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  if (vectorized && same(shape, batched)) return values;
  if (same(shape, single) || (!vectorized && n === 1 && same(shape, batched))) {
    if (n === 1) return values;
    const out = new Float64Array(n * values.length);
    for (let i = 0; i < n; i++) out.set(values, i * values.length);
    return out;
  }
  throw new TwinGymError(
    'bad_shape',
    `${path} has shape [${shape.join(', ')}]; expected [${(vectorized ? batched : single).join(', ')}]${vectorized ? ` (or [${single.join(', ')}] for the same value in every env)` : ''}`,
    { path, got: shape, expected: vectorized ? batched : single, elements: numel(shape) },
  );
}
