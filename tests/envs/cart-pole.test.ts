/**
 * CartPole-v0 against values computed independently (a python3 transcription of REFERENCE.md 1.2, printed with repr and
 * pasted here as literals), plus its termination and truncation boundaries and its context.
 */
import { describe, expect, it } from 'vitest';
import { EnvSession } from '../../src/core/session.js';
import { makeDefinition } from '../../envs/registry.js';
import { THETA_THRESHOLD, cartPoleStep } from '../../envs/classic/cart-pole.js';
import { TwinGymError } from '../../src/core/errors.js';

const def = makeDefinition('CartPole-v0');

function session(contexts?: Record<string, number>, extra: Partial<ConstructorParameters<typeof EnvSession>[0]> = {}): EnvSession {
  return new EnvSession({ definition: def, contexts, ...extra });
}

function expectRow(actual: Float64Array, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, k) => expect(actual[k]).toBeCloseTo(e, 14));
}

const START = Float64Array.of(0.01, -0.02, 0.03, 0.04);

describe('CartPole-v0 spaces and spec', () => {
  it('declares Gymnasium bounds (finite float32 max for velocities) and Discrete(2)', () => {
    const o = def.observationSpace;
    expect(o.dtype).toBe('f32');
    expect(Array.from(o.high)).toEqual([Math.fround(4.8), 3.4028234663852886e38, Math.fround(0.41887902047863906), 3.4028234663852886e38]);
    expect(Array.from(o.low)).toEqual(Array.from(o.high, (h) => -h));
    expect(Array.from(o.high).every(Number.isFinite)).toBe(true);
    expect(def.actionSpace.spec()).toEqual({ type: 'discrete', dtype: 'i64', n: 2, start: 0 });
    expect(def.maxEpisodeSteps).toBe(200);
    expect(THETA_THRESHOLD).toBeCloseTo(0.20943951, 8);
    expect(def.context.names).toEqual(['force_mag', 'length', 'masscart', 'masspole']);
    expect(Array.from(def.context.defaults)).toEqual([10, 0.5, 1.0, 0.1]);
    const byName = Object.fromEntries(def.context.params.map((p) => [p.name, [p.low, p.high]]));
    expect(byName.force_mag).toEqual([2, 18]);
    expect(byName.length).toEqual([0.15, 0.85]);
  });
});

describe('CartPole-v0 dynamics', () => {
  it('matches three hand-computed Euler steps with the default context', () => {
    const s = session();
    s.reset({ seed: 0, state: START });
    const r1 = s.step(Float64Array.of(1));
    expectRow(r1.obs, [0.009600000000000001, 0.17467919574755525, 0.030799999999999998, -0.24306871796000815]);
    expect(r1.reward[0]).toBe(1);
    const r2 = s.step(Float64Array.of(0));
    expectRow(r2.obs, [0.013093583914951107, -0.020868848948191993, 0.025938625640799833, 0.05916799993941654]);
    const r3 = s.step(Float64Array.of(1));
    expectRow(r3.obs, [0.012676206935987267, 0.1738717748734813, 0.027121985639588165, -0.22521957255967331]);
    expect(Array.from(r3.episodeStep)).toEqual([3]);
    expect(r3.terminated[0] | r3.truncated[0]).toBe(0);
  });

  it('updates positions with the OLD velocities (explicit Euler)', () => {
    const s = session();
    s.reset({ state: START });
    const r = s.step(Float64Array.of(1));
    expect(r.obs[0]).toBe(0.01 + 0.02 * -0.02);
    expect(r.obs[2]).toBe(0.03 + 0.02 * 0.04);
  });

  it('a context (force 2, length 0.85, masscart 1.5, masspole 0.3) changes the trajectory as the formulas say', () => {
    const ctx = { force_mag: 2, length: 0.85, masscart: 1.5, masspole: 0.3 };
    const s = session(ctx);
    expect(s.getContexts()).toEqual([ctx]);
    s.reset({ state: START });
    expectRow(s.step(Float64Array.of(1)).obs, [0.009600000000000001, 0.004554328673238125, 0.030799999999999998, 0.02353162175206198]);
    expectRow(s.step(Float64Array.of(0)).obs, [0.009691086573464763, -0.02170073924313953, 0.03127063243504124, 0.05201261691437356]);
    expectRow(s.step(Float64Array.of(1)).obs, [0.009257071788601972, 0.0028179290372147905, 0.03231088477332871, 0.03579617310740685]);
  });

  it('each context parameter on its own changes the next state', () => {
    const base = new Float64Array(4);
    const step = (ctx: readonly number[]) => {
      const next = new Float64Array(4);
      cartPoleStep({ n: 1, states: START, actions: Float64Array.of(1), contexts: Float64Array.from(ctx), next, rngs: [] });
      return next;
    };
    base.set(step([10, 0.5, 1, 0.1]));
    for (const [k, v] of [[0, 5], [1, 0.3], [2, 1.7], [3, 0.4]] as const) {
      const ctx = [10, 0.5, 1, 0.1];
      ctx[k] = v;
      const next = step(ctx);
      expect(next[1] !== base[1] || next[3] !== base[3]).toBe(true);
    }
  });

  it('is batched: instances with different contexts step independently in one call', () => {
    const s = new EnvSession({ definition: def, numEnvs: 2, contexts: [{}, { force_mag: 2, length: 0.85, masscart: 1.5, masspole: 0.3 }] });
    s.reset({ state: START });
    const r = s.step(Float64Array.of(1, 1));
    expectRow(r.obs.subarray(0, 4), [0.009600000000000001, 0.17467919574755525, 0.030799999999999998, -0.24306871796000815]);
    expectRow(r.obs.subarray(4, 8), [0.009600000000000001, 0.004554328673238125, 0.030799999999999998, 0.02353162175206198]);
  });
});

