/**
 * CoDA swaps only independent parts: every transition it makes from the L-shaped Navigation2D data must be what the
 * TRUE environment does from that state with that action (checked by stepping the real dynamics), lies outside the
 * entangled quadrant (where nothing is independent), and many of them are new (not copies of a real row).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { codaAugment, codaParts } from '../../src/data/mocoda/coda.js';
import { HOOK_ID, mocodaDefinition, NAV_ID, transitionsOf } from '../../src/data/mocoda/common.js';
import { hookOneBoxExpert, navigationLShaped } from '../../src/data/mocoda/empirical.js';
import { trueNextObservations } from '../../src/data/mocoda/true-error.js';

describe('CoDA', () => {
  const def = mocodaDefinition(NAV_ID);
  const data = navigationLShaped({ seed: 2, transitions: 8000 });

  it('splits Navigation2D\'s separate region into (x, ax -> x\') and (y, ay -> y\'), and nothing in the quadrant', () => {
    const parts = codaParts(def.causal!.spec());
    expect(parts[0]).toEqual([{ obs: [0], action: [0], next: [0] }, { obs: [1], action: [1], next: [1] }]);
    expect(parts[1]).toHaveLength(1);
  });

  it('makes transitions that the true dynamics reproduce exactly, all outside the entangled quadrant', () => {
    const n = 4000;
    const out = codaAugment(def, transitionsOf(data), n, Rng.fromSeed(5));
    expect(out.n).toBe(n);
    const truth = trueNextObservations(def, out);
    let worst = 0;
    for (let i = 0; i < 2 * n; i++) worst = Math.max(worst, Math.abs(truth[i] - out.nextObservations[i]));
    expect(worst).toBe(0);
    const real = new Set<string>();
    for (let i = 0; i < data.n; i++) real.add(`${data.observations[2 * i]},${data.observations[2 * i + 1]},${data.actions[2 * i]},${data.actions[2 * i + 1]}`);
    let fresh = 0;
    let mixedHalves = 0;
    for (let i = 0; i < n; i++) {
      const x = out.observations[2 * i];
      const y = out.observations[2 * i + 1];
      expect(x > 0.5 && y > 0.5).toBe(false);
      if (!real.has(`${x},${y},${out.actions[2 * i]},${out.actions[2 * i + 1]}`)) fresh++;
      // A bottom-to-top x drive joined with a left-to-right y drive: a diagonal action the data never has.
      if (out.actions[2 * i] > 0.3 && out.actions[2 * i + 1] > 0.3) mixedHalves++;
    }
    expect(fresh / n).toBeGreaterThan(0.9);
    expect(mixedHalves).toBeGreaterThan(n / 10);
  });

  it('refuses HookSweep2, whose masks never split (the gripper and action reach every child)', () => {
    const hook = mocodaDefinition(HOOK_ID);
    const d = hookOneBoxExpert({ seed: 0, transitions: 100 });
    expect(() => codaAugment(hook, transitionsOf(d), 10, Rng.fromSeed(0))).toThrow(/independent parts/);
  });
});
