/**
 * Ensemble dynamics as planners see them (src/core/definition.ts, Dynamics.members / stepMembers): how many members a
 * dynamics has, and the mean step an ensemble may build from its per-member step.
 */
import type { Dynamics, TransitionBatch } from '../core/definition.js';

/**
 * The number of members of a dynamics: 1 for anything that is not an ensemble. An ensemble that declares members > 1
 * without stepMembers is a programming error in the model code (not user input), hence a plain Error.
 */
export function ensembleSize(dynamics: Dynamics): number {
  const m = dynamics.members ?? 1;
  if (!Number.isInteger(m) || m < 1) throw new Error(`dynamics ${dynamics.kind} declares ${m} members; an ensemble has an integer >= 1`);
  if (m > 1 && typeof dynamics.stepMembers !== 'function') {
    throw new Error(`dynamics ${dynamics.kind} declares ${m} members but no stepMembers; ensembles must implement both`);
  }
  return m;
}

/** Scratch buffers for meanStepFromMembers, reused between calls so a planner's inner loop allocates nothing. */
export interface MemberScratch {
  states: Float64Array;
  actions: Float64Array;
  contexts: Float64Array;
  next: Float64Array;
}

function grow(buf: Float64Array | undefined, size: number): Float64Array {
  return buf !== undefined && buf.length >= size ? buf : new Float64Array(size);
}

/**
 * An ensemble's mean step built from its per-member step: every member is given the same n rows (replicated
 * member-major), and batch.next receives the average of the M predictions. A learned model can use this as its `step`
 * when it has no cheaper way to average; the average is taken in member order, so it is deterministic.
 */
export function meanStepFromMembers(
  stepMembers: (batch: TransitionBatch) => void,
  members: number,
  batch: TransitionBatch,
  stateSize: number,
  scratch: Partial<MemberScratch> = {},
): void {
  const { n, states, actions, contexts, next, rngs } = batch;
  const S = stateSize;
  const A = n > 0 ? actions.length / n : 0;
  const C = n > 0 ? contexts.length / n : 0;
  const rows = members * n;
  const s = (scratch.states = grow(scratch.states, rows * S));
  const a = (scratch.actions = grow(scratch.actions, rows * A));
  const c = (scratch.contexts = grow(scratch.contexts, rows * C));
  const out = (scratch.next = grow(scratch.next, rows * S));
  for (let m = 0; m < members; m++) {
    s.set(states.subarray(0, n * S), m * n * S);
    a.set(actions.subarray(0, n * A), m * n * A);
    c.set(contexts.subarray(0, n * C), m * n * C);
  }
  const memberRngs = Array.from({ length: rows }, (_, r) => rngs[r % n]);
  stepMembers({ n: rows, states: s.subarray(0, rows * S), actions: a.subarray(0, rows * A), contexts: c.subarray(0, rows * C), next: out.subarray(0, rows * S), rngs: memberRngs });
  for (let k = 0; k < n * S; k++) {
    let sum = 0;
    for (let m = 0; m < members; m++) sum += out[m * n * S + k];
    next[k] = sum / members;
  }
}
