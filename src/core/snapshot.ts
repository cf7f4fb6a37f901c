/**
 * Session snapshots: opaque bytes (a msgpack map of plain numbers and byte strings, never code) that restore a session
 * bit for bit. With the random generators included, a restored session replays the original exactly, resets included.
 */
import { decodeFrame, encodeFrame } from '../../protocol/ts/frame.js';
import { TwinGymError, check } from './errors.js';
import { Rng } from './rng.js';
import type { EnvSession } from './session.js';

const FORMAT = 'twingym-session-state';
const VERSION = 1;

function bytesOf(a: Float64Array | Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Takes a snapshot of every env of the session (and of its generators unless includeRng is false). */
export function snapshotSession(session: EnvSession, includeRng = true): Uint8Array {
  const s = session.internals();
  const def = session.definition;
  return encodeFrame({
    format: FORMAT,
    version: VERSION,
    env_id: def.id,
    options: { ...def.options },
    num_envs: session.numEnvs,
    state_size: def.stateSize,
    context_size: def.context.size,
    has_reset: s.hasReset,
    states: bytesOf(s.states),
    contexts: bytesOf(s.contexts),
    steps: bytesOf(s.steps),
    pending_reset: bytesOf(s.pendingReset),
    needs_reset: bytesOf(s.needsReset),
    rngs: includeRng && s.rngs.length === session.numEnvs ? s.rngs.map((r) => r.state()) : null,
  });
}

function fail(reason: string): never {
  throw new TwinGymError('bad_state', `not a snapshot of this session: ${reason}; restore only get_state bytes from a session of the same env, options and num_envs`, { reason });
}

function view<T extends Float64Array | Int32Array | Uint8Array>(raw: unknown, ctor: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }, count: number, name: string): T {
  if (!(raw instanceof Uint8Array)) fail(`${name} is not bytes`);
  if (raw.byteLength !== count * ctor.BYTES_PER_ELEMENT) fail(`${name} has ${raw.byteLength} bytes, expected ${count * ctor.BYTES_PER_ELEMENT}`);
  const copy = new Uint8Array(raw); // a real copy: Buffer#slice would share msgpack's pool
  return new ctor(copy.buffer as ArrayBuffer);
}

/** Restores a snapshot into the session and returns the restored observations. Refuses anything that does not fit. */
export function restoreSession(session: EnvSession, bytes: Uint8Array): Float64Array {
  let m: unknown;
  try {
    m = decodeFrame(bytes);
  } catch {
    fail('the bytes are not msgpack');
  }
  if (typeof m !== 'object' || m === null) fail('not a map');
  const o = m as Record<string, unknown>;
  const def = session.definition;
  const n = session.numEnvs;
  if (o.format !== FORMAT) fail('unknown format');
  if (o.version !== VERSION) fail(`snapshot version ${String(o.version)} is not ${VERSION}`);
  if (o.env_id !== def.id) fail(`it was taken from ${String(o.env_id)}, this session is ${def.id}`);
  if (JSON.stringify(o.options) !== JSON.stringify(def.options)) fail('it was taken with other env options');
  if (o.num_envs !== n) fail(`it holds ${String(o.num_envs)} envs, this session has ${n}`);
  if (o.state_size !== def.stateSize || o.context_size !== def.context.size) fail('state or context layout differs');
  if (typeof o.has_reset !== 'boolean') fail('has_reset missing');
  const states = view(o.states, Float64Array, n * def.stateSize, 'states');
  const contexts = view(o.contexts, Float64Array, n * def.context.size, 'contexts');
  const steps = view(o.steps, Int32Array, n, 'steps');
  const pendingReset = view(o.pending_reset, Uint8Array, n, 'pending_reset');
  const needsReset = view(o.needs_reset, Uint8Array, n, 'needs_reset');
  for (let i = 0; i < n; i++) {
    try {
      def.context.validate(def.context.toMap(contexts, i * def.context.size));
    } catch {
      fail(`context of env ${i} is outside the context space`);
    }
  }
  let rngs: Rng[] | null = null;
  if (o.rngs !== null && o.rngs !== undefined) {
    if (!Array.isArray(o.rngs) || o.rngs.length !== n) fail('rngs must hold one generator state per env');
    try {
      rngs = o.rngs.map((st: unknown) => Rng.fromState(st as number[]));
    } catch {
      fail('a generator state is malformed');
    }
  }
  return session.restoreInternals({ states, contexts, steps, pendingReset, needsReset, hasReset: o.has_reset, rngs });
}
