/**
 * Shared parts of environments whose observation is their state (the classic control tasks and Navigation2D): the
 * observation is the float64 state itself (the wire casts to float32), and any observation is a valid starting state.
 */
import type { Dynamics, TransitionBatch } from '../../src/core/definition.js';

/** observe() for identity environments. */
export function observeIdentity(states: Float64Array, n: number, out: Float64Array): void {
  out.set(states.subarray(0, out.length));
}

/** stateFromObservation() for identity environments. */
export function stateFromObservationIdentity(obs: Float64Array, n: number, out: Float64Array): void {
  out.set(obs.subarray(0, out.length));
}

/** Wraps a pure batched transition function (row by row, no generator draws) as the environment's true dynamics. */
export function pureDynamics(step: (b: TransitionBatch) => void): Dynamics {
  return { kind: 'true', info: { kind: 'true' }, step, rowDeterministic: true };
}
