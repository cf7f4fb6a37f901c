/**
 * Client-side spaces built from the SpaceSpec a server sends: enough to shape actions, check values and draw seeded
 * samples without a round trip (Gymnasium's Box, Discrete, MultiDiscrete, MultiBinary, Dict, Tuple).
 */
import type { SpaceSpec } from '../../protocol/ts/spaces.js';
import { allocateTyped, decodeTensor, numel, tensorNumbers, type DType } from '../../protocol/ts/tensor.js';
import { SeededRandom } from './random.js';

/** A sample or value of a flat space: its elements in the typed array of the space dtype. */
export type FlatValue = Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array;

/** A value of a composite space: Dict values are objects keyed like the space, Tuple values arrays. */
export type SpaceSample = number | FlatValue | { [key: string]: SpaceSample } | SpaceSample[];

/** What every client space offers. */
export abstract class Space {
  /** The wire description this space was built from. */
  readonly spec: SpaceSpec;
  private rng: SeededRandom;

  /** Wraps a spec; subclasses read their fields from it. */
  protected constructor(spec: SpaceSpec) {
    this.spec = spec;
    this.rng = new SeededRandom();
  }

  /** Re-seeds the sampling stream (Gymnasium's space.seed): the same seed gives the same samples. */
  seed(seed: number): void {
    this.rng = new SeededRandom(seed);
    this.reseedChildren(seed);
  }

  /** A random value of the space, from the space's own seeded stream. */
  sample(): SpaceSample {
    return this.sampleWith(this.rng);
  }

  /** True when `value` has this space's structure and shape and lies within its bounds. */
  abstract contains(value: unknown): boolean;

  /** Draws a sample from a given stream (composite spaces pass their stream down). */
  abstract sampleWith(rng: SeededRandom): SpaceSample;

  /** Composite spaces seed their parts too, so Dict/Tuple children are reproducible when sampled on their own. */
  protected reseedChildren(_seed: number): void {}
}

/** Elements of an array-like or nested array, flattened, or null when the value is not numeric. */
function flatten(value: unknown): number[] | null {
  if (typeof value === 'number') return [value];
  if (typeof value === 'bigint') return [Number(value)];
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const a = value as unknown as ArrayLike<number | bigint>;
    const out: number[] = [];
    for (let i = 0; i < a.length; i++) out.push(Number(a[i]));
    return out;
  }
  if (Array.isArray(value)) {
    const out: number[] = [];
    for (const v of value) {
      const f = flatten(v);
      if (f === null) return null;
      out.push(...f);
    }
    return out;
  }
  return null;
}


function store(out: FlatValue, i: number, x: number): void {
  if (out instanceof BigInt64Array) out[i] = BigInt(x);
  else out[i] = x;
}

/** A space whose values are a fixed number of numeric elements. */
export abstract class FlatSpace extends Space {
  /** Element dtype of values (and of samples). */
  abstract readonly dtype: DType;
  /** Shape of one value. */
  abstract readonly shape: readonly number[];
  /** Inclusive element-wise lower bounds (may be -Infinity for Box). */
  abstract readonly low: Float64Array;
  /** Inclusive element-wise upper bounds (may be Infinity for Box). */
  abstract readonly high: Float64Array;
  /** True when values are integers (every space but a float Box). */
  abstract readonly integral: boolean;

  /** Number of elements of one value. */
  get size(): number {
    return numel(this.shape);
  }

  /** True for a flat value of `size` elements, each within bounds (and an integer for integral spaces). */
  contains(value: unknown): boolean {
    const flat = flatten(value);
    if (flat === null || flat.length !== this.size) return false;
    for (let i = 0; i < flat.length; i++) {
      const x = flat[i];
      if (!(x >= this.low[i] && x <= this.high[i])) return false;
      if (this.integral && !Number.isInteger(x)) return false;
    }
    return true;
  }
}

