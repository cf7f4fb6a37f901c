/**
 * Spaces: Gymnasium's contains and sample rules, wire specs that round-trip through spaceFromSpec, batched spaces,
 * and property tests (every sample is contained; every spec round-trips to an equivalent space).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Box, DictSpace, Discrete, FlatSpace, MultiBinary, MultiDiscrete, TupleSpace, spaceFromSpec, type Space } from '../../src/core/spaces.js';
import { Rng } from '../../src/core/rng.js';
import { decodeFrame, encodeFrame } from '../../protocol/ts/frame.js';
import type { SpaceSpec } from '../../protocol/ts/spaces.js';
import { Value } from '@sinclair/typebox/value';
import { SpaceSpecSchema } from '../../protocol/ts/spaces.js';

/** A spec through msgpack and back, as a client receives it. */
function overWire(spec: SpaceSpec): SpaceSpec {
  return decodeFrame(encodeFrame(spec)) as SpaceSpec;
}

describe('Box', () => {
  it('contains values inside inclusive bounds and refuses NaN, wrong sizes and non-numbers', () => {
    const b = new Box([-1, 0], [1, 2], [2], 'f64');
    expect(b.contains([1, 0])).toBe(true);
    expect(b.contains(Float64Array.of(-1, 2))).toBe(true);
    expect(b.contains([1.0000001, 0])).toBe(false);
    expect(b.contains([0, NaN])).toBe(false);
    expect(b.contains([0])).toBe(false);
    expect(b.contains([0, 0, 0])).toBe(false);
    expect(b.contains(['0', 0])).toBe(false);
    expect(b.contains({ a: 1 })).toBe(false);
    expect(b.contains([[0, 1]])).toBe(true); // nested arrays flatten; the element count decides
  });

  it('rounds float32 bounds to float32, so the declared bound is the value a client sees', () => {
    const b = new Box(-0.07, 0.07, [1], 'f32');
    expect(b.high[0]).toBe(Math.fround(0.07));
    expect(b.high[0]).not.toBe(0.07);
    const back = spaceFromSpec(overWire(b.spec())) as Box;
    expect(back.high[0]).toBe(Math.fround(0.07));
  });

  it('refuses low > high', () => {
    expect(() => new Box([1], [0], [1])).toThrow(RangeError);
  });

  it('samples bounded dims uniformly, half-bounded ones beyond their bound, unbounded ones anywhere', () => {
    const b = new Box([0, 5, -Infinity, -Infinity], [1, Infinity, 3, Infinity], [4], 'f64');
    const rng = Rng.fromSeed(3);
    let below3 = true;
    for (let k = 0; k < 500; k++) {
      const x = b.sample(rng);
      expect(b.contains(x)).toBe(true);
      expect(x[1]).toBeGreaterThanOrEqual(5);
      below3 &&= x[2] <= 3;
    }
    expect(below3).toBe(true);
  });

  it('samples integer Boxes as integers in range', () => {
    const b = new Box(-2, 3, [3], 'i32');
    const rng = Rng.fromSeed(1);
    const seen = new Set<number>();
    for (let k = 0; k < 300; k++) {
      const x = b.sample(rng);
      for (const v of x) {
        expect(Number.isInteger(v)).toBe(true);
        seen.add(v);
      }
      expect(b.contains(x)).toBe(true);
    }
    expect([...seen].sort((p, q) => p - q)).toEqual([-2, -1, 0, 1, 2, 3]);
    expect(b.contains([0, 0.5, 1])).toBe(false);
  });

  it('batches to an [n, ...shape] Box repeating the bounds', () => {
    const b = new Box([-1, 0], [1, 2], [2], 'f32').batched(3);
    expect(b.shape).toEqual([3, 2]);
    expect(Array.from(b.low)).toEqual([-1, 0, -1, 0, -1, 0]);
    expect(b.contains([[0, 1], [1, 2], [-1, 0]])).toBe(true);
    expect(b.contains([[0, 1], [1, 3], [-1, 0]])).toBe(false);
  });
});

describe('Discrete, MultiDiscrete, MultiBinary', () => {
  it('Discrete(n, start) holds start .. start + n - 1 and samples all of them', () => {
    const d = new Discrete(3, -1);
    expect([-2, -1, 0, 1, 2].map((v) => d.contains(v))).toEqual([false, true, true, true, false]);
    expect(d.contains(0.5)).toBe(false);
    const rng = Rng.fromSeed(0);
    const seen = new Set<number>();
    for (let k = 0; k < 100; k++) seen.add(d.sample(rng)[0]);
    expect([...seen].sort()).toEqual([-1, 0, 1]);
    expect(() => new Discrete(0)).toThrow(RangeError);
  });

  it('Discrete batches to a MultiDiscrete of n copies', () => {
    const m = new Discrete(4, 1).batched(3);
    expect(m).toBeInstanceOf(MultiDiscrete);
    expect(m.spec().type).toBe('multi_discrete');
    expect(m.contains([1, 4, 2])).toBe(true);
    expect(m.contains([0, 4, 2])).toBe(false);
  });

  it('MultiDiscrete bounds each element by its nvec and start', () => {
    const m = new MultiDiscrete([2, 5], undefined, [0, 10]);
    expect(m.contains([1, 14])).toBe(true);
    expect(m.contains([2, 14])).toBe(false);
    expect(m.contains([1, 15])).toBe(false);
    expect(m.contains([1, 9])).toBe(false);
  });

  it('MultiBinary holds 0/1 of its shape', () => {
    const m = new MultiBinary([2, 2]);
    expect(m.size).toBe(4);
    expect(m.contains([[0, 1], [1, 0]])).toBe(true);
    expect(m.contains([0, 2, 1, 0])).toBe(false);
    expect(m.batched(3).shape).toEqual([3, 2, 2]);
  });
});

