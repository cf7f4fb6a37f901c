/**
 * MountainCar-v0 and MountainCarContinuous-v0 against values computed independently (a python3 transcription of
 * REFERENCE.md 1.1 and Gymnasium's continuous update, printed with repr and pasted as literals), plus their episode
 * boundaries and contexts.
 */
import { describe, expect, it } from 'vitest';
import { EnvSession } from '../../src/core/session.js';
import { makeDefinition } from '../../envs/registry.js';

const discrete = makeDefinition('MountainCar-v0');
const continuous = makeDefinition('MountainCarContinuous-v0');

function expectRow(actual: Float64Array, expected: readonly number[], digits = 15): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, k) => expect(actual[k]).toBeCloseTo(e, digits));
}

const START = Float64Array.of(-0.5, 0);

describe('MountainCar-v0', () => {
  it('matches three hand-computed steps (right, right, left) at the default gravity', () => {
    const s = new EnvSession({ definition: discrete });
    s.reset({ state: START });
    const r1 = s.step(Float64Array.of(2));
    expectRow(r1.obs, [-0.49917684300416926, 0.0008231569958307428]);
    expect(r1.reward[0]).toBe(-1);
    expectRow(s.step(Float64Array.of(2)).obs, [-0.49753668667935325, 0.0016401563248160246]);
    expectRow(s.step(Float64Array.of(0)).obs, [-0.4970917969323474, 0.00044488974700586273]);
  });

  it('gravity 0.0001 changes the trajectory, and getContexts reads it back', () => {
    const s = new EnvSession({ definition: discrete, contexts: { gravity: 0.0001 } });
    expect(s.getContexts()).toEqual([{ gravity: 0.0001 }]);
    s.reset({ state: START });
    expectRow(s.step(Float64Array.of(2)).obs, [-0.4990070737201668, 0.0009929262798332298]);
    expectRow(s.step(Float64Array.of(2)).obs, [-0.4970215182603738, 0.001985555459792986]);
    expectRow(s.step(Float64Array.of(0)).obs, [-0.4960439275326791, 0.000977590727694661]);
  });

  it('stops the car at the left wall (x clipped to -1.2, negative velocity zeroed)', () => {
    const s = new EnvSession({ definition: discrete });
    s.reset({ state: Float64Array.of(-1.19, -0.02) });
    expect(Array.from(s.step(Float64Array.of(0)).obs)).toEqual([-1.2, 0]);
  });

  it('terminates on reaching x >= 0.5 with v >= 0, reward 0 on that step', () => {
    const s = new EnvSession({ definition: discrete });
    s.reset({ state: Float64Array.of(0.49, 0.02) });
    const r = s.step(Float64Array.of(1));
    expectRow(r.obs, [0.5097484356665327, 0.01974843566653267]);
    expect(r.terminated[0]).toBe(1);
    expect(r.reward[0]).toBe(0);
    const out = new Uint8Array(3);
    discrete.terminated(Float64Array.of(0.5, 0, 0.5, -1e-9, 0.4999999, 0.07), discrete.context.defaults, 3, out);
    expect(Array.from(out)).toEqual([1, 0, 0]);
  });

  it('an energy-pumping policy reaches the goal after exactly 124 steps (gravity 0.0025) and 46 (gravity 0.0001)', () => {
    for (const [gravity, steps] of [[0.0025, 124], [0.0001, 46]] as const) {
      const s = new EnvSession({ definition: discrete, contexts: { gravity } });
      let obs = s.reset({ state: START }).obs;
      let total = 0;
      for (let k = 1; ; k++) {
        const r = s.step(Float64Array.of(obs[1] >= 0 ? 2 : 0));
        total += r.reward[0];
        obs = r.obs;
        if (r.terminated[0]) {
          expect(k).toBe(steps);
          break;
        }
        expect(k).toBeLessThan(steps);
      }
      expect(total).toBe(-(steps - 1));
    }
  });

  it('truncates after exactly 500 steps when idling in the valley', () => {
    const s = new EnvSession({ definition: discrete });
    s.reset({ state: START });
    for (let k = 1; k <= 500; k++) {
      const r = s.step(Float64Array.of(1));
      expect(r.terminated[0]).toBe(0);
      expect(r.truncated[0]).toBe(k === 500 ? 1 : 0);
      expect(r.reward[0]).toBe(-1);
    }
  });

  it('resets x ~ U(-0.6, -0.4), v = 0', () => {
    const s = new EnvSession({ definition: discrete, numEnvs: 200 });
    const obs = s.reset({ seed: 3 }).obs;
    for (let i = 0; i < 200; i++) {
      expect(obs[2 * i]).toBeGreaterThanOrEqual(-0.6);
      expect(obs[2 * i]).toBeLessThan(-0.4);
      expect(obs[2 * i + 1]).toBe(0);
    }
  });

  it('renders the hill, goal flag and car with the gravity', () => {
    const s = new EnvSession({ definition: discrete, contexts: { gravity: 0.001 } });
    s.reset({ state: START });
    const d = s.render().data;
    expect(d).toContain('<polyline');
    expect(d).toContain('<circle');
    expect(d).toContain('gravity=0.001');
    expect(d).toContain('x=-0.5000');
  });
});

