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
      const d = collectDataset({ envId, numAgents: 10, policy: 'pure-eps-40', seed: 2 });
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

  it('pure follows the documented controller; pure-eps-40 departs from it on about 40% x (1 - 1/|A|) of steps', () => {
    const pure = collectDataset({ envId: 'MountainCar-v0', numAgents: 10, policy: 'pure', seed: 3 });
    for (let i = 0; i < pure.n; i++) expect(pure.actions[i]).toBe(pure.observations[2 * i + 1] < 0 ? 0 : 2);
    expect(pure.terminals.reduce((s, x) => s + x, 0)).toBe(10);
    expect(pure.policyDescription).toMatch(/energy pumping/);
    const eps = collectDataset({ envId: 'MountainCar-v0', numAgents: 60, policy: 'pure-eps-40', seed: 3 });
    let off = 0;
    for (let i = 0; i < eps.n; i++) off += eps.actions[i] !== (eps.observations[2 * i + 1] < 0 ? 0 : 2) ? 1 : 0;
    // A random action equals the controller's 1/3 of the time: expected departure rate 0.4 * 2/3 = 0.267.
    expect(off / eps.n).toBeGreaterThan(0.22);
    expect(off / eps.n).toBeLessThan(0.31);
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
