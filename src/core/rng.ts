/**
 * Seeded random numbers. Each environment instance owns one generator (xoroshiro128+ from pure-rand) so that Gymnasium's
 * rules hold: reset(seed) re-seeds, reset() keeps the stream, vector env i gets seed + i. The state is four int32
 * words, which snapshots store to replay exactly.
 */
import prand from 'pure-rand';
import { randomBytes } from 'node:crypto';

type Generator = ReturnType<typeof prand.xoroshiro128plus>;

/** A mutable, seedable, snapshotable random number generator. */
export class Rng {
  private gen: Generator;

  private constructor(gen: Generator) {
    this.gen = gen;
  }

  /**
   * A generator for an integer seed in [0, 2^53). A raw xoroshiro state built from a small seed starts with correlated
   * outputs (seeds 42 and 43 would give nearly the same first draws), so the state words come from Mersenne Twister
   * streams seeded by the low and high 32 bits: nearby seeds give unrelated streams, and distinct seeds distinct ones.
   */
  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer in [0, 2^53), got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    const a = prand.mersenne(lo);
    const b = prand.mersenne(hi ^ 0x6a09e667);
    const words = [a.unsafeNext(), a.unsafeNext(), a.unsafeNext() ^ b.unsafeNext(), b.unsafeNext()];
    if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1;
    return new Rng(prand.xoroshiro128plus.fromState(words));
  }

  /** A generator restored from `state()`. */
  static fromState(state: readonly number[]): Rng {
    if (state.length !== 4 || !state.every((w) => Number.isInteger(w))) throw new RangeError('an Rng state is four int32 words');
    return new Rng(prand.xoroshiro128plus.fromState(state));
  }

  /** A fresh seed from the operating system's entropy, as Gymnasium does for seed=None. */
  static entropySeed(): number {
    return randomBytes(8).readUIntLE(0, 6) % Number.MAX_SAFE_INTEGER;
  }

  /** The generator's state (four int32 words). */
  state(): number[] {
    const s = this.gen.getState?.();
    if (!s) throw new Error('pure-rand generator without getState');
    return [...s];
  }

  /** An independent copy continuing the same stream. */
  clone(): Rng {
    return new Rng(this.gen.clone());
  }

  /** A raw 32-bit signed integer. */
  int32(): number {
    return this.gen.unsafeNext();
  }

  /** A double in [0, 1) with 53 random bits. */
  random(): number {
    const a = this.gen.unsafeNext() >>> 5;
    const b = this.gen.unsafeNext() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** A double in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /** An integer in [low, high] inclusive, without modulo bias. */
  integer(low: number, high: number): number {
    return prand.unsafeUniformIntDistribution(low, high, this.gen);
  }

  /**
   * out[i] = integer(low, high) for i in [from, to): the same draws, in the same order, as that many integer() calls
   * (pure-rand's rejection rule, restated here for ranges up to 2^32 so a planner's tens of thousands of draws per
   * decision skip the per-call dispatch; tests/core/rng.test.ts checks the equality).
   */
  fillIntegers(out: Float64Array, from: number, to: number, low: number, high: number): void {
    const rangeSize = high - low + 1;
    if (!(rangeSize - 1 <= 0xffffffff)) {
      for (let i = from; i < to; i++) out[i] = this.integer(low, high);
      return;
    }
    const gen = this.gen;
    const maxAllowed = rangeSize > 2 ? ~~(0x100000000 / rangeSize) * rangeSize : 0x100000000;
    // v - floor(v / r) * r is v % r exactly while r < 2^20 (v < 2^32: the quotient's rounding error stays below 1/r),
    // and it avoids the float modulo, the slowest part of a draw.
    const exactDivide = rangeSize < 1048576;
    for (let i = from; i < to; i++) {
      let v = gen.unsafeNext() + 0x80000000;
      while (v >= maxAllowed) v = gen.unsafeNext() + 0x80000000;
      out[i] = (exactDivide ? v - Math.floor(v / rangeSize) * rangeSize : v % rangeSize) + low;
    }
  }

  /**
   * Shuffles `a` in place (Fisher-Yates from the end, one integer draw per position), so the permutation is a
   * function of the stream alone and training runs that shuffle with it are reproducible.
   */
  shuffle(a: Int32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.integer(0, i);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** A standard normal draw (Box-Muller, one value per call so the stream position is easy to reason about). */
  normal(mean = 0, std = 1): number {
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