/** Gymnasium's Box: low <= x <= high element-wise. */
export class BoxSpace extends FlatSpace {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly low: Float64Array;
  readonly high: Float64Array;
  readonly integral: boolean;

  /** Built from a box spec; bounds are read from their tensors exactly (f32 values are exact in float64). */
  constructor(spec: Extract<SpaceSpec, { type: 'box' }>) {
    super(spec);
    this.dtype = spec.dtype;
    this.shape = [...spec.shape];
    this.low = tensorNumbers(decodeTensor(spec.low));
    this.high = tensorNumbers(decodeTensor(spec.high));
    this.integral = spec.dtype !== 'f32' && spec.dtype !== 'f64';
    if (this.low.length !== this.size || this.high.length !== this.size) {
      throw new RangeError(`box bounds have ${this.low.length}/${this.high.length} elements for shape [${this.shape.join(', ')}]`);
    }
  }

  /** True when every dimension has finite bounds on both sides. */
  get bounded(): boolean {
    for (let i = 0; i < this.size; i++) if (!Number.isFinite(this.low[i]) || !Number.isFinite(this.high[i])) return false;
    return true;
  }

  /** Gymnasium's rule: uniform on bounded dims, shifted exponential on half-bounded ones, normal on unbounded ones. */
  sampleWith(rng: SeededRandom): FlatValue {
    const out = allocateTyped(this.dtype, this.size);
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i];
      const hi = this.high[i];
      let x: number;
      if (this.integral) {
        // Integer boxes sample the integers lo..hi uniformly; infinite integer bounds do not occur in practice.
        const a = Number.isFinite(lo) ? Math.ceil(lo) : -(2 ** 31);
        const b = Number.isFinite(hi) ? Math.floor(hi) : 2 ** 31 - 1;
        x = a + rng.below(b - a + 1);
      } else if (Number.isFinite(lo) && Number.isFinite(hi)) {
        x = lo + (hi - lo) * rng.random();
      } else if (Number.isFinite(lo)) {
        x = lo + rng.exponential();
      } else if (Number.isFinite(hi)) {
        x = hi - rng.exponential();
      } else {
        x = rng.normal();
      }
      store(out, i, x);
    }
    return out;
  }
}

/** Gymnasium's Discrete: the integers start .. start + n - 1. Values and samples are plain numbers. */
export class DiscreteSpace extends Space {
  readonly dtype: DType = 'i64';
  readonly shape: readonly number[] = [];
  readonly n: number;
  readonly start: number;

  /** Built from a discrete spec. */
  constructor(spec: Extract<SpaceSpec, { type: 'discrete' }>) {
    super(spec);
    this.n = spec.n;
    this.start = spec.start;
  }

  /** True for an integer (number, bigint, or one-element array) in start .. start + n - 1. */
  contains(value: unknown): boolean {
    const flat = flatten(value);
    if (flat === null || flat.length !== 1) return false;
    const x = flat[0];
    return Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }

  /** A uniform integer of the space. */
  sampleWith(rng: SeededRandom): number {
    return this.start + rng.below(this.n);
  }
}

/** Gymnasium's MultiDiscrete: element i in start[i] .. start[i] + nvec[i] - 1. */
export class MultiDiscreteSpace extends FlatSpace {
  readonly dtype: DType = 'i64';
  readonly shape: readonly number[];
  readonly low: Float64Array;
  readonly high: Float64Array;
  readonly integral = true;
  /** Number of choices per element. */
  readonly nvec: Float64Array;

  /** Built from a multi_discrete spec. */
  constructor(spec: Extract<SpaceSpec, { type: 'multi_discrete' }>) {
    super(spec);
    this.shape = [...spec.shape];
    this.nvec = tensorNumbers(decodeTensor(spec.nvec));
    this.low = tensorNumbers(decodeTensor(spec.start));
    this.high = this.low.map((s, i) => s + this.nvec[i] - 1);
  }

