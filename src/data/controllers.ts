/**
 * The "pure" (competent) behaviour controllers. PerSim's pure policies were RL agents trained per context; they are not
 * published, so each environment gets a hand-built controller that solves the task across the whole context range:
 *
 * - MountainCar: model-predictive control planned on the true dynamics, but with the gravity of the nearest of five
 *   policy-training contexts (POLICY_TRAINING_CONTEXTS), as PerSim's pure policies were each trained on the nearest
 *   of five contexts and then run on the agent's own. The planner is PerSim's random shooting (1000 sequences x 50
 *   steps, previous best shifted, position bonus). It reaches the flag for every gravity in [0.0001, 0.0035], and its actions are not a fixed
 *   function of the state's sign pattern: an earlier energy-pumping controller (push in the direction of the velocity)
 *   was competent too, but its data never showed a push against the motion or the idle action, and at PerSim's scale
 *   (500 agents, 300 epochs) models trained on it scored 0.05-0.26 open-loop RMSE against the paper's 0.014-0.090
 *   (docs/results/persim-mountaincar-pure-full-scale.md).
 * - CartPole: a linear state-feedback law, the sign of k.s with k = (0.1, 0.5, 10, 2) on (x, x_dot, theta,
 *   theta_dot), the bang-bang form of a PD/LQR controller (the angle terms balance the pole, the small cart terms keep
 *   the cart near the centre). It balances the full 200 steps over the PerSim context range. The MountainCar-style
 *   planner (nearest of five (force, half-length) policy-training contexts) was tried and not adopted: against this
 *   law its data gave better test-agent errors at 100 agents x 150 epochs (0.014, 0.014, 0.018, 0.0086, 0.68 vs 0.023,
 *   0.037, 0.063, 0.013, 0.64) but mixed ones at 100 x 40 (0.029, 0.025, 0.051, 0.019, 1.18 vs 0.017, 0.050, 0.091,
 *   0.019, 0.41), and its pure-eps episodes end early (107 and 71 steps on average at eps 0.2 and 0.4).
 * - HalfCheetah: an open-loop sinusoidal gait, a_j = clip(o_j + A_j sin(2 pi f t + phi_j), -1, 1), one frequency and
 *   a per-joint amplitude, offset and phase (19 numbers), tuned by the cross-entropy method on the true environment
 *   (scripts/persim-cheetah-gait.ts: 25 iterations of 30 candidates, 6 elites, each run 150 steps from reset on the
 *   five PerSim test contexts, scored by the mean of the average and the worst context's return). Full 1000-step
 *   episodes from the collection seeds return 718, 976, 328, 768 and 967 on test agents 1-5 (0.3-1.0 m/s net of the
 *   control cost; zero actions return about 0; the light, loose cheetah of agent 3 stumbles now and then). A modest
 *   runner, not an RL policy's sprint: CEM on the true env plans better per step but costs seconds per decision
 *   (docs/results/mpc-rewards.md), too slow to collect hundreds of trajectories here.
 */
import type { EnvDefinition } from '../core/definition.js';
import type { Rng } from '../core/rng.js';
import type { ContextMap } from '../../protocol/ts/spaces.js';
import { MOUNTAIN_CAR_BONUS, type PositionBonus } from '../planning/objective.js';
import { RandomShooting } from '../planning/random-shooting.js';

/** A deterministic controller: writes the action for an observation at episode step t. */
export type Controller = (obs: Float64Array, offset: number, t: number, out: Float64Array, outOffset: number) => void;

/** A controller and the sentence documenting it (stored in every dataset it produces). */
export interface ControllerEntry {
  description: string;
  /**
   * The controller one agent follows for its trajectory, given the agent's context row and a seed of its own (planning
   * controllers keep a warm start and a generator per agent; the fixed laws ignore both).
   */
  forAgent(def: EnvDefinition, context: Float64Array, seed: number): Controller;
}

/** A controller that is the same law for every agent. */
function fixedLaw(description: string, controller: Controller): ControllerEntry {
  return { description, forAgent: () => controller };
}

