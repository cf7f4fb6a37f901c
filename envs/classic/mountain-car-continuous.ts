/**
 * MountainCarContinuous-v0: Gymnasium's continuous mountain car (REFERENCE.md 1.1, last point) with the same
 * heterogeneous gravity context as MountainCar-v0 plus the engine power. The continuous action makes it the classic
 * task for CEM planning. Reward: 100 on the step that reaches the goal, minus 0.1 * a^2 on every step; 999 steps.
 */
import { ContextSpace } from '../../src/core/context.js';
import type { EnvDefinition, EnvEntry, TransitionBatch } from '../../src/core/definition.js';
import { Box } from '../../src/core/spaces.js';
import { observeIdentity, pureDynamics, stateFromObservationIdentity } from './identity.js';
import { MAX_POSITION, MAX_SPEED, MIN_POSITION, advanceCar, mountainCarContext, mountainCarInitial, reachedGoal, renderMountainCar } from './mountain-car.js';

/** Gymnasium's goal for the continuous variant is lower than the discrete one's 0.5. */
export const CONTINUOUS_GOAL_POSITION = 0.45;
/** Reward terms: the cost per squared unit of throttle and the bonus for reaching the goal. */
export const ACTION_COST = 0.1;
export const GOAL_REWARD = 100;

const GRAVITY = 0;
const POWER = 1;

/**
 * gravity exactly as MountainCar-v0 declares it (same range and default, so PerSim's agents carry over), and the
 * engine power. Gymnasium's power is 0.0015; the range [0.0005, 0.0025] (default +- 0.001) is ours: a weaker engine
 * needs more swings to build momentum, a stronger one fewer, and the upper end equals the default gravity's largest
 * pull, so no context lets the car drive straight up the steepest part of the hill.
 */
export const mountainCarContinuousContext = new ContextSpace([
  { ...mountainCarContext.params[0] },
  { name: 'power', default: 0.0015, low: 0.0005, high: 0.0025, description: 'velocity change per step at full throttle (Gymnasium: 0.0015)' },
]);

/**
 * The batched transition: Gymnasium's update with the context's gravity and power. Actions are within [-1, 1] (the
 * session refuses others), so Gymnasium's clip of the force is the identity here.
 */
export function mountainCarContinuousStep(b: TransitionBatch): void {
  const { n, states, actions, contexts, next } = b;
  for (let i = 0; i < n; i++) advanceCar(states, next, i, actions[i] * contexts[2 * i + POWER], contexts[2 * i + GRAVITY]);
}

/** Builds the definition (no options). */
export function buildMountainCarContinuous(): EnvDefinition {
  return {
    id: 'MountainCarContinuous-v0',
    description: 'Continuous MountainCar (Gymnasium) with gravity and engine power as context.',
    observationSpace: new Box([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED], [2], 'f32'),
    actionSpace: new Box(-1, 1, [1], 'f32'),
    context: mountainCarContinuousContext,
    stateSize: 2,
    maxEpisodeSteps: 999,
    rewardRange: [-ACTION_COST, GOAL_REWARD],
    options: {},
    initial: mountainCarInitial,
    observe: observeIdentity,
    stateFromObservation: stateFromObservationIdentity,
    terminated: reachedGoal(CONTINUOUS_GOAL_POSITION),
    reward(_obs, actions, _nextObs, terminated, n, out) {
      for (let i = 0; i < n; i++) {
        const a = actions[i];
        out[i] = (terminated[i] ? GOAL_REWARD : 0) - a * a * ACTION_COST;
      }
    },
    trueDynamics: () => pureDynamics(mountainCarContinuousStep),
    render(states, contexts, index) {
      return renderMountainCar(states[2 * index], states[2 * index + 1], CONTINUOUS_GOAL_POSITION,
        `gravity=${contexts[2 * index + GRAVITY]} power=${contexts[2 * index + POWER]}`);
    },
  };
}

/** The registry entry. */
export const mountainCarContinuousEntry: EnvEntry = {
  id: 'MountainCarContinuous-v0',
  description: 'Continuous MountainCar with gravity and engine power as context.',
  options: [],
  build: buildMountainCarContinuous,
};
