/**
 * HookSweep2's task: initial scene and goals, the agent's observation, reward and success (REFERENCE.md 1.5).
 */
import type { Rng } from '../../../src/core/rng.js';
import { BODY_POS, BODY_PREV_POS, BODY_VEL, writeRestingPose } from '../shared/body-state.js';
import {
  HOOK_OBS_SIZE, HOOK_STATE_SIZE, O_BOX1, O_BOX1_VEL, O_BOX2, O_BOX2_VEL, O_GOAL1, O_GOAL2, O_GRIP, O_GRIP_VEL, S_BOX1, S_BOX2,
  S_GOAL1, S_GOAL2, S_GRIP, S_GRIP_DISP,
} from './layout.js';
import {
  BOX_BASE, BOX_MIN_SEPARATION, BOX_SHIFT, BOX_Z, ENV_DT, GOAL_BASE, GOAL_SHIFT, GOAL_SIDE_OFFSET, GOAL_Z, GRIP_START, SUCCESS_DISTANCE,
} from './scene.js';

/** Which side the goals are drawn on: "random" (the task: each with probability 1/2), or always one side. */
export type GoalSide = 'random' | 'away' | 'toward';

/**
 * Samples an initial scene into out[offset ..]. Each box is its base position shifted by U(-0.08, 0.08)^2, redrawn
 * until the two centres are more than 0.1 apart: REFERENCE.md words the rule as "the shifts differ by more than 0.1",
 * which lets the centres come within 8 mm (two 5 cm boxes inside each other), so the rule is applied to the centres.
 * Box 1 is then the one on the lower-y side. The gripper starts at its fixed start position.
 */
export function sampleHookScene(rng: Rng, side: GoalSide, out: Float64Array, offset: number): void {
  let p1: [number, number];
  let p2: [number, number];
  do {
    p1 = [BOX_BASE[0][0] + rng.uniform(-BOX_SHIFT, BOX_SHIFT), BOX_BASE[0][1] + rng.uniform(-BOX_SHIFT, BOX_SHIFT)];
    p2 = [BOX_BASE[1][0] + rng.uniform(-BOX_SHIFT, BOX_SHIFT), BOX_BASE[1][1] + rng.uniform(-BOX_SHIFT, BOX_SHIFT)];
  } while (Math.hypot(p1[0] - p2[0], p1[1] - p2[1]) <= BOX_MIN_SEPARATION);
  if (p1[1] > p2[1]) [p1, p2] = [p2, p1];
  const sx = rng.uniform(-GOAL_SHIFT, GOAL_SHIFT);
  const sy = rng.uniform(-GOAL_SHIFT, GOAL_SHIFT);
  const away = side === 'random' ? rng.random() < 0.5 : side === 'away';
  const dx = away ? GOAL_SIDE_OFFSET : -GOAL_SIDE_OFFSET;
  writeHookScene([GRIP_START[0], GRIP_START[1], GRIP_START[2]], p1, p2, [
    GOAL_BASE[0][0] + sx + dx, GOAL_BASE[0][1] + sy, GOAL_BASE[1][0] + sx + dx, GOAL_BASE[1][1] + sy,
  ], out, offset);
}

/** Writes a scene at rest: gripper position, box centres (on the table, upright) and goal xy (goal1 x, y, goal2 x, y). */
export function writeHookScene(grip: ArrayLike<number>, box1: ArrayLike<number>, box2: ArrayLike<number>, goals: ArrayLike<number>, out: Float64Array, offset: number): void {
  out.fill(0, offset, offset + HOOK_STATE_SIZE);
  out[offset + S_GRIP] = grip[0];
  out[offset + S_GRIP + 1] = grip[1];
  out[offset + S_GRIP + 2] = grip[2];
  writeRestingPose(out, offset + S_BOX1, box1[0], box1[1], BOX_Z, 0, 0, 0, 1);
  writeRestingPose(out, offset + S_BOX2, box2[0], box2[1], BOX_Z, 0, 0, 0, 1);
  out[offset + S_GOAL1] = goals[0];
  out[offset + S_GOAL1 + 1] = goals[1];
  out[offset + S_GOAL1 + 2] = GOAL_Z;
  out[offset + S_GOAL2] = goals[2];
  out[offset + S_GOAL2 + 1] = goals[3];
  out[offset + S_GOAL2 + 2] = GOAL_Z;
}

