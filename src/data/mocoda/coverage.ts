/**
 * HookSweep2's coverage measure: the fraction of samples whose state has both boxes in the two-box goal region, i.e.
 * where some goal drawn from the task's goal distribution would score the two-box task a success (definition and
 * tolerance in envs/physics/hooksweep/goals.ts). The one-box expert's data almost never has both boxes there; a
 * sampling distribution that covers it gives offline RL the states the target task needs.
 */
import { inTwoBoxGoalRegion, twoBoxSuccessPossible } from '../../../envs/physics/hooksweep/goals.js';
import { HOOK_OBS_SIZE, O_BOX1, O_BOX2 } from '../../../envs/physics/hooksweep/layout.js';
import type { Rng } from '../../core/rng.js';

/** Coverage of the two-box goal region by n observations (rows of 20). */
export interface GoalCoverage {
  /** Fraction of the rows with both boxes in the region. */
  fraction: number;
  count: number;
  n: number;
  /** The loose measure: rows the two-box task would score a success for some goal draw (goals.ts). */
  successFraction: number;
}

/** Counts the rows of `obs` (HookSweep2 observations) with both boxes in the two-box goal region. */
export function twoBoxGoalCoverage(obs: Float64Array, n: number): GoalCoverage {
  let count = 0;
  let success = 0;
  for (let i = 0; i < n; i++) {
    if (inTwoBoxGoalRegion(obs, i * HOOK_OBS_SIZE)) count++;
    if (twoBoxSuccessPossible(obs, i * HOOK_OBS_SIZE)) success++;
  }
  return { fraction: n === 0 ? 0 : count / n, count, n, successFraction: n === 0 ? 0 : success / n };
}

/** Settings of flatSupportCoverage. */
export interface FlatSupportOptions {
  /** Side of the square xy cells that discretise each box's support, in metres (default 0.02). */
  cell?: number;
  /** A cell belongs to the support when at least this many rows put the box in it (default 3): drops stray tails. */
  minCount?: number;
  /** Monte Carlo draws (default 100,000). */
  draws?: number;
}

/** The coverage of an exactly flat distribution over a sample's box-position support. */
export interface FlatSupportCoverage extends Omit<GoalCoverage, 'count'> {
  /** Support cells of box 1 and of box 2. */
  cells: [number, number];
}

/**
 * The two-box coverage of the distribution MOCODA-P aims at: exactly uniform over the support the rows give each box's
 * xy, with the boxes independent (as MOCODA's parent distribution makes them). Each box's support is the set of
 * occupied xy cells; a draw picks a cell per box uniformly, then a row in that cell for the box's position. A KDE-based
 * rejection only approximates this target (its smoothed density over-weights some areas), so MOCODA-P's own share can
 * differ from it in either direction; this is what the definition itself implies.
 */
export function flatSupportCoverage(obs: Float64Array, n: number, rng: Rng, options: FlatSupportOptions = {}): FlatSupportCoverage {
  const cell = options.cell ?? 0.02;
  const minCount = options.minCount ?? 3;
  const draws = options.draws ?? 100_000;
  if (!(cell > 0) || !Number.isInteger(minCount) || minCount < 1 || !Number.isInteger(draws) || draws < 1) {
    throw new RangeError(`flatSupportCoverage needs cell > 0 and integer minCount, draws >= 1 (got ${cell}, ${minCount}, ${draws})`);
  }
  const support = (at: number): number[][] => {
    const cells = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      const o = i * HOOK_OBS_SIZE + at;
      const key = `${Math.floor(obs[o] / cell)},${Math.floor(obs[o + 1] / cell)}`;
      const rows = cells.get(key);
      if (rows) rows.push(i);
      else cells.set(key, [i]);
    }
    return [...cells.values()].filter((rows) => rows.length >= minCount);
  };
  const s1 = support(O_BOX1);
  const s2 = support(O_BOX2);
  if (s1.length === 0 || s2.length === 0) return { fraction: 0, n: draws, successFraction: 0, cells: [s1.length, s2.length] };
  const pick = (s: number[][]): number => {
    const rows = s[Math.floor(rng.random() * s.length)];
    return rows[Math.floor(rng.random() * rows.length)];
  };
  const row = new Float64Array(HOOK_OBS_SIZE);
  let inside = 0;
  let success = 0;
  for (let t = 0; t < draws; t++) {
    const i = pick(s1);
    const j = pick(s2);
    row.set(obs.subarray(i * HOOK_OBS_SIZE, (i + 1) * HOOK_OBS_SIZE));
    row.set(obs.subarray(j * HOOK_OBS_SIZE + O_BOX2, j * HOOK_OBS_SIZE + O_BOX2 + 3), O_BOX2);
    if (inTwoBoxGoalRegion(row, 0)) inside++;
    if (twoBoxSuccessPossible(row, 0)) success++;
  }
  return { fraction: inside / draws, n: draws, successFraction: success / draws, cells: [s1.length, s2.length] };
}
