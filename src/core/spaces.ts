/**
 * Gymnasium-style spaces. Box, Discrete, MultiDiscrete and MultiBinary are "flat": their values are fixed-size numeric
 * arrays, which is what sessions batch and step. Dict and Tuple compose them; they serialise and validate too, so a
 * client can describe any structure, but sessions step flat spaces only.
 */
import type { DType } from '../../protocol/ts/tensor.js';
import { decodeTensor, encodeTensor, numel, tensorNumbers } from '../../protocol/ts/tensor.js';
import type { SpaceSpec } from '../../protocol/ts/spaces.js';
import type { Rng } from './rng.js';

/** A value of any space: flat values are number arrays, Dict values objects, Tuple values arrays. */
export type SpaceValue = number | ArrayLike<number> | { [key: string]: SpaceValue } | SpaceValue[];

/** What every space offers. */
export interface Space {
  /** The wire description. */
  spec(): SpaceSpec;
  /** Gymnasium's contains: the value has the right structure, shape and dtype range and lies in the bounds. */
  contains(value: unknown): boolean;
  /** A uniform (or, for unbounded Box dimensions, normal/exponential) sample, as Gymnasium samples. */
  sample(rng: Rng): SpaceValue;
}

/** A space whose values are `size` numbers: the ones sessions step. */
export abstract class FlatSpace implements Space {
  abstract readonly dtype: DType;
  abstract readonly shape: readonly number[];
  /** Element-wise inclusive bounds (may be infinite for Box). */
  abstract readonly low: Float64Array;
  abstract readonly high: Float64Array;
  /** True when values must be integers. */
  abstract readonly integral: boolean;

  /** Number of elements of one value. */
  get size(): number {
    return numel(this.shape);
  }

  abstract spec(): SpaceSpec;
  /** The space of `n` stacked values (Gymnasium's batch_space). */
  abstract batched(n: number): FlatSpace;

  /** Index of the first element of values[offset .. offset+size) outside the space, or -1 when all are inside. */
  firstViolation(values: ArrayLike<number>, offset = 0): number {
    const { low, high, integral } = this;
    for (let i = 0; i < low.length; i++) {
      const x = values[offset + i];
      // NaN fails both comparisons, so it is caught by the negated form.
      if (!(x >= low[i] && x <= high[i])) return i;
      if (integral && !Number.isInteger(x)) return i;
    }
    return -1;
  }

  contains(value: unknown): boolean {
    const flat = flatten(value);
    return flat !== null && flat.length === this.size && this.firstViolation(flat) === -1;
  }

  /** Writes one sample into out[offset .. offset+size). */
  abstract sampleInto(rng: Rng, out: Float64Array, offset: number): void;

  sample(rng: Rng): Float64Array {
    const out = new Float64Array(this.size);
    this.sampleInto(rng, out, 0);
    return out;
  }
}

function flatten(value: unknown): ArrayLike<number> | null {
  if (typeof value === 'number') return [value];
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    if (value instanceof BigInt64Array) return Array.from(value, Number);
    return value as unknown as ArrayLike<number>;
  }
  if (Array.isArray(value)) {
    const out: number[] = [];
    const walk = (v: unknown): boolean => {
      if (typeof v === 'number') { out.push(v); return true; }
      if (Array.isArray(v)) return v.every(walk);
      return false;
    };
    return walk(value) ? out : null;
  }
  return null;
}

/** Gymnasium's Box: real (or integer) vectors within element-wise bounds. */
export class Box extends FlatSpace {
  readonly integral: boolean;
  readonly low: Float64Array;
  readonly high: Float64Array;

  constructor(
    low: number | ArrayLike<number>,
    high: number | ArrayLike<number>,
    readonly shape: readonly number[],
    readonly dtype: 'f32' | 'f64' | 'i32' | 'i64' | 'u8' = 'f32',
  ) {
    super();
    const n = numel(shape);
    this.low = castBounds(expand(low, n), dtype);
    this.high = castBounds(expand(high, n), dtype);
    this.integral = dtype !== 'f32' && dtype !== 'f64';
    for (let i = 0; i < n; i++) {
      if (!(this.low[i] <= this.high[i])) throw new RangeError(`Box bound ${i}: low ${this.low[i]} > high ${this.high[i]}`);
    }
  }

