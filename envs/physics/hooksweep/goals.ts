/**
 * HookSweep2's two-box goal distribution, on its own: MOCODA relabels augmented data with goals drawn from it, and
 * measures how often samples put both boxes where some goal of it would count as success (the "two-box goal region").
 * The draw follows sampleHookScene (task.ts): one shared shift U(-0.1, 0.1)^2 on both base goals, then x moved by
 * +0.31 (away) or -0.31 (toward), each with probability 1/2.
 */
import type { Rng } from '../../../src/core/rng.js';
import { O_BOX1, O_BOX2 } from './layout.js';
import { GOAL_BASE, GOAL_SHIFT, GOAL_SIDE_OFFSET, GOAL_Z, SUCCESS_DISTANCE } from './scene.js';
import type { GoalSide } from './task.js';

/** Draws goal xy (goal1 x, y, goal2 x, y) into out[offset ..]. */
export function sampleHookGoals(rng: Rng, side: GoalSide, out: Float64Array, offset: number): void {
  const sx = rng.uniform(-GOAL_SHIFT, GOAL_SHIFT);
  const sy = rng.uniform(-GOAL_SHIFT, GOAL_SHIFT);
  const away = side === 'random' ? rng.random() < 0.5 : side === 'away';
  const dx = away ? GOAL_SIDE_OFFSET : -GOAL_SIDE_OFFSET;
  out[offset] = GOAL_BASE[0][0] + sx + dx;
  out[offset + 1] = GOAL_BASE[0][1] + sy;
  out[offset + 2] = GOAL_BASE[1][0] + sx + dx;
  out[offset + 3] = GOAL_BASE[1][1] + sy;
}

/** True when (x, y) is a possible centre of goal k on the side moved by dx. */
function inGoalSupport(x: number, y: number, k: number, dx: number): boolean {
  return Math.abs(x - GOAL_BASE[k][0] - dx) <= GOAL_SHIFT && Math.abs(y - GOAL_BASE[k][1]) <= GOAL_SHIFT;
}

/** Grid resolution of the shift search: 21 x 21 shifts 0.01 apart, i.e. at most 7 mm from any shift. */
const SHIFT_STEPS = 20;

/**
 * True when the two-box task would score the observation at obs[o ..] a success for SOME goal draw: a goal pair of
 * one side (one shared shift) has both boxes within the success distance 0.14 (3-D, goal z = 0.42). The shift is
 * searched on a 0.01 grid over [-0.1, 0.1]^2, so a box within ~7 mm of the condition's edge may be misjudged. On its
 * own this is a loose measure: 0.14 is wide enough that a box left in the table's centre counts as "at" a near goal.
 */
export function twoBoxSuccessPossible(obs: Float64Array, o: number): boolean {
  return successForSide(obs, o, GOAL_SIDE_OFFSET, false) || successForSide(obs, o, -GOAL_SIDE_OFFSET, false);
}

/**
 * True when both boxes lie in the two-box goal region, defined from the goal distribution: each box's xy is a possible
 * centre of its own goal (x in 1.85 +- 0.31 + [-0.1, 0.1], the same side for both boxes; y in its base goal y +
 * [-0.1, 0.1]) AND twoBoxSuccessPossible holds for that side. The first condition keeps out the box left in the centre.
 */
export function inTwoBoxGoalRegion(obs: Float64Array, o: number): boolean {
  return successForSide(obs, o, GOAL_SIDE_OFFSET, true) || successForSide(obs, o, -GOAL_SIDE_OFFSET, true);
}

function successForSide(obs: Float64Array, o: number, dx: number, requireSupport: boolean): boolean {
  if (requireSupport && (!inGoalSupport(obs[o + O_BOX1], obs[o + O_BOX1 + 1], 0, dx) || !inGoalSupport(obs[o + O_BOX2], obs[o + O_BOX2 + 1], 1, dx))) return false;
  const r1sq = SUCCESS_DISTANCE ** 2 - (obs[o + O_BOX1 + 2] - GOAL_Z) ** 2;
  const r2sq = SUCCESS_DISTANCE ** 2 - (obs[o + O_BOX2 + 2] - GOAL_Z) ** 2;
  if (r1sq < 0 || r2sq < 0) return false;
  // Box k is within reach of goal k for shift s when |box_k - base_k - dx - s| <= r_k: two discs in shift space.
  const c1x = obs[o + O_BOX1] - GOAL_BASE[0][0] - dx;
  const c1y = obs[o + O_BOX1 + 1] - GOAL_BASE[0][1];
  const c2x = obs[o + O_BOX2] - GOAL_BASE[1][0] - dx;
  const c2y = obs[o + O_BOX2 + 1] - GOAL_BASE[1][1];
  // Quick rejection: two discs that miss each other.
  if (Math.hypot(c1x - c2x, c1y - c2y) > Math.sqrt(r1sq) + Math.sqrt(r2sq)) return false;
  for (let i = 0; i <= SHIFT_STEPS; i++) {
    const sx = -GOAL_SHIFT + (2 * GOAL_SHIFT * i) / SHIFT_STEPS;
    if ((sx - c1x) ** 2 > r1sq || (sx - c2x) ** 2 > r2sq) continue;
    for (let j = 0; j <= SHIFT_STEPS; j++) {
      const sy = -GOAL_SHIFT + (2 * GOAL_SHIFT * j) / SHIFT_STEPS;
      if ((sx - c1x) ** 2 + (sy - c1y) ** 2 <= r1sq && (sx - c2x) ** 2 + (sy - c2y) ** 2 <= r2sq) return true;
    }
  }
  return false;
}
