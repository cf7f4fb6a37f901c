/**
 * HalfCheetah-v0: gym's MuJoCo cheetah rebuilt on cannon-es, with PerSim's heterogeneity (mass and damping scales)
 * and PerSim's 18-d observation and reward (REFERENCE.md 1.4).
 */
import { ContextSpace } from '../../../src/core/context.js';
import type { EnvDefinition, EnvEntry } from '../../../src/core/definition.js';
import type { Rng } from '../../../src/core/rng.js';
import { Box } from '../../../src/core/spaces.js';
import { physicsDynamics, type ParallelOptions } from '../shared/parallel.js';
import { kernelFactories } from '../kernels.js';
import { CHEETAH_CONTEXT_SIZE } from './kernel.js';
import { CHEETAH_STATE_SIZE, NQ, generalizedFromState, stateFromGeneralized } from './kinematics.js';
import { FRICTION, GRAVITY, NUM_JOINTS } from './model.js';
import { CHEETAH_OBS_SIZE, cheetahReward, cheetahStateFromObservation, observeCheetah } from './observation.js';
import { renderCheetah } from './render.js';

export const CHEETAH_ID = 'HalfCheetah-v0';

/** Mass and damping scales as PerSim defines them; friction and gravity are extra, at MuJoCo's values by default. */
export const cheetahContext = new ContextSpace([
  { name: 'mass_scale', default: 1, low: 0.2, high: 1.8, description: 'every link mass (and link inertia) times this; PerSim test agents use (mass, damping) (0.3,1.7), (1.7,0.3), (0.3,0.3), (1.7,1.7), (1,1)' },
  { name: 'damping_scale', default: 1, low: 0.2, high: 1.8, description: 'every joint damping times this' },
  { name: 'friction', default: FRICTION, low: 0.1, high: 1.2, description: 'cheetah-floor friction coefficient' },
  { name: 'gravity', default: GRAVITY, low: 4, high: 16, unit: 'm/s^2', description: 'downward gravitational acceleration' },
]);

/**
 * Builds the definition; options: ctrl_cost (reward weight of |a|^2), reset_noise (std of the reset noise), substeps
 * (world.step calls per 0.01 s: 2 is the fast default, 3 halves the joint gaps the solver leaves at extreme contexts).
 */
export function buildHalfCheetah(options: Readonly<Record<string, string | number | boolean>>, parallel?: ParallelOptions): EnvDefinition {
  const ctrlCost = Number(options.ctrl_cost ?? 0.1);
  const noise = Number(options.reset_noise ?? 0.001);
  const substeps = Number(options.substeps ?? 2);
  const resolved = { ctrl_cost: ctrlCost, reset_noise: noise, substeps };
  if (CHEETAH_CONTEXT_SIZE !== cheetahContext.size) throw new Error('cheetah context layout mismatch');
  return {
    id: CHEETAH_ID,
    description: 'Planar MuJoCo-like HalfCheetah on cannon-es: run forward; PerSim observation, reward and contexts.',
    observationSpace: new Box(-Infinity, Infinity, [CHEETAH_OBS_SIZE], 'f32'),
    actionSpace: new Box(-1, 1, [NUM_JOINTS], 'f32'),
    context: cheetahContext,
    stateSize: CHEETAH_STATE_SIZE,
    maxEpisodeSteps: 1000,
    rewardRange: [-Infinity, Infinity],
    options: resolved,
    initial(rng: Rng, _contexts, _co, out, offset) {
      const qpos = new Float64Array(NQ);
      const qvel = new Float64Array(NQ);
      for (let k = 0; k < NQ; k++) qpos[k] = rng.normal(0, noise);
      for (let k = 0; k < NQ; k++) qvel[k] = rng.normal(0, noise);
      stateFromGeneralized(qpos, qvel, out, offset);
    },
    observe: observeCheetah,
    stateFromObservation: cheetahStateFromObservation,
    terminated(_nextObs, _contexts, n, out) {
      out.fill(0, 0, n);
    },
    reward(_obs, actions, nextObs, _terminated, n, out) {
      cheetahReward(actions, nextObs, n, ctrlCost, out);
    },
    trueDynamics: () => physicsDynamics(CHEETAH_ID, resolved, kernelFactories[CHEETAH_ID], parallel),
    render(states, contexts, index) {
      const so = index * CHEETAH_STATE_SIZE;
      const qpos = new Float64Array(NQ);
      const qvel = new Float64Array(NQ);
      generalizedFromState(states, so, qpos, qvel);
      const c = contexts.subarray(index * CHEETAH_CONTEXT_SIZE, (index + 1) * CHEETAH_CONTEXT_SIZE);
      const label = `x=${qpos[0].toFixed(2)} vx=${qvel[0].toFixed(2)} mass=${c[0]} damping=${c[1]}`;
      return renderCheetah(states, so, label);
    },
  };
}

/** The registry entry (options: ctrl_cost, reset_noise, substeps). */
export const halfCheetahEntry: EnvEntry = {
  id: CHEETAH_ID,
  description: 'Planar HalfCheetah (cannon-es) with PerSim mass/damping contexts, 18-d observation, 1000 steps.',
  options: [
    { name: 'ctrl_cost', type: 'number', default: 0.1, description: 'weight c of the control cost c*|a|^2 (PerSim code 0.1, thesis text 0.05)' },
    { name: 'reset_noise', type: 'number', default: 0.001, description: 'std of the Gaussian noise on initial positions and velocities' },
    { name: 'substeps', type: 'number', default: 2, choices: [2, 3, 4], description: 'cannon-es steps per 0.01 s: 2 is fastest; 3 or 4 keep joints tighter at extreme contexts (about 1.5x / 2x the cost)' },
  ],
  build: (options) => buildHalfCheetah(options),
};