  spec(): SpaceSpec {
    return {
      type: 'box',
      dtype: this.dtype,
      shape: [...this.shape],
      low: encodeTensor(this.dtype, this.shape, this.low),
      high: encodeTensor(this.dtype, this.shape, this.high),
    };
  }

  batched(n: number): Box {
    const low = new Float64Array(n * this.size);
    const high = new Float64Array(n * this.size);
    for (let i = 0; i < n; i++) { low.set(this.low, i * this.size); high.set(this.high, i * this.size); }
    return new Box(low, high, [n, ...this.shape], this.dtype);
  }

  /** Gymnasium's rule: uniform on bounded dims, shifted exponential on half-bounded ones, normal on unbounded ones. */
  sampleInto(rng: Rng, out: Float64Array, offset: number): void {
    for (let i = 0; i < this.low.length; i++) {
      const lo = this.low[i];
      const hi = this.high[i];
      const loFinite = Number.isFinite(lo);
      const hiFinite = Number.isFinite(hi);
      let x: number;
      if (loFinite && hiFinite) x = this.integral ? rng.integer(lo, hi) : rng.uniform(lo, hi);
      else if (loFinite) x = lo - Math.log(1 - rng.random());
      else if (hiFinite) x = hi + Math.log(1 - rng.random());
      else x = rng.normal();
      if (this.dtype === 'f32') x = Math.min(Math.max(Math.fround(x), lo), hi);
      else if (this.integral && !(loFinite && hiFinite)) x = Math.floor(x);
      out[offset + i] = x;
    }
  }
}

function expand(b: number | ArrayLike<number>, n: number): Float64Array {
  if (typeof b === 'number') return new Float64Array(n).fill(b);
  if (b.length !== n) throw new RangeError(`bounds have ${b.length} elements; the shape needs ${n}`);
  return Float64Array.from(b);
}

function castBounds(b: Float64Array, dtype: DType): Float64Array {
  if (dtype === 'f32') for (let i = 0; i < b.length; i++) b[i] = Math.fround(b[i]);
  return b;
}

/** Gymnasium's Discrete: one integer in start .. start + n - 1. */
export class Discrete extends FlatSpace {
  readonly dtype = 'i64' as const;
  readonly shape: readonly number[] = [];
  readonly integral = true;
  readonly low: Float64Array;
  readonly high: Float64Array;

  constructor(readonly n: number, readonly start = 0) {
    super();
    if (!Number.isInteger(n) || n < 1) throw new RangeError('Discrete needs n >= 1');
    this.low = Float64Array.of(start);
    this.high = Float64Array.of(start + n - 1);
  }

  spec(): SpaceSpec {
    return { type: 'discrete', dtype: 'i64', n: this.n, start: this.start };
  }

  batched(n: number): MultiDiscrete {
    return new MultiDiscrete(new Array(n).fill(this.n), [n], new Array(n).fill(this.start));
  }

  sampleInto(rng: Rng, out: Float64Array, offset: number): void {
    out[offset] = rng.integer(this.start, this.start + this.n - 1);
  }
}

/** Gymnasium's MultiDiscrete: element i in start[i] .. start[i] + nvec[i] - 1. */
export class MultiDiscrete extends FlatSpace {
  readonly dtype = 'i64' as const;
  readonly integral = true;
  readonly low: Float64Array;
  readonly high: Float64Array;
  readonly nvec: Float64Array;
  readonly shape: readonly number[];

  constructor(nvec: ArrayLike<number>, shape?: readonly number[], start?: ArrayLike<number>) {
    super();
    this.nvec = Float64Array.from(nvec);
    this.shape = shape ? [...shape] : [this.nvec.length];
    if (numel(this.shape) !== this.nvec.length) throw new RangeError('MultiDiscrete shape does not match nvec');
    this.low = start ? Float64Array.from(start) : new Float64Array(this.nvec.length);
    this.high = this.low.map((s, i) => s + this.nvec[i] - 1);
    if (!this.nvec.every((k) => Number.isInteger(k) && k >= 1)) throw new RangeError('MultiDiscrete needs every nvec >= 1');
  }

