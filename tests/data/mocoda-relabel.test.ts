/**
 * Relabelling for a target task: Navigation2D rewards and terminals recomputed for the new task equal the
 * environment's own reward function (and the task's goal formula); HookSweep2 rows get goals from the two-box goal
 * distribution (the same in s and s') and the definition's reward for them.
 */
import { describe, expect, it } from 'vitest';
import { makeDefinition } from '../../envs/registry.js';
import { EnvSession } from '../../src/core/session.js';
import { hookOneBoxExpert, navigationLShaped } from '../../src/data/mocoda/empirical.js';
import { relabelDataset } from '../../src/data/mocoda/relabel.js';

describe('relabelling', () => {
  const nav = navigationLShaped({ seed: 4, transitions: 6000 });

  it.each(['diagonal', 'up', 'right'] as const)('recomputes Navigation2D rewards for task %s as the environment gives them', (task) => {
    const r = relabelDataset(nav, { task });
    const goal = (x: number, y: number) => (task === 'diagonal' ? x > 0.8 && x < 0.9 && y > 0.8 && y < 0.9 : task === 'up' ? y > 0.9 : x > 0.9);
    let hits = 0;
    for (let i = 0; i < r.n; i++) {
      const g = goal(r.nextObservations[2 * i], r.nextObservations[2 * i + 1]);
      expect(r.terminals[i]).toBe(g ? 1 : 0);
      expect(r.rewards[i]).toBe(g ? 0 : -1);
      if (g) hits++;
    }
    expect(hits).toBeGreaterThan(0);
    // The environment itself, started in a row's state and given its action, pays the same reward.
    const env = new EnvSession({ definition: makeDefinition('Navigation2D-v0', { task }) });
    for (const i of [0, 17, 1234, 3999, 5999]) {
      env.reset({ seed: 0, state: r.observations.slice(2 * i, 2 * i + 2) });
      const step = env.step(r.actions.slice(2 * i, 2 * i + 2));
      expect(step.reward[0]).toBe(r.rewards[i]);
      expect(step.terminated[0]).toBe(r.terminals[i]);
    }
  });

  it('redraws HookSweep2 goals from the two-box goal distribution and rewards them with the definition', () => {
    const d = hookOneBoxExpert({ seed: 1, transitions: 300 });
    const r = relabelDataset(d, { seed: 9 });
    const def = makeDefinition('HookSweep2-v0');
    const want = new Float64Array(r.n);
    def.reward(r.observations, r.actions, r.nextObservations, r.terminals, r.n, want);
    let changed = 0;
    let away = 0;
    for (let i = 0; i < r.n; i++) {
      const o = 20 * i;
      expect(Array.from(r.observations.subarray(o + 16, o + 20))).toEqual(Array.from(r.nextObservations.subarray(o + 16, o + 20)));
      // Goal 2 sits 0.1 above goal 1 in y, both share the shift; x is 1.85 +- 0.31 + U(-0.1, 0.1).
      const gx = r.observations[o + 16];
      const gy = r.observations[o + 17];
      expect(r.observations[o + 18]).toBeCloseTo(gx, 12);
      expect(r.observations[o + 19] - gy).toBeCloseTo(0.1, 12);
      expect(gy >= 0.6 && gy < 0.8).toBe(true);
      const side = gx > 1.85 ? 0.31 : -0.31;
      expect(Math.abs(gx - 1.85 - side)).toBeLessThanOrEqual(0.1);
      if (side > 0) away++;
      if (gx !== d.observations[o + 16]) changed++;
      expect(r.rewards[i]).toBe(want[i]);
      // Everything else is untouched.
      expect(Array.from(r.observations.subarray(o, o + 16))).toEqual(Array.from(d.observations.subarray(o, o + 16)));
    }
    expect(changed).toBe(r.n);
    expect(away / r.n).toBeGreaterThan(0.4);
    expect(away / r.n).toBeLessThan(0.6);
  });
});