/**
 * The five policy-training contexts per environment: PerSim trained each pure policy on the nearest of five contexts
 * and ran it on the agent's own. These are spread over PerSim's ranges (the paper does not list its five).
 */
export const POLICY_TRAINING_CONTEXTS: Readonly<Record<string, readonly ContextMap[]>> = {
  'MountainCar-v0': [0.0004, 0.0011, 0.0018, 0.0025, 0.0032].map((gravity) => ({ gravity })),
};

/**
 * The context row an agent's pure policy plans with: its own row with the parameters of the nearest policy-training
 * context (distance over those parameters, each scaled by its range; the first listed wins a tie).
 */
export function policyContextFor(def: EnvDefinition, context: Float64Array): Float64Array {
  const list = POLICY_TRAINING_CONTEXTS[def.id];
  if (!list) throw new Error(`${def.id} has no policy-training contexts`);
  const params = def.context.params;
  const distance = (c: ContextMap) => Object.entries(c).reduce((sum, [name, v]) => {
    const k = def.context.names.indexOf(name);
    return sum + ((context[k] - v) / (params[k].high - params[k].low)) ** 2;
  }, 0);
  const nearest = list.reduce((best, c) => (distance(c) < distance(best) ? c : best));
  const row = context.slice();
  def.context.apply(nearest, row, 0);
  return row;
}

/**
 * A pure policy that plans: PerSim's random shooting (1000 sequences x 50 steps, previous best shifted) on the true
 * dynamics, with the agent's nearest policy-training context instead of its own, so it is competent but not tuned to
 * the agent, and its actions are not a fixed function of the state.
 */
function plannedPolicy(envId: string, bonus: PositionBonus | null): ControllerEntry {
  const contexts = POLICY_TRAINING_CONTEXTS[envId].map((c) => Object.entries(c).map(([k, v]) => `${k}=${v}`).join(' ')).join('; ');
  return {
    description: `random-shooting MPC on the true dynamics (1000 sequences x 50 steps, previous best shifted${bonus ? `, position bonus ${bonus.weight} x peak position` : ''}) with the nearest policy-training context (${contexts})`,
    forAgent(def, context, seed) {
      if (def.stateSize !== def.observationSpace.size) throw new Error(`${def.id}: the planning controller needs states equal to observations`);
      const planContext = policyContextFor(def, context);
      const planner = new RandomShooting({ definition: def, dynamics: def.trueDynamics() }, { positionBonus: bonus }, seed);
      const state = new Float64Array(def.stateSize);
      return (obs, o, _t, out, oo) => {
        state.set(obs.subarray(o, o + state.length));
        out[oo] = planner.plan(state, planContext).action[0];
      };
    },
  };
}

const mountainCar = plannedPolicy('MountainCar-v0', MOUNTAIN_CAR_BONUS);

const CARTPOLE_GAINS = [0.1, 0.5, 10, 2];
const cartPole = fixedLaw(
  `linear state feedback: action 1 (push right) when k.s > 0 with k = (${CARTPOLE_GAINS.join(', ')}) on (x, x_dot, theta, theta_dot), else 0`,
  (obs, o, _t, out, oo) => {
    let s = 0;
    for (let k = 0; k < 4; k++) s += CARTPOLE_GAINS[k] * obs[o + k];
    out[oo] = s > 0 ? 1 : 0;
  },
);


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
const halfCheetah = fixedLaw(
  `open-loop sinusoidal gait tuned by CEM on the true env: a_j = clip(o_j + A_j sin(2 pi ${GAIT.hz} Hz t + phi_j), -1, 1) with A = (${GAIT.amplitudes.join(', ')}), o = (${GAIT.offsets.join(', ')}), phi = (${GAIT.phases.join(', ')}) for (bthigh, bshin, bfoot, fthigh, fshin, ffoot), t = 0.05 s per step`,
  (_obs, _o, t, out, oo) => {
    const w = 2 * Math.PI * GAIT.hz * t * 0.05;
    for (let j = 0; j < 6; j++) out[oo + j] = Math.max(-1, Math.min(1, GAIT.offsets[j] + GAIT.amplitudes[j] * Math.sin(w + GAIT.phases[j])));
  },
);

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
