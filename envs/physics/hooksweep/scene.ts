/**
 * The HookSweep2 scene (REFERENCE.md 1.5): a table, two 5 cm boxes and an L-shaped hook welded to a gripper that the
 * agent moves by 0.05 * a[:3] per step. Lengths in metres, z up, the robot on the -x side.
 */

export const TABLE_TOP = 0.4;
export const TABLE_X: readonly [number, number] = [1.08, 2.62];
export const TABLE_Y: readonly [number, number] = [0.15, 1.35];

export const BOX_HALF = 0.025;
export const BOX_MASS = 2;
/** Box centres at rest on the table. */
export const BOX_Z = TABLE_TOP + BOX_HALF;
export const BOX_BASE: readonly (readonly [number, number])[] = [[1.766, 0.75], [1.934, 0.75]];
export const BOX_SHIFT = 0.08;
/** Boxes are redrawn until their centres are more than this apart (see initial() for why centres, not shifts). */
export const BOX_MIN_SEPARATION = 0.1;

export const GRIP_START: readonly [number, number, number] = [1.342, 0.749, 0.535];
/** Gripper travel per env step at |a| = 1. */
export const GRIP_STEP = 0.05;
export const ENV_DT = 0.04;
export const SUBSTEPS = 4;

/** The hook in the gripper's frame: a shaft along +x and a head at its far end pointing to -y (half extents, centres). */
export const SHAFT_HALF: readonly [number, number, number] = [0.35, 0.015, 0.03];
export const SHAFT_OFFSET: readonly [number, number, number] = [0.3, 0, 0];
export const HEAD_HALF: readonly [number, number, number] = [0.015, 0.1, 0.03];
export const HEAD_OFFSET: readonly [number, number, number] = [0.635, -0.085, 0];

/**
 * The gripper's workspace. x reaches back to 0.8 because pulling a box to the near goal (x down to 1.44) puts the
 * gripper 0.635 m behind the hook's head. Kinematic bodies do not collide with static ones, so the lowest gripper
 * height keeps the hook's underside 2 mm above the table.
 */
export const GRIP_MIN: readonly [number, number, number] = [0.8, 0.1, TABLE_TOP + SHAFT_HALF[2] + 0.002];
export const GRIP_MAX: readonly [number, number, number] = [2.7, 1.4, 0.8];

export const GOAL_BASE: readonly (readonly [number, number, number])[] = [[1.85, 0.7, 0.42], [1.85, 0.8, 0.42]];
export const GOAL_SHIFT = 0.1;
/** Goals sit this far away from (+x) or toward (-x) the robot. */
export const GOAL_SIDE_OFFSET = 0.31;
export const SUCCESS_DISTANCE = 0.14;
export const GOAL_Z = 0.42;

export const FRICTION = 0.5;
export const EPISODE_STEPS = 75;