describe('CartPole-v0 episode ends', () => {
  it('terminates on the 9th constant right push from rest (theta < -12 deg), reward 1 on that step', () => {
    const s = session();
    s.reset({ state: new Float64Array(4) });
    for (let k = 1; k <= 8; k++) expect(s.step(Float64Array.of(1)).terminated[0]).toBe(0);
    const r = s.step(Float64Array.of(1));
    expect(r.terminated[0]).toBe(1);
    expect(r.truncated[0]).toBe(0);
    expect(r.reward[0]).toBe(1);
    expectRow(r.obs, [0.14065097203306187, 1.7603811257683097, -0.21518604988500967, -2.777886494012814]);
    expect(() => s.step(Float64Array.of(1))).toThrow(expect.objectContaining({ code: 'needs_reset' }));
  });

  it('uses strict thresholds: |x| = 2.4 and |theta| = 12 deg exactly do not terminate, just beyond does', () => {
    const cases: Array<[number[], number]> = [
      [[2.4, 0, 0, 0], 0],
      [[-2.4, 0, 0, 0], 0],
      [[0, 0, THETA_THRESHOLD, 0], 0],
      [[0, 0, -THETA_THRESHOLD, 0], 0],
      [[2.4000001, 0, 0, 0], 1],
      [[-2.4000001, 0, 0, 0], 1],
      [[0, 0, 0.2094396, 0], 1],
      [[0, 0, -0.2094396, 0], 1],
    ];
    const out = new Uint8Array(1);
    for (const [state, want] of cases) {
      def.terminated(Float64Array.from(state), def.context.defaults, 1, out);
      expect(out[0]).toBe(want);
    }
    // Through a step: 2.39 + 0.02 * 0.6 = 2.402.
    const s = session();
    s.reset({ state: Float64Array.of(2.39, 0.6, 0, 0) });
    const r = s.step(Float64Array.of(0));
    expect(r.terminated[0]).toBe(1);
    expect(r.reward[0]).toBe(1);
  });

  it('truncates at exactly 200 steps under a balancing policy, never terminating', () => {
    const s = session();
    let obs = s.reset({ state: START }).obs;
    let total = 0;
    for (let k = 1; k <= 200; k++) {
      const a = 10 * obs[2] + obs[3] + 0.1 * obs[0] + 0.5 * obs[1] > 0 ? 1 : 0;
      const r = s.step(Float64Array.of(a));
      total += r.reward[0];
      expect(r.terminated[0]).toBe(0);
      expect(r.truncated[0]).toBe(k === 200 ? 1 : 0);
      obs = r.obs;
    }
    expect(total).toBe(200);
    expect(() => s.step(Float64Array.of(0))).toThrow(TwinGymError);
  });

  it('resets all four variables uniformly in [-0.05, 0.05)', () => {
    const s = new EnvSession({ definition: def, numEnvs: 256 });
    const obs = s.reset({ seed: 7 }).obs;
    let min = Infinity;
    let max = -Infinity;
    for (const v of obs) { min = Math.min(min, v); max = Math.max(max, v); }
    expect(min).toBeGreaterThanOrEqual(-0.05);
    expect(max).toBeLessThan(0.05);
    // 1024 draws from U(-0.05, 0.05): the extremes come within 0.001 of the ends with overwhelming probability.
    expect(min).toBeLessThan(-0.049);
    expect(max).toBeGreaterThan(0.049);
  });

  it('rejects actions other than 0 and 1', () => {
    const s = session();
    s.reset({ seed: 1 });
    for (const a of [2, -1, 0.5, NaN]) expect(() => s.step(Float64Array.of(a))).toThrow(expect.objectContaining({ code: 'out_of_bounds' }));
  });

  it('renders an SVG with the cart, the pole and the context', () => {
    const s = session({ length: 0.85 });
    s.reset({ state: START });
    const d = s.render();
    expect(d.mode).toBe('svg');
    expect(d.data.startsWith('<svg')).toBe(true);
    expect(d.data).toContain('<rect');
    expect(d.data).toContain('length=0.85');
    expect(d.data).toContain('x=0.010');
  });
});
