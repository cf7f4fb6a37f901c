/** MPC planning: batched imagined rollouts on any dynamics, random shooting and CEM (issue 7). */
export { rollout, RolloutEngine, validateRollout, type RolloutResult, type RolloutSpec, type StepSink } from './rollout.js';
export { ensembleSize, meanStepFromMembers, type MemberScratch } from './ensemble.js';
export { MOUNTAIN_CAR_BONUS, ReturnAccumulator, type PositionBonus } from './objective.js';
export { contextRowOf, type PlanResult, type Planner, type PlanningTarget } from './planner.js';
export { RandomShooting, RANDOM_SHOOTING_DEFAULTS, type RandomShootingSettings } from './random-shooting.js';
export { Cem, CEM_DEFAULTS, type CemSettings } from './cem.js';