describe('Dict and Tuple', () => {
  const dict = new DictSpace([['pos', new Box(-1, 1, [2], 'f32')], ['mode', new Discrete(3)]]);
  const tuple = new TupleSpace([new Discrete(2), new MultiBinary(3)]);

  it('contain exactly their structure', () => {
    expect(dict.contains({ pos: [0, 0.5], mode: 2 })).toBe(true);
    expect(dict.contains({ pos: [0, 0.5] })).toBe(false);
    expect(dict.contains({ pos: [0, 0.5], mode: 2, extra: 1 })).toBe(false);
    expect(dict.contains({ pos: [0, 1.5], mode: 2 })).toBe(false);
    expect(dict.contains([1, 2])).toBe(false);
    expect(tuple.contains([1, [0, 1, 1]])).toBe(true);
    expect(tuple.contains([1])).toBe(false);
    expect(() => new DictSpace([['a', new Discrete(2)], ['a', new Discrete(2)]])).toThrow(RangeError);
  });

  it('keep key order in their spec and round-trip', () => {
    const spec = dict.spec();
    expect(spec).toMatchObject({ type: 'dict', keys: ['pos', 'mode'] });
    const back = spaceFromSpec(overWire(spec));
    expect(back.spec()).toEqual(spec);
    expect(spaceFromSpec(overWire(tuple.spec())).spec()).toEqual(tuple.spec());
  });
});

// Property tests: arbitrary flat and nested spaces.
const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });
const boxArb = fc
  .tuple(fc.array(fc.tuple(finite, finite, fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 5 }), fc.constantFrom('f32' as const, 'f64' as const))
  .map(([dims, dtype]) => new Box(
    dims.map(([a, b, openLow]) => (openLow ? -Infinity : Math.min(a, b))),
    dims.map(([a, b, , openHigh]) => (openHigh ? Infinity : Math.max(a, b))),
    [dims.length],
    dtype,
  ));
const intBoxArb = fc
  .array(fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 50 })), { minLength: 1, maxLength: 4 })
  .map((dims) => new Box(dims.map(([l]) => l), dims.map(([l, w]) => l + w), [dims.length], 'i32'));
const flatArb: fc.Arbitrary<FlatSpace> = fc.oneof(
  boxArb,
  intBoxArb,
  fc.tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: -50, max: 50 })).map(([n, s]) => new Discrete(n, s)),
  fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }).map((nv) => new MultiDiscrete(nv)),
  fc.integer({ min: 1, max: 6 }).map((n) => new MultiBinary(n)),
);
const spaceArb: fc.Arbitrary<Space> = fc.letrec<{ space: Space }>((tie) => ({
  space: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    flatArb,
    fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), tie('space')), { maxLength: 3, selector: ([k]) => k }).map((kv) => new DictSpace(kv)),
    fc.array(tie('space'), { maxLength: 3 }).map((s) => new TupleSpace(s)),
  ),
})).space;

describe('properties', () => {
  it('every sample of every space is contained in it', () => {
    fc.assert(fc.property(spaceArb, fc.integer({ min: 0, max: 1e9 }), (space, seed) => {
      const rng = Rng.fromSeed(seed);
      for (let k = 0; k < 5; k++) expect(space.contains(space.sample(rng))).toBe(true);
    }), { numRuns: 200 });
  });

  it('every spec is schema-valid and round-trips through msgpack and spaceFromSpec to an equal spec and membership', () => {
    fc.assert(fc.property(spaceArb, fc.integer({ min: 0, max: 1e9 }), (space, seed) => {
      const spec = space.spec();
      expect(Value.Check(SpaceSpecSchema, spec)).toBe(true);
      const back = spaceFromSpec(overWire(spec));
      expect(overWire(back.spec())).toEqual(overWire(spec));
      const rng = Rng.fromSeed(seed);
      const x = space.sample(rng);
      expect(back.contains(x)).toBe(true);
    }), { numRuns: 200 });
  });

  it('a batched flat space contains exactly the stacks of contained values', () => {
    fc.assert(fc.property(flatArb, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1e9 }), (space, n, seed) => {
      const rng = Rng.fromSeed(seed);
      const batched = space.batched(n);
      expect(batched.size).toBe(n * space.size);
      const stack = new Float64Array(n * space.size);
      for (let i = 0; i < n; i++) space.sampleInto(rng, stack, i * space.size);
      expect(batched.contains(stack)).toBe(true);
      // Push one element just outside its (finite) bound: the stack is no longer contained.
      const j = Math.floor(rng.random() * stack.length) % space.size;
      const row = Math.floor(rng.random() * n);
      if (Number.isFinite(space.high[j])) {
        stack[row * space.size + j] = space.high[j] + Math.max(1, Math.abs(space.high[j]));
        expect(batched.contains(stack)).toBe(false);
      }
    }), { numRuns: 200 });
  });
});