describe('MountainCarContinuous-v0', () => {
  it('declares Gymnasium spaces, the gravity context of MountainCar-v0 and a power context', () => {
    expect(continuous.actionSpace.spec().type).toBe('box');
    expect(Array.from(continuous.actionSpace.low)).toEqual([-1]);
    expect(Array.from(continuous.actionSpace.high)).toEqual([1]);
    expect(continuous.actionSpace.dtype).toBe('f32');
    expect(Array.from(continuous.observationSpace.low)).toEqual([Math.fround(-1.2), Math.fround(-0.07)]);
    expect(continuous.maxEpisodeSteps).toBe(999);
    expect(continuous.context.params[0]).toEqual(discrete.context.params[0]);
    expect(continuous.context.toMap(continuous.context.defaults)).toEqual({ gravity: 0.0025, power: 0.0015 });
  });

  it('matches three hand-computed steps, rewards -0.1 a^2', () => {
    const s = new EnvSession({ definition: continuous });
    s.reset({ state: START });
    const actions = [1.0, 0.5, -0.3];
    const want = [
      [-0.49867684300416926, 0.0013231569958307428],
      [-0.4967904264118068, 0.0018864165923624286],
      [-0.4955548557566195, 0.0012355706551873044],
    ];
    const rewards = [-0.1, -0.025, -0.009];
    actions.forEach((a, k) => {
      const r = s.step(Float64Array.of(a));
      expectRow(r.obs, want[k]);
      expect(r.reward[0]).toBeCloseTo(rewards[k], 15);
    });
  });

  it('gravity 0.001 and power 0.002 change the trajectory and read back', () => {
    const s = new EnvSession({ definition: continuous, contexts: { gravity: 0.001, power: 0.002 } });
    expect(s.getContexts()).toEqual([{ gravity: 0.001, power: 0.002 }]);
    s.reset({ state: START });
    expectRow(s.step(Float64Array.of(1)).obs, [-0.4980707372016677, 0.0019292627983322971]);
    expectRow(s.step(Float64Array.of(0.5)).obs, [-0.4952179836778864, 0.0028527535237813325]);
    expectRow(s.step(Float64Array.of(-0.3)).obs, [-0.4930502696977849, 0.002167713980101474]);
  });

  it('terminates at x >= 0.45 (not 0.5) with reward 100 - 0.1 a^2', () => {
    const s = new EnvSession({ definition: continuous });
    s.reset({ state: Float64Array.of(0.44, 0.02) });
    const r = s.step(Float64Array.of(0.5));
    expectRow(r.obs, [0.4601295613708691, 0.02012956137086907]);
    expect(r.terminated[0]).toBe(1);
    expect(r.reward[0]).toBeCloseTo(99.975, 12);
  });

  it('a bang-bang pump reaches the goal after 106 steps by default, 39 with power 0.0025, 241 with (0.0035, 0.0005)', () => {
    for (const [gravity, power, steps] of [[0.0025, 0.0015, 106], [0.0025, 0.0025, 39], [0.0035, 0.0005, 241]] as const) {
      const s = new EnvSession({ definition: continuous, contexts: { gravity, power } });
      let obs = s.reset({ state: START }).obs;
      let k = 0;
      for (;;) {
        k++;
        const r = s.step(Float64Array.of(obs[1] >= 0 ? 1 : -1));
        obs = r.obs;
        if (r.terminated[0]) {
          expect(r.reward[0]).toBeCloseTo(99.9, 12);
          break;
        }
        expect(r.reward[0]).toBeCloseTo(-0.1, 15);
        expect(k).toBeLessThan(steps);
      }
      expect(k).toBe(steps);
    }
  });

  it('truncates after exactly 999 steps with zero throttle (reward 0 each step)', () => {
    const s = new EnvSession({ definition: continuous });
    s.reset({ state: START });
    for (let k = 1; k <= 999; k++) {
      const r = s.step(Float64Array.of(0));
      expect(r.terminated[0]).toBe(0);
      expect(r.truncated[0]).toBe(k === 999 ? 1 : 0);
      expect(r.reward[0] === 0).toBe(true);
    }
  });

  it('refuses throttle outside [-1, 1] and NaN', () => {
    const s = new EnvSession({ definition: continuous });
    s.reset({ seed: 0 });
    for (const a of [1.0001, -1.5, NaN, Infinity]) expect(() => s.step(Float64Array.of(a))).toThrow(expect.objectContaining({ code: 'out_of_bounds' }));
  });

  it('renders with both context values', () => {
    const s = new EnvSession({ definition: continuous, contexts: { power: 0.002 } });
    s.reset({ seed: 0 });
    expect(s.render().data).toContain('power=0.002');
  });
});
