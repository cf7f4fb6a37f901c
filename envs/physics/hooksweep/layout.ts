/**
 * HookSweep2's state and observation layouts. The state keeps both boxes' full cannon-es states (for exact restores),
 * the gripper and its last displacement, and the goals drawn at reset; the agent's 20-d observation is the paper's
 * 16-d state plus the goals' xy.
 */
import { BODY_STATE_SIZE } from '../shared/body-state.js';

export const S_GRIP = 0;
export const S_GRIP_DISP = 3;
export const S_BOX1 = 6;
export const S_BOX2 = S_BOX1 + BODY_STATE_SIZE;
export const S_GOAL1 = S_BOX2 + BODY_STATE_SIZE;
export const S_GOAL2 = S_GOAL1 + 3;
export const HOOK_STATE_SIZE = S_GOAL2 + 3;

export const O_GRIP = 0;
export const O_GRIP_VEL = 3;
export const O_BOX1 = 6;
export const O_BOX1_VEL = 9;
export const O_BOX2 = 11;
export const O_BOX2_VEL = 14;
export const O_GOAL1 = 16;
export const O_GOAL2 = 18;
export const HOOK_OBS_SIZE = 20;
/** The paper's state: the observation without goals. */
export const HOOK_CORE_SIZE = 16;
export const HOOK_ACTION_SIZE = 4;
