/**
 * Rng: seeded streams are reproducible, state() round-trips, nearby seeds give unrelated streams, and the derived
 * draws (uniform, integer, normal) respect their ranges.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';

function draws(r: Rng, n: number): number[] {
  return Array.from({ length: n }, () => r.random());
}

describe('Rng', () => {
  it('fromSeed is deterministic and distinct seeds give distinct streams', () => {
    expect(draws(Rng.fromSeed(123), 20)).toEqual(draws(Rng.fromSeed(123), 20));
    expect(draws(Rng.fromSeed(123), 5)).not.toEqual(draws(Rng.fromSeed(124), 5));
    // Seeds differing only above 32 bits must differ too.
    expect(draws(Rng.fromSeed(5), 5)).not.toEqual(draws(Rng.fromSeed(5 + 2 ** 32), 5));
  });

  it('state() and fromState() continue the exact stream; clone() is independent', () => {
    const r = Rng.fromSeed(77);
    draws(r, 13);
    const st = r.state();
    expect(st).toHaveLength(4);
    expect(st.every(Number.isInteger)).toBe(true);
    const c = r.clone();
    const ahead = draws(r, 10);
    expect(draws(Rng.fromState(st), 10)).toEqual(ahead);
    expect(draws(c, 10)).toEqual(ahead);
    expect(() => Rng.fromState([1, 2, 3])).toThrow(RangeError);
  });

  it('nearby seeds give unrelated first draws (no correlation from raw small seeds)', () => {
    const first = Array.from({ length: 200 }, (_, s) => Rng.fromSeed(s).random());
    // Neighbours should differ by about 1/3 on average for independent uniforms; correlated seeds give ~0.
    let meanGap = 0;
    for (let s = 1; s < 200; s++) meanGap += Math.abs(first[s] - first[s - 1]);
    meanGap /= 199;
    expect(meanGap).toBeGreaterThan(0.25);
    expect(meanGap).toBeLessThan(0.42);
    // The first draws spread over [0, 1): each decile holds some of them (200 draws; an empty decile has p < 1e-8).
    const deciles = new Array(10).fill(0);
    for (const v of first) deciles[Math.floor(v * 10)]++;
    expect(deciles.every((c) => c > 0)).toBe(true);
    // Lag-1 correlation of neighbours' first draws is small.
    const m = first.reduce((a, b) => a + b, 0) / 200;
    let cov = 0;
    let vr = 0;
    for (let s = 0; s < 200; s++) {
      vr += (first[s] - m) ** 2;
      if (s > 0) cov += (first[s] - m) * (first[s - 1] - m);
    }
    expect(Math.abs(cov / vr)).toBeLessThan(0.3);
  });

  it('draws lie in their ranges with the right means', () => {
    const r = Rng.fromSeed(9);
    let sum = 0;
    let sumN = 0;
    let sumN2 = 0;
    const N = 20000;
    const ints = new Set<number>();
    for (let k = 0; k < N; k++) {
      const u = r.uniform(-2, 3);
      expect(u).toBeGreaterThanOrEqual(-2);
      expect(u).toBeLessThan(3);
      sum += u;
      const i = r.integer(-1, 2);
      expect(Number.isInteger(i)).toBe(true);
      ints.add(i);
      const g = r.normal(1, 2);
      sumN += g;
      sumN2 += (g - 1) ** 2;
    }
    // Standard errors: uniform mean 0.5 +- 0.01, normal mean 1 +- 0.014, variance 4 +- 0.04; bounds are 5+ sigma.
    expect(Math.abs(sum / N - 0.5)).toBeLessThan(0.06);
    expect(Math.abs(sumN / N - 1)).toBeLessThan(0.08);
    expect(Math.abs(sumN2 / N - 4)).toBeLessThan(0.25);
    expect([...ints].sort()).toEqual([-1, 0, 1, 2]);
  });

  it('refuses seeds that are negative, fractional or beyond 2^53', () => {
    for (const s of [-1, 0.5, 2 ** 53, NaN]) expect(() => Rng.fromSeed(s)).toThrow(RangeError);
    expect(Number.isSafeInteger(Rng.entropySeed())).toBe(true);
  });

  it('fillIntegers draws exactly what as many integer() calls draw, for small, 2^20-edge, large and 2^32+ ranges', () => {
    const ranges = fc.oneof(
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 1048570, max: 1048580 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0x100000000, max: 2 ** 40 }),
    );
    fc.assert(fc.property(fc.nat(2 ** 31), fc.integer({ min: -1000, max: 1000 }), ranges, fc.nat(300), (seed, low, span, count) => {
      const a = Rng.fromSeed(seed);
      const b = a.clone();
      const got = new Float64Array(count + 2).fill(-7);
      a.fillIntegers(got, 1, count + 1, low, low + span);
      const want = Array.from({ length: count }, () => b.integer(low, low + span));
      expect(Array.from(got.subarray(1, count + 1))).toEqual(want);
      expect([got[0], got[count + 1]]).toEqual([-7, -7]);
      // Both generators are left at the same point of the stream.
      expect(a.int32()).toBe(b.int32());
    }), { numRuns: 300 });
  });

  it('shuffle is a permutation made of one integer draw per position, from the end', () => {
    const a = Int32Array.from({ length: 50 }, (_, i) => i);
    Rng.fromSeed(7).shuffle(a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...a]).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    // The same swaps by hand from a twin stream: swap i with integer(0, i) for i = n-1 .. 1.
    const twin = Rng.fromSeed(7);
    const b = Array.from({ length: 50 }, (_, i) => i);
    for (let i = b.length - 1; i > 0; i--) {
      const j = twin.integer(0, i);
      [b[i], b[j]] = [b[j], b[i]];
    }
    expect([...a]).toEqual(b);
  });
});
