/**
 * HookSweep2's coverage measure: the fraction of samples whose state has both boxes in the two-box goal region, i.e.
 * where some goal drawn from the task's goal distribution would score the two-box task a success (definition and
 * tolerance in envs/physics/hooksweep/goals.ts). The one-box expert's data almost never has both boxes there; a
 * sampling distribution that covers it gives offline RL the states the target task needs.
 */
import { inTwoBoxGoalRegion, twoBoxSuccessPossible } from '../../../envs/physics/hooksweep/goals.js';
import { HOOK_OBS_SIZE } from '../../../envs/physics/hooksweep/layout.js';

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