  spec(): SpaceSpec {
    return {
      type: 'multi_discrete',
      dtype: 'i64',
      shape: [...this.shape],
      nvec: encodeTensor('i64', this.shape, this.nvec),
      start: encodeTensor('i64', this.shape, this.low),
    };
  }

  batched(n: number): MultiDiscrete {
    const nvec = new Float64Array(n * this.size);
    const start = new Float64Array(n * this.size);
    for (let i = 0; i < n; i++) { nvec.set(this.nvec, i * this.size); start.set(this.low, i * this.size); }
    return new MultiDiscrete(nvec, [n, ...this.shape], start);
  }

  sampleInto(rng: Rng, out: Float64Array, offset: number): void {
    for (let i = 0; i < this.nvec.length; i++) out[offset + i] = rng.integer(this.low[i], this.high[i]);
  }
}

/** Gymnasium's MultiBinary: 0/1 elements of a shape. */
export class MultiBinary extends FlatSpace {
  readonly dtype = 'u8' as const;
  readonly integral = true;
  readonly low: Float64Array;
  readonly high: Float64Array;
  readonly shape: readonly number[];

  constructor(shape: number | readonly number[]) {
    super();
    this.shape = typeof shape === 'number' ? [shape] : [...shape];
    this.low = new Float64Array(numel(this.shape));
    this.high = new Float64Array(numel(this.shape)).fill(1);
  }

  spec(): SpaceSpec {
    return { type: 'multi_binary', dtype: 'u8', shape: [...this.shape] };
  }

  batched(n: number): MultiBinary {
    return new MultiBinary([n, ...this.shape]);
  }

  sampleInto(rng: Rng, out: Float64Array, offset: number): void {
    for (let i = 0; i < this.low.length; i++) out[offset + i] = rng.integer(0, 1);
  }
}

/** Gymnasium's Dict: an ordered map of named sub-spaces. */
export class DictSpace implements Space {
  readonly keys: readonly string[];

  constructor(readonly spaces: ReadonlyArray<readonly [string, Space]>) {
    this.keys = spaces.map(([k]) => k);
    if (new Set(this.keys).size !== this.keys.length) throw new RangeError('Dict keys must be unique');
  }

  spec(): SpaceSpec {
    return { type: 'dict', keys: [...this.keys], spaces: this.spaces.map(([, s]) => s.spec()) };
  }

  contains(value: unknown): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const obj = value as Record<string, unknown>;
    if (Object.keys(obj).length !== this.keys.length) return false;
    return this.spaces.every(([k, s]) => k in obj && s.contains(obj[k]));
  }

  sample(rng: Rng): { [key: string]: SpaceValue } {
    const out: { [key: string]: SpaceValue } = {};
    for (const [k, s] of this.spaces) out[k] = s.sample(rng);
    return out;
  }
}

/** Gymnasium's Tuple: a fixed sequence of sub-spaces. */
export class TupleSpace implements Space {
  constructor(readonly spaces: readonly Space[]) {}

  spec(): SpaceSpec {
    return { type: 'tuple', spaces: this.spaces.map((s) => s.spec()) };
  }

  contains(value: unknown): boolean {
    return Array.isArray(value) && value.length === this.spaces.length && this.spaces.every((s, i) => s.contains(value[i]));
  }

  sample(rng: Rng): SpaceValue[] {
    return this.spaces.map((s) => s.sample(rng));
  }
}

/** Rebuilds a space from its wire description (what a client receives). */
export function spaceFromSpec(spec: SpaceSpec): Space {
  switch (spec.type) {
    case 'box':
      return new Box(tensorNumbers(decodeTensor(spec.low)), tensorNumbers(decodeTensor(spec.high)), spec.shape, spec.dtype);
    case 'discrete':
      return new Discrete(spec.n, spec.start);
    case 'multi_discrete':
      return new MultiDiscrete(tensorNumbers(decodeTensor(spec.nvec)), spec.shape, tensorNumbers(decodeTensor(spec.start)));
    case 'multi_binary':
      return new MultiBinary(spec.shape);
    case 'dict':
      return new DictSpace(spec.keys.map((k, i) => [k, spaceFromSpec(spec.spaces[i])] as const));
    case 'tuple':
      return new TupleSpace(spec.spaces.map(spaceFromSpec));
  }
}