/** The 20-d observations of n states. */
export function observeHook(states: Float64Array, n: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const s = i * HOOK_STATE_SIZE;
    const o = i * HOOK_OBS_SIZE;
    for (let k = 0; k < 3; k++) {
      out[o + O_GRIP + k] = states[s + S_GRIP + k];
      // The gripper moves at constant velocity within a step, so velocity * dt is its displacement.
      out[o + O_GRIP_VEL + k] = states[s + S_GRIP_DISP + k];
      out[o + O_BOX1 + k] = states[s + S_BOX1 + BODY_POS + k];
      out[o + O_BOX2 + k] = states[s + S_BOX2 + BODY_POS + k];
    }
    for (let k = 0; k < 2; k++) {
      out[o + O_BOX1_VEL + k] = states[s + S_BOX1 + BODY_VEL + k] * ENV_DT;
      out[o + O_BOX2_VEL + k] = states[s + S_BOX2 + BODY_VEL + k] * ENV_DT;
      out[o + O_GOAL1 + k] = states[s + S_GOAL1 + k];
      out[o + O_GOAL2 + k] = states[s + S_GOAL2 + k];
    }
  }
}

/**
 * A state for each observation, assuming what the observation does not carry: boxes upright, not spinning, with no
 * vertical velocity. Exact for boxes resting flat on the table, which is where the task keeps them.
 */
export function hookStateFromObservation(obs: Float64Array, n: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const o = i * HOOK_OBS_SIZE;
    const s = i * HOOK_STATE_SIZE;
    const box1 = [obs[o + O_BOX1], obs[o + O_BOX1 + 1]];
    const box2 = [obs[o + O_BOX2], obs[o + O_BOX2 + 1]];
    writeHookScene(obs.subarray(o + O_GRIP, o + O_GRIP + 3), box1, box2, [obs[o + O_GOAL1], obs[o + O_GOAL1 + 1], obs[o + O_GOAL2], obs[o + O_GOAL2 + 1]], out, s);
    for (let k = 0; k < 3; k++) out[s + S_GRIP_DISP + k] = obs[o + O_GRIP_VEL + k];
    for (const [so, oo, ov] of [[S_BOX1, O_BOX1, O_BOX1_VEL], [S_BOX2, O_BOX2, O_BOX2_VEL]] as const) {
      out[s + so + BODY_POS + 2] = obs[o + oo + 2];
      out[s + so + BODY_PREV_POS + 2] = obs[o + oo + 2];
      out[s + so + BODY_VEL] = obs[o + ov] / ENV_DT;
      out[s + so + BODY_VEL + 1] = obs[o + ov + 1] / ENV_DT;
    }
  }
}

/** Distances of both boxes to their goals (3-D, goal z = 0.42) in the observation at obs[o ..]. */
export function goalDistances(obs: Float64Array, o: number): [number, number] {
  const d1 = Math.hypot(obs[o + O_BOX1] - obs[o + O_GOAL1], obs[o + O_BOX1 + 1] - obs[o + O_GOAL1 + 1], obs[o + O_BOX1 + 2] - GOAL_Z);
  const d2 = Math.hypot(obs[o + O_BOX2] - obs[o + O_GOAL2], obs[o + O_BOX2 + 1] - obs[o + O_GOAL2 + 1], obs[o + O_BOX2 + 2] - GOAL_Z);
  return [d1, d2];
}

/** The reward of reaching the observation at obs[o ..] (REFERENCE.md 1.5). */
export function hookRewardOf(obs: Float64Array, o: number): number {
  const [d1, d2] = goalDistances(obs, o);
  const success = d1 <= SUCCESS_DISTANCE && d2 <= SUCCESS_DISTANCE ? 1 : 0;
  const clip = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);
  const bonus = clip(0.5 - 5 * Math.abs(obs[o + O_GRIP + 2] - GOAL_Z), 0, 0.5) * (1 - success);
  const r = success - 1 - 0.1 * clip(d1 / SUCCESS_DISTANCE, 0, 1) - 0.1 * clip(d2 / SUCCESS_DISTANCE, 0, 1) + bonus;
  return clip(r, -1, 0);
}

/** The task's success flag for a reward: |reward| < 0.3. */
export function hookSuccess(reward: number): boolean {
  return Math.abs(reward) < 0.3;
}
