/**
 * PerSim's 18-d HalfCheetah observation and reward (REFERENCE.md 1.4): [(x_after - x_before)/0.05, rootz, rooty, six
 * joint angles, nine velocities], reward = obs[0] - c * |a|^2.
 */
import { CHEETAH_STATE_SIZE, NQ, X_BEFORE, generalizedFromState, stateFromGeneralized } from './kinematics.js';
import { ENV_DT, NUM_JOINTS } from './model.js';

export const CHEETAH_OBS_SIZE = 18;

/** Observations of n states. */
export function observeCheetah(states: Float64Array, n: number, out: Float64Array): void {
  const qpos = new Float64Array(NQ);
  const qvel = new Float64Array(NQ);
  for (let i = 0; i < n; i++) {
    const so = i * CHEETAH_STATE_SIZE;
    const o = i * CHEETAH_OBS_SIZE;
    generalizedFromState(states, so, qpos, qvel);
    out[o] = (qpos[0] - states[so + X_BEFORE]) / ENV_DT;
    for (let k = 1; k < NQ; k++) out[o + k] = qpos[k];
    for (let k = 0; k < NQ; k++) out[o + NQ + k] = qvel[k];
  }
}

/**
 * A state whose observation is obs: root x is put at 0 (the observation does not carry it) and the previous root x
 * is placed so that the velocity entry reads back unchanged.
 */
export function cheetahStateFromObservation(obs: Float64Array, n: number, out: Float64Array): void {
  const qpos = new Float64Array(NQ);
  const qvel = new Float64Array(NQ);
  for (let i = 0; i < n; i++) {
    const o = i * CHEETAH_OBS_SIZE;
    qpos[0] = 0;
    for (let k = 1; k < NQ; k++) qpos[k] = obs[o + k];
    for (let k = 0; k < NQ; k++) qvel[k] = obs[o + NQ + k];
    const so = i * CHEETAH_STATE_SIZE;
    stateFromGeneralized(qpos, qvel, out, so);
    out[so + X_BEFORE] = -obs[o] * ENV_DT;
  }
}

/** Rewards: forward velocity minus ctrlCost times the squared action norm. */
export function cheetahReward(actions: Float64Array, nextObs: Float64Array, n: number, ctrlCost: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let sq = 0;
    for (let j = 0; j < NUM_JOINTS; j++) sq += actions[i * NUM_JOINTS + j] ** 2;
    out[i] = nextObs[i * CHEETAH_OBS_SIZE] - ctrlCost * sq;
  }
}
