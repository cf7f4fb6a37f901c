/**
 * Request parts rollout and plan share: the env index, action sequences [batch, horizon, ...action], start states,
 * the context row, and the work limit (max_rollout_steps). Each reader validates completely and changes nothing.
 */
import type { ContextMap } from '../../../protocol/ts/spaces.js';
import { TensorFormatError, decodeTensor, isWireTensorLike, tensorNumbers } from '../../../protocol/ts/tensor.js';
import { acceptedDTypes, readBatch, tensorError } from '../../../src/core/batch-input.js';
import { TwinGymError, check } from '../../../src/core/errors.js';
import type { EnvSession } from '../../../src/core/session.js';

/** Checks the env index of a session. */
export function envIndex(session: EnvSession, env: number | undefined): number {
  const i = env ?? 0;
  check(i < session.numEnvs, 'invalid_argument', `env ${i} is not an env of this session (0..${session.numEnvs - 1})`, { path: 'env' });
  return i;
}

/** Shape and numbers of nested arrays of numbers, or null when ragged or not numbers. */
function nested(x: unknown): { shape: number[]; values: number[] } | null {
  if (typeof x === 'number') return { shape: [], values: [x] };
  if (!Array.isArray(x)) return null;
  if (x.length === 0) return { shape: [0], values: [] };
  const parts = x.map(nested);
  if (parts.some((p) => p === null)) return null;
  const first = parts[0]!.shape;
  if (!parts.every((p) => p!.shape.length === first.length && p!.shape.every((d, k) => d === first[k]))) return null;
  return { shape: [x.length, ...first], values: parts.flatMap((p) => p!.values) };
}

/**
 * Action sequences: their batch and horizon, read from the shape, and their numbers (batch x horizon x action size,
 * float64) on demand, so a request over the work limit is refused before its numbers are converted.
 */
export function readSequences(session: EnvSession, input: unknown): { batch: number; horizon: number; actions: () => Float64Array } {
  const space = session.definition.actionSpace;
  let shape: number[];
  let values: () => Float64Array;
  if (isWireTensorLike(input)) {
    let t;
    try {
      t = decodeTensor(input);
    } catch (e) {
      if (e instanceof TensorFormatError) throw tensorError(e, 'actions');
      throw e;
    }
    const ok = acceptedDTypes(space);
    if (!ok.includes(t.dtype)) {
      throw new TwinGymError('bad_dtype', `actions has dtype ${t.dtype}; this action space takes ${ok.join(' or ')}`, { path: 'actions', got: t.dtype, expected: [...ok] });
    }
    shape = t.shape;
    const decoded = t;
    values = () => tensorNumbers(decoded);
  } else {
    const flat = nested(input);
    if (!flat) throw new TwinGymError('invalid_argument', 'actions must be a tensor or a rectangular nested array of numbers [batch, horizon, ...action shape]', { path: 'actions' });
    shape = flat.shape;
    values = () => Float64Array.from(flat.values);
  }
  const tail = [...space.shape];
  const okShape = shape.length === 2 + tail.length && shape[0] >= 1 && shape[1] >= 1 && tail.every((d, k) => shape[2 + k] === d);
  if (!okShape) {
    throw new TwinGymError(
      'bad_shape',
      `actions has shape [${shape.join(', ')}]; expected [batch, horizon${tail.map((d) => `, ${d}`).join('')}] with batch and horizon at least 1`,
      { path: 'actions', got: shape, expected: ['batch', 'horizon', ...tail] },
    );
  }
  return { batch: shape[0], horizon: shape[1], actions: values };
}

/**
 * Start states in the definition's layout: the env's current state ("current", needs a reset), or observation-states
 * (one shared, or one per sequence) inside the observation space.
 */
export function readStart(session: EnvSession, env: number, input: unknown, batch: number): Float64Array {
  const def = session.definition;
  const S = def.stateSize;
  if (input === undefined || input === 'current') return session.currentStates().slice(env * S, (env + 1) * S);
  check(def.stateFromObservation !== undefined, 'unsupported', `${def.id} cannot start from given states: its observation does not determine its state; use start "current"`, { path: 'start' });
  const obs = readBatch(def.observationSpace, input, batch, true, 'start');
  const O = def.observationSpace.size;
  for (let b = 0; b < batch; b++) {
    const bad = def.observationSpace.firstViolation(obs, b * O);
    if (bad >= 0) {
      throw new TwinGymError('out_of_bounds', `start of sequence ${b}, element ${bad} = ${obs[b * O + bad]} is outside the observation space [${def.observationSpace.low[bad]}, ${def.observationSpace.high[bad]}]`, { path: 'start', sequence: b, index: bad });
    }
  }
  const states = new Float64Array(batch * S);
  def.stateFromObservation!(obs, batch, states);
  return states;
}

/** The env's context row, with `override` applied on a copy (the session keeps its own). */
export function contextRow(session: EnvSession, env: number, override: ContextMap | undefined): Float64Array {
  const space = session.definition.context;
  const C = space.size;
  // internals() is read here, never written: the rollout must see the exact rows the session steps with.
  const row = session.internals().contexts.slice(env * C, (env + 1) * C);
  if (override !== undefined) space.apply(override, row, 0);
  return row;
}

/**
 * Refuses work beyond max_rollout_steps with batch_too_large, saying how to fit. `what` names the request ("rollout of
 * 4 x 50"), `perSequence` is the transitions one sequence costs and `fix` says what to change given how many sequences
 * fit in one request.
 */
export function checkWork(what: string, sequences: number, perSequence: number, limit: number, fix: (fit: number) => string): number {
  const total = sequences * perSequence;
  if (total <= limit) return total;
  const fit = Math.floor(limit / perSequence);
  const how = fit >= 1 ? fix(fit) : `one sequence alone costs ${perSequence} transitions: shorten the horizon`;
  throw new TwinGymError('batch_too_large', `${what} = ${total} imagined transitions exceeds max_rollout_steps ${limit}; ${how}, or raise the server limit`, { steps: total, limit, max_sequences: fit });
}
