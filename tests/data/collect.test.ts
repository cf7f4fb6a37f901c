/**
 * Offline collection (PerSim datasets): determinism under a seed, the test agents at ids 0-4, transitions that are the
 * environment's own formula, one trajectory per agent with terminated and truncated kept apart, and behaviour policies
 * that do what they say.
 */
import { describe, expect, it } from 'vitest';
import { collectDataset, parsePolicy } from '../../src/data/collect.js';
import { agentRanges, datasetFingerprint } from '../../src/data/dataset.js';
import { mountainCarStep } from '../../envs/classic/mountain-car.js';
import { cartPoleStep } from '../../envs/classic/cart-pole.js';
import type { TransitionBatch } from '../../src/core/definition.js';
import { policyContextFor, pureController } from '../../src/data/controllers.js';
import { makeDefinition } from '../../envs/registry.js';

function replay(step: (b: TransitionBatch) => void, obs: Float64Array, act: Float64Array, ctx: Float64Array, S: number): Float64Array {
  const next = new Float64Array(S);
  step({ n: 1, states: obs, actions: act, contexts: ctx, next, rngs: [] });
  return next;
}

describe('collectDataset', () => {
  it('is deterministic under a seed and changes with it', () => {
    const a = collectDataset({ envId: 'MountainCar-v0', numAgents: 8, policy: 'random', seed: 5 });
    const b = collectDataset({ envId: 'MountainCar-v0', numAgents: 8, policy: 'random', seed: 5 });
    const c = collectDataset({ envId: 'MountainCar-v0', numAgents: 8, policy: 'random', seed: 6 });
    expect(datasetFingerprint(a)).toBe(datasetFingerprint(b));
    expect(datasetFingerprint(a)).not.toBe(datasetFingerprint(c));
  });

  it('puts the five PerSim test agents first and draws the rest inside the ranges, masses at their defaults', () => {
    const d = collectDataset({ envId: 'CartPole-v0', numAgents: 40, policy: 'random', seed: 1 });
    expect(d.testAgents).toEqual([0, 1, 2, 3, 4]);
    const row = (i: number) => Array.from(d.agentContexts.subarray(i * 4, i * 4 + 4));
    expect([0, 1, 2, 3, 4].map(row)).toEqual([[2, 0.5, 1, 0.1], [10, 0.5, 1, 0.1], [18, 0.5, 1, 0.1], [10, 0.85, 1, 0.1], [10, 0.15, 1, 0.1]]);
    for (let i = 5; i < 40; i++) {
      const [f, l, mc, mp] = row(i);
      expect(f).toBeGreaterThanOrEqual(2);
      expect(f).toBeLessThan(18);
      expect(l).toBeGreaterThanOrEqual(0.15);
      expect(l).toBeLessThan(0.85);
      expect([mc, mp]).toEqual([1, 0.1]);
    }
  });

  it('stores the true transitions, one trajectory per agent, with terminated and truncated apart', () => {
    for (const [envId, step, S, limit] of [['MountainCar-v0', mountainCarStep, 2, 500], ['CartPole-v0', cartPoleStep, 4, 200]] as const) {
      const d = collectDataset({ envId, numAgents: 5, policy: 'pure-eps-40', seed: 2 });
      const C = d.contextNames.length;
      const ranges = agentRanges(d);
      ranges.forEach(([s, e], agent) => {
        expect(e).toBeGreaterThan(s);
        for (let i = s; i < e; i++) {
          const next = replay(step, d.observations.slice(i * S, i * S + S), d.actions.slice(i, i + 1), d.agentContexts.slice(agent * C, agent * C + C), S);
          expect(Array.from(d.nextObservations.subarray(i * S, i * S + S))).toEqual(Array.from(next));
          if (i + 1 < e) {
            expect(d.terminals[i] + d.timeouts[i]).toBe(0);
            expect(Array.from(d.observations.subarray((i + 1) * S, (i + 2) * S))).toEqual(Array.from(next));
          }
        }
        // The last row ends the episode: terminated by the env, or truncated exactly at the time limit.
        expect(d.terminals[e - 1] + d.timeouts[e - 1]).toBe(1);
        if (d.timeouts[e - 1]) expect(e - s).toBe(limit);
      });
    }
  });

  it('pure MountainCar plans with the nearest policy-training gravity, reaches the flag and uses every action', () => {
    const mc = makeDefinition('MountainCar-v0');
    const gravityRow = (gravity: number) => { const r = Float64Array.from(mc.context.defaults); mc.context.apply({ gravity }, r, 0); return r; };
    const planned = (gravity: number) => policyContextFor(mc, gravityRow(gravity))[mc.context.names.indexOf('gravity')];
    expect([0.0001, 0.0007, 0.0008, 0.0015, 0.0022, 0.0035].map(planned)).toEqual([0.0004, 0.0004, 0.0011, 0.0018, 0.0025, 0.0032]);
    const pure = collectDataset({ envId: 'MountainCar-v0', numAgents: 6, policy: 'pure', seed: 3 });
    expect(pure.terminals.reduce((s, x) => s + x, 0)).toBe(6);
    expect(pure.timeouts.reduce((s, x) => s + x, 0)).toBe(0);
    const used = new Set(Array.from(pure.actions));
    expect([...used].sort()).toEqual([0, 1, 2]);
    // Unlike energy pumping, the planned pushes are not a function of the velocity's sign alone.
    let against = 0;
    for (let i = 0; i < pure.n; i++) if ((pure.actions[i] === 0 && pure.observations[2 * i + 1] > 0) || (pure.actions[i] === 2 && pure.observations[2 * i + 1] < 0)) against++;
    expect(against).toBeGreaterThan(0);
    expect(pure.policyDescription).toMatch(/random-shooting MPC .* nearest policy-training context/);
    // An agent's controller is the planner for the policy-training gravity: agents at 0.0019 and 0.0018 act alike.
    const def = makeDefinition('MountainCar-v0');
    const row = (gravity: number) => { const r = Float64Array.from(def.context.defaults); def.context.apply({ gravity }, r, 0); return r; };
    const near = pureController('MountainCar-v0')!.forAgent(def, row(0.0019), 5);
    const exact = pureController('MountainCar-v0')!.forAgent(def, row(0.0018), 5);
    const far = pureController('MountainCar-v0')!.forAgent(def, row(0.0032), 5);
    const a = new Float64Array(3);
    let differs = 0;
    for (let i = 0; i < 40; i++) {
      const obs = pure.observations.subarray(2 * i, 2 * i + 2);
      near(obs, 0, i, a, 0);
      exact(obs, 0, i, a, 1);
      far(obs, 0, i, a, 2);
      expect(a[0]).toBe(a[1]);
      if (a[2] !== a[1]) differs++;
    }
    expect(differs).toBeGreaterThan(0);
  });

  it('pure CartPole follows its linear law, and every agent balances the 200 steps', () => {
    const law = (o: Float64Array, i: number) => (0.1 * o[4 * i] + 0.5 * o[4 * i + 1] + 10 * o[4 * i + 2] + 2 * o[4 * i + 3] > 0 ? 1 : 0);
    const pure = collectDataset({ envId: 'CartPole-v0', numAgents: 10, policy: 'pure', seed: 3 });
    for (let i = 0; i < pure.n; i++) expect(pure.actions[i]).toBe(law(pure.observations, i));
    expect(pure.timeouts.reduce((s, x) => s + x, 0)).toBe(10);
    expect(pure.policyDescription).toMatch(/linear state feedback/);
    // Only MountainCar's pure policy plans, so only it has policy-training contexts.
    expect(() => policyContextFor(makeDefinition('CartPole-v0'), new Float64Array(4))).toThrow(/no policy-training contexts/);
  });

  it('pure follows a fixed law where one is documented; pure-eps-40 departs from it on about 40% of steps (continuous actions)', () => {
    const def = makeDefinition('HalfCheetah-v0');
    const law = pureController('HalfCheetah-v0')!.forAgent(def, Float64Array.from(def.context.defaults), 0);
    const departures = (policy: string, agents: number) => {
      const d = collectDataset({ envId: 'HalfCheetah-v0', numAgents: agents, policy, seed: 3, maxSteps: 30 });
      const A = d.actionSize;
      const a = new Float64Array(A);
      let off = 0;
      for (const [s, e] of agentRanges(d)) {
        for (let i = s; i < e; i++) {
          law(d.observations, i * d.obsSize, i - s, a, 0);
          if (a.some((x, k) => x !== d.actions[i * A + k])) off++;
        }
      }
      return off / d.n;
    };
    expect(departures('pure', 5)).toBe(0);
    // A uniform random action never equals the gait's: the departure rate is the epsilon (600 steps: sd 0.02).
    const rate = departures('pure-eps-40', 20);
    expect(rate).toBeGreaterThan(0.32);
    expect(rate).toBeLessThan(0.48);
  });

  it('maxSteps cuts every trajectory at that length and marks the cut as truncated', () => {
    const full = collectDataset({ envId: 'MountainCar-v0', numAgents: 6, policy: 'random', seed: 2 });
    const cut = collectDataset({ envId: 'MountainCar-v0', numAgents: 6, policy: 'random', seed: 2, maxSteps: 30 });
    const fr = agentRanges(full);
    agentRanges(cut).forEach(([lo, hi], a) => {
      // Random MountainCar never reaches the flag within 30 steps: every trajectory is exactly 30 rows, the prefix of
      // the uncut one (same streams), ending in a truncation.
      expect(hi - lo).toBe(30);
      expect(Array.from(cut.observations.subarray(lo * 2, hi * 2))).toEqual(Array.from(full.observations.subarray(fr[a][0] * 2, (fr[a][0] + 30) * 2)));
      expect(cut.timeouts[hi - 1]).toBe(1);
      expect(Array.from(cut.timeouts.subarray(lo, hi - 1)).every((x) => x === 0)).toBe(true);
      expect(cut.terminals[hi - 1]).toBe(0);
    });
    expect(() => collectDataset({ envId: 'MountainCar-v0', numAgents: 6, policy: 'random', seed: 2, maxSteps: 0 })).toThrow(/maxSteps/);
  });

  it('refuses unknown policies with the list of valid ones', () => {
    expect(() => parsePolicy('greedy')).toThrow(/random, pure, pure-eps-20 or pure-eps-40/);
    expect(parsePolicy('pure-eps-20')).toEqual({ name: 'pure-eps-20', pure: true, eps: 0.2 });
  });
});
