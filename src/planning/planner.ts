/**
 * What every MPC planner shares: the decision it returns, the interface servers and scripts drive it through, and
 * the checks on the action space it samples from.
 */
import type { ContextMap } from '../../protocol/ts/spaces.js';
import type { Dynamics, EnvDefinition } from '../core/definition.js';
import { TwinGymError } from '../core/errors.js';

/** One planning decision. Arrays are fresh and belong to the caller. */
export interface PlanResult {
  /** The action to execute now (action size numbers; discrete actions as integers). */
  action: Float64Array;
  /** The plan behind it, horizon x action size (random shooting: the best sequence; CEM: the last elites' mean). */
  sequence: Float64Array;
  /**
   * The environment return the planner expects from its plan, averaged over ensemble members where each rolled out its
   * own trajectory; without the position bonus (random shooting: the best sequence's; CEM: the mean over the last
   * iteration's elites).
   */
  predictedReturn: number;
  /** The objective the choice maximised (return plus bonus, member-averaged). */
  score: number;
  /** Imagined transitions requested from the dynamics: rows stepped (sequences x horizon x members x iterations). */
  transitions: number;
  /** Whether the previous plan, shifted by one step, seeded this decision. */
  warmStarted: boolean;
}

/** A model-predictive-control planner over one environment and dynamics. */
export interface Planner {
  /** The planner's name on the wire: "random_shooting" or "cem". */
  readonly kind: 'random_shooting' | 'cem';
  /**
   * Plans from one state (definition layout) under one context row. Either returns a decision and updates the warm
   * start and generator, or throws and changes nothing. `useWarmStart` false ignores (and then replaces) the warm
   * start for this decision, e.g. when the state does not follow the last decision; the settings' warmStart still rules.
   */
  plan(state: Float64Array, context: Float64Array, useWarmStart?: boolean): PlanResult;
  /** Whether the next decision would start from the previous plan (settings permitting). */
  readonly hasWarmStart: boolean;
  /** Forgets the warm start (a new episode, or a state that does not follow the last decision). */
  resetWarmStart(): void;
  /**
   * Imagined transitions one decision requests, for limits: rows the dynamics steps, i.e. sequences x horizon, times
   * the members when each rolls out its own trajectory, times CEM's iterations.
   */
  transitionsPerDecision(): number;
}

/** The environment and dynamics a planner imagines with. */
export interface PlanningTarget {
  definition: EnvDefinition;
  dynamics: Dynamics;
}

/** Throws `unsupported` unless every action element has finite bounds (a planner samples uniformly inside them). */
export function requireFiniteActions(def: EnvDefinition, planner: string): void {
  const { low, high } = def.actionSpace;
  for (let k = 0; k < low.length; k++) {
    if (!Number.isFinite(low[k]) || !Number.isFinite(high[k])) {
      throw new TwinGymError('unsupported', `${planner} samples actions inside their bounds, and ${def.id}'s action element ${k} is unbounded [${low[k]}, ${high[k]}]`, { planner, index: k });
    }
  }
}

/** Checks an integer setting; throws invalid_argument with the field's path. */
export function checkCount(value: number, min: number, path: string): void {
  if (!Number.isSafeInteger(value) || value < min) throw new TwinGymError('invalid_argument', `${path} must be an integer >= ${min}, got ${value}`, { path });
}

/** Checks the start state and context row a planner is given. */
export function checkPlanInput(def: EnvDefinition, state: Float64Array, context: Float64Array): void {
  if (state.length !== def.stateSize) throw new TwinGymError('bad_shape', `a plan starts from one state of ${def.stateSize} numbers, got ${state.length}`, { path: 'state', expected: [def.stateSize] });
  if (context.length !== def.context.size) throw new TwinGymError('bad_shape', `a plan takes one context row of ${def.context.size} numbers, got ${context.length}`, { path: 'contexts', expected: [def.context.size] });
}

/**
 * The full context row of a (possibly partial) context map: parameters left out keep their defaults, as in a session.
 * Planners take rows, and a row built from zeros would silently plan for massless carts.
 */
export function contextRowOf(def: EnvDefinition, context: ContextMap): Float64Array {
  const row = Float64Array.from(def.context.defaults);
  def.context.apply(context, row, 0);
  return row;
}
