/**
 * A cannon-es body's dynamic state as 20 float64 numbers, and its exact restore. Replay is bit-exact across worlds and
 * processes only when the restore also copies the previous pose, clears accumulated force and torque, recomputes the
 * world inertia and marks the bounding box stale (REFERENCE.md 1.4, verified facts); a pose-and-velocity restore is not.
 */
import type { Body } from 'cannon-es';

/** Layout of one body inside a state vector. */
export const BODY_POS = 0;
export const BODY_QUAT = 3;
export const BODY_VEL = 7;
export const BODY_ANGVEL = 10;
export const BODY_PREV_POS = 13;
export const BODY_PREV_QUAT = 16;
export const BODY_STATE_SIZE = 20;

/** Writes the body's state into out[offset .. offset + BODY_STATE_SIZE). */
export function saveBody(body: Body, out: Float64Array, offset: number): void {
  const p = body.position;
  const q = body.quaternion;
  const v = body.velocity;
  const w = body.angularVelocity;
  const pp = body.previousPosition;
  const pq = body.previousQuaternion;
  out[offset] = p.x; out[offset + 1] = p.y; out[offset + 2] = p.z;
  out[offset + 3] = q.x; out[offset + 4] = q.y; out[offset + 5] = q.z; out[offset + 6] = q.w;
  out[offset + 7] = v.x; out[offset + 8] = v.y; out[offset + 9] = v.z;
  out[offset + 10] = w.x; out[offset + 11] = w.y; out[offset + 12] = w.z;
  out[offset + 13] = pp.x; out[offset + 14] = pp.y; out[offset + 15] = pp.z;
  out[offset + 16] = pq.x; out[offset + 17] = pq.y; out[offset + 18] = pq.z; out[offset + 19] = pq.w;
}

/** Puts the body exactly into the state saved at src[offset ..]. */
export function restoreBody(body: Body, src: Float64Array, offset: number): void {
  body.position.set(src[offset], src[offset + 1], src[offset + 2]);
  body.quaternion.set(src[offset + 3], src[offset + 4], src[offset + 5], src[offset + 6]);
  body.velocity.set(src[offset + 7], src[offset + 8], src[offset + 9]);
  body.angularVelocity.set(src[offset + 10], src[offset + 11], src[offset + 12]);
  body.previousPosition.set(src[offset + 13], src[offset + 14], src[offset + 15]);
  body.previousQuaternion.set(src[offset + 16], src[offset + 17], src[offset + 18], src[offset + 19]);
  body.force.set(0, 0, 0);
  body.torque.set(0, 0, 0);
  body.updateInertiaWorld(true);
  body.aabbNeedsUpdate = true;
}

/** Writes a body state at rest at a pose (previous pose = pose), for initial states built without a world. */
export function writeRestingPose(out: Float64Array, offset: number, x: number, y: number, z: number, qx: number, qy: number, qz: number, qw: number): void {
  out.fill(0, offset, offset + BODY_STATE_SIZE);
  out[offset] = x; out[offset + 1] = y; out[offset + 2] = z;
  out[offset + 3] = qx; out[offset + 4] = qy; out[offset + 5] = qz; out[offset + 6] = qw;
  out[offset + 13] = x; out[offset + 14] = y; out[offset + 15] = z;
  out[offset + 16] = qx; out[offset + 17] = qy; out[offset + 18] = qz; out[offset + 19] = qw;
}
