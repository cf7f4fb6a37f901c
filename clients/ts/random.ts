/**
 * A small seeded generator for client-side space sampling. The client must not depend on the server's code, and
 * sampling only needs reproducibility per seed (not the server's stream), so a compact 32-bit generator (sfc32, seeded
 * through splitmix32 so nearby seeds give unrelated streams) is enough.
 */

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A seedable stream of uniform doubles, integers and normal draws. */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seeds from an integer in [0, 2^53); without one, from Math.random (not reproducible, as Gymnasium's seed=None). */
  constructor(seed?: number) {
    const s = seed ?? Math.floor(Math.random() * 2 ** 53);
    if (!Number.isSafeInteger(s) || s < 0) throw new RangeError(`seed must be an integer in [0, 2^53), got ${s}`);
    // Both halves of a 53-bit seed feed the state, so seeds that differ only above bit 32 still differ.
    const st = { s: (s >>> 0) ^ Math.imul(Math.floor(s / 4294967296), 0x27d4eb2d) };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st) | 1;
    // sfc32's first outputs still carry the seed's structure; discard them as its author recommends.
    for (let i = 0; i < 12; i++) this.next32();
  }

  /** An unsigned 32-bit integer. */
  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A double in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.next32() >>> 5;
    const lo = this.next32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** An integer in [0, n) without modulo bias, for n up to 2^53. */
  below(n: number): number {
    // Multiplying a 53-bit uniform is unbiased to within 2^-53 relative, far below anything sampling cares about.
    return Math.floor(this.random() * n);
  }

  /** A standard normal draw (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  /** An exponential draw with rate 1. */
  exponential(): number {
    let u = 0;
    while (u === 0) u = this.random();
    return -Math.log(u);
  }
}
