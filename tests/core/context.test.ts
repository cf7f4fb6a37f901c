/**
 * ContextSpace: named parameters with defaults and inclusive ranges; partial maps keep the other values; unknown names
 * and out-of-range or non-finite values are refused with protocol codes before anything is written.
 */
import { describe, expect, it } from 'vitest';
import { ContextSpace } from '../../src/core/context.js';
import { TwinGymError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';

const space = new ContextSpace([
  { name: 'a', default: 1, low: 0, high: 2, description: 'first' },
  { name: 'b', default: -1, low: -3, high: -1, description: 'second' },
]);

describe('ContextSpace', () => {
  it('exposes names, defaults and a spec in declaration order', () => {
    expect(space.names).toEqual(['a', 'b']);
    expect(Array.from(space.defaults)).toEqual([1, -1]);
    expect(space.size).toBe(2);
    expect(space.spec().params.map((p) => [p.name, p.low, p.high])).toEqual([['a', 0, 2], ['b', -3, -1]]);
  });

  it('applies partial maps over a row, keeping the other parameters; bounds are inclusive', () => {
    const row = Float64Array.of(9, 1, -1);
    space.apply({ b: -3 }, row, 1);
    expect(Array.from(row)).toEqual([9, 1, -3]);
    space.apply({ a: 2, b: -1 }, row, 1);
    expect(space.toMap(row, 1)).toEqual({ a: 2, b: -1 });
  });

  it('refuses unknown names and out-of-range or non-finite values, writing nothing', () => {
    const row = Float64Array.of(1, -1);
    const cases: Array<[Record<string, number>, string]> = [
      [{ c: 1 }, 'unknown_context_key'],
      [{ a: 1.5, c: 1 }, 'unknown_context_key'],
      [{ a: 2.0001 }, 'context_out_of_range'],
      [{ b: 0 }, 'context_out_of_range'],
      [{ a: NaN }, 'context_out_of_range'],
      [{ a: 0.5, b: -Infinity }, 'context_out_of_range'],
    ];
    for (const [map, code] of cases) {
      let err: unknown;
      try {
        space.apply(map, row, 0);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TwinGymError);
      expect((err as TwinGymError).code).toBe(code);
      expect(Array.from(row)).toEqual([1, -1]);
    }
    expect(() => space.validate({ a: 3 })).toThrow(expect.objectContaining({ code: 'context_out_of_range', details: expect.objectContaining({ key: 'a', low: 0, high: 2 }) }));
  });

  it('samples uniformly within every range', () => {
    const rng = Rng.fromSeed(3);
    for (let k = 0; k < 200; k++) expect(() => space.validate(space.sampleUniform(rng))).not.toThrow();
  });

  it('refuses a default outside its range at construction', () => {
    expect(() => new ContextSpace([{ name: 'x', default: 5, low: 0, high: 1, description: '' }])).toThrow(RangeError);
  });
});