  /** Uniform per element; returned as BigInt64Array because the space dtype is i64. */
  sampleWith(rng: SeededRandom): FlatValue {
    const out = new BigInt64Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = BigInt(this.low[i] + rng.below(this.nvec[i]));
    return out;
  }
}

/** Gymnasium's MultiBinary: 0/1 elements. */
export class MultiBinarySpace extends FlatSpace {
  readonly dtype: DType = 'u8';
  readonly shape: readonly number[];
  readonly low: Float64Array;
  readonly high: Float64Array;
  readonly integral = true;

  /** Built from a multi_binary spec. */
  constructor(spec: Extract<SpaceSpec, { type: 'multi_binary' }>) {
    super(spec);
    this.shape = [...spec.shape];
    this.low = new Float64Array(this.size);
    this.high = new Float64Array(this.size).fill(1);
  }

  /** Independent fair bits. */
  sampleWith(rng: SeededRandom): FlatValue {
    const out = new Uint8Array(this.size);
    for (let i = 0; i < this.size; i++) out[i] = rng.next32() >>> 31;
    return out;
  }
}

/** Gymnasium's Dict: named sub-spaces in a fixed key order. */
export class DictSpace extends Space {
  readonly spaces: ReadonlyMap<string, Space>;

  /** Built from a dict spec, recursively. */
  constructor(spec: Extract<SpaceSpec, { type: 'dict' }>) {
    super(spec);
    this.spaces = new Map(spec.keys.map((k, i) => [k, spaceFromSpec(spec.spaces[i])]));
  }

  /** True for an object with exactly the space's keys, each value in its sub-space. */
  contains(value: unknown): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) return false;
    const keys = Object.keys(value);
    if (keys.length !== this.spaces.size) return false;
    for (const [k, s] of this.spaces) {
      if (!Object.prototype.hasOwnProperty.call(value, k) || !s.contains((value as Record<string, unknown>)[k])) return false;
    }
    return true;
  }

  /** One sample per key. */
  sampleWith(rng: SeededRandom): { [key: string]: SpaceSample } {
    const out: { [key: string]: SpaceSample } = {};
    for (const [k, s] of this.spaces) out[k] = s.sampleWith(rng);
    return out;
  }

  protected override reseedChildren(seed: number): void {
    let i = 1;
    for (const s of this.spaces.values()) s.seed((seed + i++) % Number.MAX_SAFE_INTEGER);
  }
}

/** Gymnasium's Tuple: positional sub-spaces. */
export class TupleSpace extends Space {
  readonly spaces: readonly Space[];

  /** Built from a tuple spec, recursively. */
  constructor(spec: Extract<SpaceSpec, { type: 'tuple' }>) {
    super(spec);
    this.spaces = spec.spaces.map(spaceFromSpec);
  }

  /** True for an array of the right length whose items lie in their sub-spaces. */
  contains(value: unknown): boolean {
    return Array.isArray(value) && value.length === this.spaces.length && this.spaces.every((s, i) => s.contains(value[i]));
  }

  /** One sample per position. */
  sampleWith(rng: SeededRandom): SpaceSample[] {
    return this.spaces.map((s) => s.sampleWith(rng));
  }

  protected override reseedChildren(seed: number): void {
    this.spaces.forEach((s, i) => s.seed((seed + i + 1) % Number.MAX_SAFE_INTEGER));
  }
}

/** Builds the client space of a spec. */
export function spaceFromSpec(spec: SpaceSpec): Space {
  switch (spec.type) {
    case 'box': return new BoxSpace(spec);
    case 'discrete': return new DiscreteSpace(spec);
    case 'multi_discrete': return new MultiDiscreteSpace(spec);
    case 'multi_binary': return new MultiBinarySpace(spec);
    case 'dict': return new DictSpace(spec);
    case 'tuple': return new TupleSpace(spec);
  }
}
