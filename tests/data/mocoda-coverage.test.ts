/**
 * HookSweep2's two-box goal region: boxes placed on a goal pair drawn from the goal distribution are inside; a box
 * left in the table's centre is outside even within the 0.14 success radius of a near goal; the one-box expert's data
 * has (almost) none inside. The loose measure (success for some goal draw) counts the centre box too.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { sampleHookGoals } from '../../envs/physics/hooksweep/goals.js';
import { hookOneBoxExpert } from '../../src/data/mocoda/empirical.js';
import { flatSupportCoverage, twoBoxGoalCoverage } from '../../src/data/mocoda/coverage.js';

function obsWith(box1: [number, number], box2: [number, number], z = 0.425): Float64Array {
  const o = new Float64Array(20);
  o.set([1.3, 0.75, 0.53], 0);
  o.set([box1[0], box1[1], z], 6);
  o.set([box2[0], box2[1], z], 11);
  return o;
}

describe('two-box goal region', () => {
  it('contains boxes resting on a drawn goal pair (give or take a few cm), either side', () => {
    const rng = Rng.fromSeed(3);
    const g = new Float64Array(4);
    for (let i = 0; i < 200; i++) {
      sampleHookGoals(rng, 'random', g, 0);
      // Each box 2 cm from its goal, toward the middle of where that goal can be (so it stays within the support).
      const cx = g[0] > 1.85 ? 2.16 : 1.54;
      const toward = (v: number, c: number) => v + 0.02 * Math.sign(c - v);
      expect(twoBoxGoalCoverage(obsWith([toward(g[0], cx), toward(g[1], 0.7)], [toward(g[2], cx), toward(g[3], 0.8)]), 1).count).toBe(1);
    }
  });

  it('excludes a box left in the centre, a box off the table and boxes on different sides', () => {
    // Box 1 at the near goal, box 2 where the one-box expert leaves it (within 0.14 of a near goal 2 at x 1.64).
    const centre = twoBoxGoalCoverage(obsWith([1.54, 0.7], [1.75, 0.8]), 1);
    expect(centre.count).toBe(0);
    // ... which the loose measure (success for some goal draw) does count: goals shifted by +0.1 in x reach both.
    expect(centre.successFraction).toBe(1);
    expect(twoBoxGoalCoverage(obsWith([1.54, 0.7], [2.16, 0.8]), 1).count).toBe(0);
    expect(twoBoxGoalCoverage(obsWith([1.54, 0.7], [1.54, 0.8], 0.1), 1).count).toBe(0);
    expect(twoBoxGoalCoverage(obsWith([1.54, 0.7], [1.54, 0.8]), 1).count).toBe(1);
  });

  it('is (almost) never reached by the one-box expert\'s data', () => {
    const d = hookOneBoxExpert({ seed: 0, transitions: 2000 });
    expect(twoBoxGoalCoverage(d.nextObservations, d.n).fraction).toBeLessThan(0.01);
  });
});

describe('flat-support coverage (the share of MOCODA-P\'s target distribution)', () => {
  // Each box in one of two 5 cm cells: at its near goal (inside the region) or in a centre slot (outside), with 10% of
  // the rows at the goal. Flat over the support, each box is at its goal half the time: 1/4 of pairs are inside.
  function rows(n: number, rng: Rng): Float64Array {
    const out = new Float64Array(n * 20);
    const jitter = () => rng.uniform(-0.01, 0.01);
    for (let i = 0; i < n; i++) {
      const b1: [number, number] = rng.random() < 0.1 ? [1.525 + jitter(), 0.725 + jitter()] : [1.775 + jitter(), 0.775 + jitter()];
      const b2: [number, number] = rng.random() < 0.1 ? [1.525 + jitter(), 0.775 + jitter()] : [1.925 + jitter(), 0.775 + jitter()];
      out.set(obsWith(b1, b2), i * 20);
    }
    return out;
  }

  it('weights each occupied cell equally, whatever the mass there', () => {
    const rng = Rng.fromSeed(11);
    const obs = rows(4000, rng);
    const massShare = twoBoxGoalCoverage(obs, 4000).fraction;
    expect(massShare).toBeLessThan(0.03); // about 0.1 x 0.1
    const flat = flatSupportCoverage(obs, 4000, rng, { cell: 0.05, draws: 40_000 });
    expect(flat.cells).toEqual([2, 2]);
    // Binomial standard error at 40,000 draws is about 0.002.
    expect(Math.abs(flat.fraction - 0.25)).toBeLessThan(0.01);
  });

  it('drops cells with fewer rows than minCount from the support', () => {
    const rng = Rng.fromSeed(12);
    const obs = rows(4000, rng);
    // One stray row puts box 1 far away: with minCount 2 it is not part of the support.
    obs.set(obsWith([2.5, 1.2], [1.925, 0.775]), 0);
    expect(flatSupportCoverage(obs, 4000, rng, { cell: 0.05, minCount: 1, draws: 1000 }).cells[0]).toBe(3);
    expect(flatSupportCoverage(obs, 4000, rng, { cell: 0.05, minCount: 2, draws: 1000 }).cells[0]).toBe(2);
    expect(() => flatSupportCoverage(obs, 4000, rng, { cell: 0 })).toThrow(/cell > 0/);
  });
});
