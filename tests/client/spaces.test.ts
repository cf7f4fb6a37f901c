/**
 * Client spaces built from wire specs: bounds read exactly, contains follows the definitions, samples stay inside
 * their space and are reproducible per seed (Gymnasium's space.seed / space.sample).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { encodeTensor } from '../../protocol/ts/tensor.js';
import type { BoxSpec, EnvSpec, SpaceSpec } from '../../protocol/ts/spaces.js';
import { decodeFrame } from '../../protocol/ts/frame.js';
import { fromHex } from '../../protocol/ts/vector-json.js';
import { BoxSpace, DictSpace, DiscreteSpace, MultiBinarySpace, MultiDiscreteSpace, SeededRandom, TupleSpace, spaceFromSpec } from '../../clients/ts/index.js';

function box(low: number[], high: number[], dtype: BoxSpec['dtype'] = 'f32'): BoxSpace {
  const shape = [low.length];
  return new BoxSpace({ type: 'box', dtype, shape, low: encodeTensor(dtype, shape, low), high: encodeTensor(dtype, shape, high) });
}

describe('BoxSpace', () => {
  it('contains values within the bounds only', () => {
    const s = box([-1.2, -0.07], [0.6, 0.07]);
    expect(s.contains([0, 0])).toBe(true);
    expect(s.contains(new Float32Array([Math.fround(0.6), Math.fround(-0.07)]))).toBe(true);
    expect(s.contains([0.7, 0])).toBe(false);
    expect(s.contains([0])).toBe(false);
    expect(s.contains([Number.NaN, 0])).toBe(false);
    expect(s.contains('x')).toBe(false);
  });

  it('samples inside the bounds, as the space dtype, reproducibly per seed', () => {
    const s = box([-1.2, -0.07], [0.6, 0.07]);
    s.seed(7);
    const a = Array.from({ length: 200 }, () => s.sample() as Float32Array);
    s.seed(7);
    const b = Array.from({ length: 200 }, () => s.sample() as Float32Array);
    s.seed(8);
    const c = Array.from({ length: 200 }, () => s.sample() as Float32Array);
    expect(a[0]).toBeInstanceOf(Float32Array);
    expect(a.every((x) => s.contains(x))).toBe(true);
    expect(a.map((x) => Array.from(x))).toEqual(b.map((x) => Array.from(x)));
    expect(a.map((x) => Array.from(x))).not.toEqual(c.map((x) => Array.from(x)));
    // 200 uniform draws on [-1.2, 0.6] reach both outer fifths of the interval.
    expect(a.some((x) => x[0] < -0.84)).toBe(true);
    expect(a.some((x) => x[0] > 0.24)).toBe(true);
  });

  it('follows Gymnasium on unbounded dimensions: normal, or exponential from the finite side', () => {
    const s = box([-Infinity, 0, -Infinity], [Infinity, Infinity, 5], 'f64');
    expect(s.bounded).toBe(false);
    s.seed(1);
    const xs = Array.from({ length: 500 }, () => s.sample() as Float64Array);
    expect(xs.every((x) => Number.isFinite(x[0]) && x[1] >= 0 && x[2] <= 5)).toBe(true);
    const mean = xs.reduce((m, x) => m + x[1], 0) / xs.length;
    // Exponential(1) has mean 1; with 500 draws the sample mean is within 0.3 of it with overwhelming probability.
    expect(Math.abs(mean - 1)).toBeLessThan(0.3);
    expect(xs.some((x) => x[0] < 0) && xs.some((x) => x[0] > 0)).toBe(true);
  });

  it('integer boxes sample integers covering the whole range', () => {
    const s = box([0, -2], [3, 2], 'i32');
    s.seed(3);
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const v = s.sample() as Int32Array;
      expect(s.contains(v)).toBe(true);
      seen.add(`${v[0]}`);
    }
    expect([...seen].sort()).toEqual(['0', '1', '2', '3']);
    expect(s.contains([1.5, 0])).toBe(false);
  });
});

describe('Discrete, MultiDiscrete, MultiBinary', () => {
  it('Discrete(3, start 0) samples each of 0, 1, 2 and nothing else', () => {
    const s = new DiscreteSpace({ type: 'discrete', dtype: 'i64', n: 3, start: 0 });
    s.seed(11);
    const counts = [0, 0, 0];
    for (let i = 0; i < 300; i++) counts[s.sample() as number]++;
    expect(counts.every((c) => c > 60)).toBe(true);
    expect(counts.reduce((a, b) => a + b)).toBe(300);
    expect(s.contains(2)).toBe(true);
    expect(s.contains(3)).toBe(false);
    expect(s.contains(1.5)).toBe(false);
    expect(s.contains(-1)).toBe(false);
  });

  it('Discrete with a start offset', () => {
    const s = new DiscreteSpace({ type: 'discrete', dtype: 'i64', n: 2, start: -1 });
    s.seed(2);
    const seen = new Set(Array.from({ length: 100 }, () => s.sample()));
    expect([...seen].sort()).toEqual([-1, 0]);
  });

  it('MultiDiscrete reads nvec and start; MultiBinary samples bits', () => {
    const md = new MultiDiscreteSpace({ type: 'multi_discrete', dtype: 'i64', shape: [2], nvec: encodeTensor('i64', [2], [3, 5]), start: encodeTensor('i64', [2], [0, 10]) });
    expect(Array.from(md.high)).toEqual([2, 14]);
    md.seed(4);
    for (let i = 0; i < 100; i++) expect(md.contains(md.sample())).toBe(true);
    expect(md.contains([3, 10])).toBe(false);
    const mb = new MultiBinarySpace({ type: 'multi_binary', dtype: 'u8', shape: [8] });
    mb.seed(5);
    const bits = Array.from({ length: 50 }, () => Array.from(mb.sample() as Uint8Array)).flat();
    expect(new Set(bits)).toEqual(new Set([0, 1]));
    expect(mb.contains([0, 1, 0, 1, 0, 1, 0, 2])).toBe(false);
  });
});

describe('Dict and Tuple from the structured-spaces vector', () => {
  const vec = (JSON.parse(readFileSync(new URL('../../protocol/vectors/v1.json', import.meta.url), 'utf8')) as { vectors: { name: string; hex: string }[] })
    .vectors.find((v) => v.name === 'list_envs_reply_structured_spaces')!;
  const spec = (decodeFrame(fromHex(vec.hex)) as { envs: EnvSpec[] }).envs[0];

  it('builds Dict(observation, desired_goal, contacts) and checks values against it', () => {
    const s = spaceFromSpec(spec.observation_space) as DictSpace;
    expect(s).toBeInstanceOf(DictSpace);
    expect([...s.spaces.keys()]).toEqual(['observation', 'desired_goal', 'contacts']);
    const obs = s.spaces.get('observation') as BoxSpace;
    expect(Array.from(obs.low)).toEqual([-Infinity, -Infinity, -1, -1]);
    expect(s.contains({ observation: [1e9, -1e9, 0.5, -1], desired_goal: [0.2, 1], contacts: [1, 0] })).toBe(true);
    expect(s.contains({ observation: [0, 0, 2, 0], desired_goal: [0.2, 1], contacts: [1, 0] })).toBe(false);
    expect(s.contains({ observation: [0, 0, 0, 0], desired_goal: [0.2, 1] })).toBe(false);
    s.seed(9);
    const a = s.sample();
    expect(s.contains(a)).toBe(true);
  });

  it('builds Tuple(Discrete(4, start 1), Box, MultiDiscrete) with reproducible samples', () => {
    const s = spaceFromSpec(spec.action_space) as TupleSpace;
    expect(s).toBeInstanceOf(TupleSpace);
    expect((s.spaces[0] as DiscreteSpace).start).toBe(1);
    s.seed(21);
    const a = Array.from({ length: 20 }, () => s.sample());
    s.seed(21);
    const b = Array.from({ length: 20 }, () => s.sample());
    expect(a).toEqual(b);
    expect(a.every((x) => s.contains(x))).toBe(true);
    expect(s.contains([0, [0, 0], [0, 0]])).toBe(false);
  });
});

describe('SeededRandom', () => {
  it('is reproducible per seed, differs across nearby and high-bit seeds, and stays in [0, 1)', () => {
    const draw = (seed: number) => { const r = new SeededRandom(seed); return Array.from({ length: 50 }, () => r.random()); };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(5)).not.toEqual(draw(5 + 2 ** 40));
    const xs = draw(1);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(() => new SeededRandom(-1)).toThrow(RangeError);
  });

  it('has the moments of a uniform distribution', () => {
    const r = new SeededRandom(2024);
    const n = 20000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) { const x = r.random(); s += x; s2 += x * x; }
    const mean = s / n;
    // Mean 1/2 and variance 1/12; the tolerances are more than 5 standard errors.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.011);
    expect(Math.abs(s2 / n - mean * mean - 1 / 12)).toBeLessThan(0.005);
  });
});

it('spaceFromSpec covers every spec type', () => {
  const specs: SpaceSpec[] = [
    { type: 'discrete', dtype: 'i64', n: 2, start: 0 },
    { type: 'multi_binary', dtype: 'u8', shape: [1] },
    { type: 'tuple', spaces: [] },
    { type: 'dict', keys: [], spaces: [] },
  ];
  expect(specs.map((s) => spaceFromSpec(s).constructor.name)).toEqual(['DiscreteSpace', 'MultiBinarySpace', 'TupleSpace', 'DictSpace']);
});
