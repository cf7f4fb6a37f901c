/**
 * The "pure" (competent) behaviour controllers. PerSim's pure policies were RL agents trained per context; they are not
 * published, so each environment gets a hand-built controller that solves the task across the whole context range:
 *
 * - MountainCar: energy pumping. Push in the direction of the velocity (left while v < 0, right otherwise), which adds
 *   energy every step; it reaches the flag from every start for every gravity in [0.0001, 0.0035].
 * - CartPole: a linear state-feedback law, the sign of k.s with k = (0.1, 0.5, 10, 2) on (x, x_dot, theta,
 *   theta_dot), the bang-bang form of a PD/LQR controller (the angle terms balance the pole, the small cart terms keep
 *   the cart near the centre). It balances the full 200 steps over the PerSim context range.
 * - HalfCheetah: an open-loop sinusoidal gait, a_j = clip(o_j + A_j sin(2 pi f t + phi_j), -1, 1), one frequency and
 *   a per-joint amplitude, offset and phase (19 numbers), tuned by the cross-entropy method on the true environment
 *   (scripts/persim-cheetah-gait.ts: 25 iterations of 30 candidates, 6 elites, each run 150 steps from reset on the
 *   five PerSim test contexts, scored by the mean of the average and the worst context's return). Full 1000-step
 *   episodes from the collection seeds return 718, 976, 328, 768 and 967 on test agents 1-5 (0.3-1.0 m/s net of the
 *   control cost; zero actions return about 0; the light, loose cheetah of agent 3 stumbles now and then). A modest
 *   runner, not an RL policy's sprint: CEM on the true env plans better per step but costs seconds per decision
 *   (docs/results/mpc-rewards.md), too slow to collect hundreds of trajectories here.
 */
import type { Rng } from '../core/rng.js';

/** A deterministic controller: writes the action for an observation at episode step t. */
export type Controller = (obs: Float64Array, offset: number, t: number, out: Float64Array, outOffset: number) => void;

/** A controller and the sentence documenting it (stored in every dataset it produces). */
export interface ControllerEntry {
  controller: Controller;
  description: string;
}

const mountainCar: ControllerEntry = {
  description: 'energy pumping: action 0 (push left) while velocity < 0, else action 2 (push right)',
  controller: (obs, o, _t, out, oo) => {
    out[oo] = obs[o + 1] < 0 ? 0 : 2;
  },
};

const CARTPOLE_GAINS = [0.1, 0.5, 10, 2];
const cartPole: ControllerEntry = {
  description: `linear state feedback: action 1 (push right) when k.s > 0 with k = (${CARTPOLE_GAINS.join(', ')}) on (x, x_dot, theta, theta_dot), else 0`,
  controller: (obs, o, _t, out, oo) => {
    let s = 0;
    for (let k = 0; k < 4; k++) s += CARTPOLE_GAINS[k] * obs[o + k];
    out[oo] = s > 0 ? 1 : 0;
  },
};

/**
 * Gait parameters from scripts/persim-cheetah-gait.ts (seed 0, 25 x 30 candidates): frequency (Hz at 0.05 s per step)
 * and per joint (bthigh, bshin, bfoot, fthigh, fshin, ffoot) amplitude, offset and phase.
 */
const GAIT = {
  hz: 1.789,
  amplitudes: [0.884, 0.731, 0.672, 0.704, 0.694, 0.653],
  offsets: [0.063, 0.179, -0.151, -0.014, -0.207, 0.153],
  phases: [1.1, 3.155, 1.069, 3.082, 2.48, 1.239],
};
const halfCheetah: ControllerEntry = {
  description: `open-loop sinusoidal gait tuned by CEM on the true env: a_j = clip(o_j + A_j sin(2 pi ${GAIT.hz} Hz t + phi_j), -1, 1) with A = (${GAIT.amplitudes.join(', ')}), o = (${GAIT.offsets.join(', ')}), phi = (${GAIT.phases.join(', ')}) for (bthigh, bshin, bfoot, fthigh, fshin, ffoot), t = 0.05 s per step`,
  controller: (_obs, _o, t, out, oo) => {
    const w = 2 * Math.PI * GAIT.hz * t * 0.05;
    for (let j = 0; j < 6; j++) out[oo + j] = Math.max(-1, Math.min(1, GAIT.offsets[j] + GAIT.amplitudes[j] * Math.sin(w + GAIT.phases[j])));
  },
};

const CONTROLLERS: Readonly<Record<string, ControllerEntry>> = {
  'MountainCar-v0': mountainCar,
  'CartPole-v0': cartPole,
  'HalfCheetah-v0': halfCheetah,
};

/** The competent controller of an environment, or undefined when none is defined. */
export function pureController(envId: string): ControllerEntry | undefined {
  return CONTROLLERS[envId];
}

/** Environments with a pure controller. */
export function controllerEnvs(): string[] {
  return Object.keys(CONTROLLERS);
}

/** A uniform random action for a discrete (n > 0) or [-1, 1]^size continuous action space. */
export function randomAction(rng: Rng, discrete: number, size: number, out: Float64Array, offset: number, low?: Float64Array, high?: Float64Array): void {
  if (discrete > 0) {
    out[offset] = rng.integer(0, discrete - 1);
    return;
  }
  for (let k = 0; k < size; k++) out[offset + k] = rng.uniform(low ? low[k] : -1, high ? high[k] : 1);
}
