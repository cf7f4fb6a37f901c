/**
 * The "pure" (competent) behaviour controllers. PerSim's pure policies were RL agents trained per context; they are not
 * published, so each environment gets a hand-built controller that solves the task across the whole context range:
 *
 * - MountainCar: energy pumping. Push in the direction of the velocity (left while v < 0, right otherwise), which adds
 *   energy every step; it reaches the flag from every start for every gravity in [0.0001, 0.0035].
 * - CartPole: a linear state-feedback law, the sign of k.s with k = (0.1, 0.5, 10, 2) on (x, x_dot, theta,
 *   theta_dot), the bang-bang form of a PD/LQR controller (the angle terms balance the pole, the small cart terms keep
 *   the cart near the centre). It balances the full 200 steps over the PerSim context range.
 * - HalfCheetah: an open-loop sinusoidal gait, a_j = A sin(2 pi f t + phi_j), whose frequency, amplitude and phases
 *   were chosen by a random search (80 candidates, 200 steps each on the five PerSim test contexts) for the best
 *   worst-case forward speed. It moves forward on every test context, but slowly (0.1-0.4 m/s measured): it is NOT a
 *   competent runner. A planner on the true dynamics (CEM) would be; that is left for when planning lands.
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

/** Gait parameters from the search: amplitude, frequency (Hz at 0.05 s per step), phase per joint (bthigh .. ffoot). */
const GAIT = { amplitude: 0.854, hz: 1.724, phases: [1.901, 0.37, 1.479, 4.383, 3.998, 1.49] };
const halfCheetah: ControllerEntry = {
  description: `open-loop sinusoidal gait: a_j = ${GAIT.amplitude} sin(2 pi ${GAIT.hz} Hz t + phi_j), phi = (${GAIT.phases.map((p) => p.toFixed(2)).join(', ')}) for (bthigh, bshin, bfoot, fthigh, fshin, ffoot), t = 0.05 s per step`,
  controller: (_obs, _o, t, out, oo) => {
    const time = t * 0.05;
    for (let j = 0; j < 6; j++) out[oo + j] = GAIT.amplitude * Math.sin(2 * Math.PI * GAIT.hz * time + GAIT.phases[j]);
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
