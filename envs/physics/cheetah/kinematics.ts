/**
 * The cheetah's state layout and the map between it and MuJoCo's generalized coordinates (qpos: rootx, rootz, rooty and
 * six hinge angles; qvel: their rates). The state holds every body's full cannon-es state (so a world is restored
 * bit-exactly), the root x before the last step (for the velocity observation) and the unwrapped torso angle (a body
 * quaternion only knows the angle modulo 2 pi, MuJoCo's rooty keeps counting when the cheetah flips).
 */
import { BODY_ANGVEL, BODY_QUAT, BODY_STATE_SIZE, BODY_VEL, writeRestingPose } from '../shared/body-state.js';
import { LINKS, NUM_JOINTS, NUM_LINKS, TORSO_HEIGHT, linkBodies, rotX, rotZ } from './model.js';

export const X_BEFORE = NUM_LINKS * BODY_STATE_SIZE;
export const ROOTY = X_BEFORE + 1;
export const CHEETAH_STATE_SIZE = ROOTY + 1;
/** Generalized coordinates: rootx, rootz, rooty, then the joints in LINKS order. */
export const NQ = 3 + NUM_JOINTS;

const BODIES = linkBodies();

/** Wraps an angle into (-pi, pi]. */
export function wrapAngle(a: number): number {
  const t = Math.PI * 2;
  let r = a % t;
  if (r > Math.PI) r -= t;
  else if (r <= -Math.PI) r += t;
  return r;
}

/** The angle about y of link i stored at states[offset ..], in (-pi, pi]. */
export function linkAngle(states: Float64Array, offset: number, i: number): number {
  const o = offset + i * BODY_STATE_SIZE + BODY_QUAT;
  return wrapAngle(2 * Math.atan2(states[o + 1], states[o + 3]));
}

/**
 * Writes a full state for generalized positions and velocities (forward kinematics). The previous pose equals the pose
 * and the root x before the step equals the current one, so the first velocity observation is 0.
 */
export function stateFromGeneralized(qpos: ArrayLike<number>, qvel: ArrayLike<number>, out: Float64Array, offset: number): void {
  const ox = new Float64Array(NUM_LINKS);
  const oz = new Float64Array(NUM_LINKS);
  const th = new Float64Array(NUM_LINKS);
  const vx = new Float64Array(NUM_LINKS);
  const vz = new Float64Array(NUM_LINKS);
  const w = new Float64Array(NUM_LINKS);
  for (let i = 0; i < NUM_LINKS; i++) {
    const spec = LINKS[i];
    if (spec.parent < 0) {
      ox[i] = qpos[0];
      oz[i] = TORSO_HEIGHT + qpos[1];
      th[i] = qpos[2];
      vx[i] = qvel[0];
      vz[i] = qvel[1];
      w[i] = qvel[2];
    } else {
      const p = spec.parent;
      const rx = rotX(th[p], spec.posX, spec.posZ);
      const rz = rotZ(th[p], spec.posX, spec.posZ);
      ox[i] = ox[p] + rx;
      oz[i] = oz[p] + rz;
      th[i] = th[p] + qpos[2 + i];
      vx[i] = vx[p] + w[p] * rz;
      vz[i] = vz[p] - w[p] * rx;
      w[i] = w[p] + qvel[2 + i];
    }
    const b = BODIES[i];
    const cx = rotX(th[i], b.comX, b.comZ);
    const cz = rotZ(th[i], b.comX, b.comZ);
    const o = offset + i * BODY_STATE_SIZE;
    writeRestingPose(out, o, ox[i] + cx, 0, oz[i] + cz, 0, Math.sin(th[i] / 2), 0, Math.cos(th[i] / 2));
    out[o + BODY_VEL] = vx[i] + w[i] * cz;
    out[o + BODY_VEL + 2] = vz[i] - w[i] * cx;
    out[o + BODY_ANGVEL + 1] = w[i];
  }
  out[offset + X_BEFORE] = qpos[0];
  out[offset + ROOTY] = qpos[2];
}

/** The torso frame origin's x (MuJoCo's rootx) of the state at states[offset ..]. */
export function rootX(states: Float64Array, offset: number): number {
  const b = BODIES[0];
  return states[offset] - rotX(linkAngle(states, offset, 0), b.comX, b.comZ);
}

/** Generalized positions and velocities of a state (inverse of stateFromGeneralized up to rounding). */
export function generalizedFromState(states: Float64Array, offset: number, qpos: Float64Array, qvel: Float64Array): void {
  const b = BODIES[0];
  const th = linkAngle(states, offset, 0);
  const cx = rotX(th, b.comX, b.comZ);
  const cz = rotZ(th, b.comX, b.comZ);
  const w0 = states[offset + BODY_ANGVEL + 1];
  qpos[0] = states[offset] - cx;
  qpos[1] = states[offset + 2] - cz - TORSO_HEIGHT;
  qpos[2] = states[offset + ROOTY];
  // The frame origin moves with the centre of mass plus the rotation of the lever from the centre to the origin.
  qvel[0] = states[offset + BODY_VEL] - w0 * cz;
  qvel[1] = states[offset + BODY_VEL + 2] + w0 * cx;
  qvel[2] = w0;
  for (let i = 1; i < NUM_LINKS; i++) {
    const p = LINKS[i].parent;
    qpos[2 + i] = wrapAngle(linkAngle(states, offset, i) - linkAngle(states, offset, p));
    qvel[2 + i] = states[offset + i * BODY_STATE_SIZE + BODY_ANGVEL + 1] - states[offset + p * BODY_STATE_SIZE + BODY_ANGVEL + 1];
  }
}
