/**
 * Generates the machine-readable half of the protocol from its TypeScript definitions (protocol/ts), so that the JSON
 * Schemas, the shared test vectors and the spec's error table cannot drift from what the server validates:
 *   protocol/schemas/<name>.json   one JSON Schema (draft 2020-12) per request, reply and shared type, plus index.json
 *   protocol/vectors/v1.json       encoded frames with their JSON meaning (format: protocol/DECISIONS.md)
 *   protocol/SPEC.md               the error-code table between its ERROR_CODES markers
 *
 * Usage: node bin/run-ts.mjs scripts/gen-protocol.ts [--check]
 * With --check nothing is written; the exit status is 1 when a committed file differs from what would be generated.
 */
import { readFileSync, writeFileSync, mkdirSync, readdirSync, unlinkSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { ERROR_CODES, httpStatusOf, type ErrorCode } from '../protocol/ts/errors.js';

export { httpStatusOf };
import { decodeFrame, encodeFrame } from '../protocol/ts/frame.js';
import { ErrorReplySchema, EVENT_SCHEMAS, OPS, REPLY_SCHEMAS, REQUEST_SCHEMAS, RESERVED_OPS, type EventName, type JobInfo, type Op } from '../protocol/ts/messages.js';
import { SPACE_SCHEMAS, type EnvSpec, type SpaceSpec } from '../protocol/ts/spaces.js';
import { TensorSchema, DTypeSchema } from '../protocol/ts/schema-types.js';
import { encodeTensor, type DType, type WireTensor } from '../protocol/ts/tensor.js';
import { PROTOCOL_VERSION } from '../protocol/ts/version.js';
import { sameMeaning, toHex, toVectorJson, type JsonValue } from '../protocol/ts/vector-json.js';
import { ContextSpace } from '../src/core/context.js';
import { Box, DictSpace, Discrete, MultiBinary, MultiDiscrete, TupleSpace } from '../src/core/spaces.js';
import { Cem } from '../src/planning/cem.js';
import { RandomShooting } from '../src/planning/random-shooting.js';
import { buildMountainCar } from '../envs/classic/mountain-car.js';
import { buildMountainCarContinuous } from '../envs/classic/mountain-car-continuous.js';

/** The command that regenerates every generated file; written into each of them. */
export const GENERATE_COMMAND = 'node bin/run-ts.mjs scripts/gen-protocol.ts';
const GENERATED_NOTE = `GENERATED from protocol/ts by \`${GENERATE_COMMAND}\`; do not edit by hand.`;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

// ---------------------------------------------------------------------------------------------------------------
// JSON Schemas

type JsonObject = { [key: string]: JsonValue };

/** How msgpack bin appears in the JSON Schemas (JSON has no bytes); the README and SPEC describe the convention. */
export const BIN_SCHEMA_NOTE = 'msgpack bin (raw bytes). JSON Schema has no byte type: validate bytes as strings.';

/**
 * A TypeBox schema as standard JSON Schema: TypeBox's Uint8Array kind becomes a documented string form, and every
 * nested schema that has its own $id becomes a $ref to its own file (collected in `shared`), so each shared type is
 * defined exactly once.
 */
function convert(node: unknown, shared: Map<string, TSchema>, isRoot: boolean): JsonValue {
  if (Array.isArray(node)) return node.map((x) => convert(x, shared, false));
  if (node === null || typeof node !== 'object') return node as JsonValue;
  const schema = node as Record<string, unknown>;
  if (!isRoot && typeof schema.$id === 'string') {
    if (!shared.has(schema.$id)) shared.set(schema.$id, node as TSchema);
    return { $ref: `${schema.$id}.json` };
  }
  if (schema.type === 'Uint8Array') {
    const out: JsonObject = { type: 'string', contentMediaType: 'application/octet-stream' };
    out.description = typeof schema.description === 'string' ? `${BIN_SCHEMA_NOTE} ${schema.description}` : BIN_SCHEMA_NOTE;
    return out;
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(schema)) {
    if (isRoot && k === '$id') continue;
    // A recursive schema refers to itself by bare $id; files refer to each other by file name.
    if (k === '$ref' && typeof v === 'string') out[k] = v.endsWith('.json') ? v : `${v}.json`;
    else if (k === 'properties' || k === 'patternProperties' || k === '$defs') {
      const props: JsonObject = {};
      for (const [name, sub] of Object.entries(v as Record<string, unknown>)) props[name] = convert(sub, shared, false);
      out[k] = props;
    } else out[k] = convert(v, shared, false);
  }
  return out;
}

function schemaFile(name: string, schema: TSchema, shared: Map<string, TSchema>): JsonObject {
  return { $schema: JSON_SCHEMA_DIALECT, $id: `${name}.json`, $comment: GENERATED_NOTE, ...(convert(schema, shared, true) as JsonObject) };
}

/** Every schema file by name (without .json), plus index.json, in a stable order. */
export function buildSchemas(): Map<string, JsonObject> {
  const shared = new Map<string, TSchema>();
  const files = new Map<string, JsonObject>();
  const requests: JsonObject = {};
  const replies: JsonObject = {};
  for (const op of OPS) {
    const req = REQUEST_SCHEMAS[op] as TSchema;
    const rep = REPLY_SCHEMAS[op];
    files.set(req.$id!, schemaFile(req.$id!, req, shared));
    files.set(rep.$id!, schemaFile(rep.$id!, rep, shared));
    requests[op] = `${req.$id}.json`;
    replies[op] = `${rep.$id}.json`;
  }
  files.set(ErrorReplySchema.$id!, schemaFile(ErrorReplySchema.$id!, ErrorReplySchema, shared));
  const events: JsonObject = {};
  for (const [name, schema] of Object.entries(EVENT_SCHEMAS) as Array<[EventName, TSchema]>) {
    files.set(schema.$id!, schemaFile(schema.$id!, schema, shared));
    events[name] = `${schema.$id}.json`;
  }
  // Shared types: the ones messages use, plus every space schema and the tensor parts, even if no message embeds them.
  for (const s of [TensorSchema, DTypeSchema, ...Object.values(SPACE_SCHEMAS)]) if (s.$id && !shared.has(s.$id)) shared.set(s.$id, s);
  const done = new Set<string>();
  // Converting a shared type can discover more of them; loop until none is left.
  for (;;) {
    const pending = [...shared.keys()].filter((k) => !done.has(k));
    if (pending.length === 0) break;
    for (const name of pending) {
      files.set(name, schemaFile(name, shared.get(name)!, shared));
      done.add(name);
    }
  }
  const types = [...done].sort();
  const sorted = new Map<string, JsonObject>([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  sorted.set('index', {
    $comment: GENERATED_NOTE,
    protocol: PROTOCOL_VERSION,
    dialect: JSON_SCHEMA_DIALECT,
    bytes: BIN_SCHEMA_NOTE,
    requests,
    replies,
    error_reply: `${ErrorReplySchema.$id}.json`,
    events,
    types: types.map((t) => `${t}.json`),
    reserved_ops: [...RESERVED_OPS],
  });
  return sorted;
}

// ---------------------------------------------------------------------------------------------------------------
// Test vectors

/** One entry of protocol/vectors/v1.json; for kind "event", `op` holds the event name. */
export interface Vector {
  name: string;
  op: string | null;
  kind: 'request' | 'reply' | 'error_reply' | 'event';
  description: string;
  hex: string;
  value: JsonValue;
}

const t = (dtype: DType, shape: number[], values: ArrayLike<number>): WireTensor => encodeTensor(dtype, shape, values);
const f32 = (shape: number[], values: number[]) => t('f32', shape, values);

// MountainCar-v0 (REFERENCE.md 1.1), built from src/core spaces; tests/protocol checks these equal the registered env.
const MC_OBS = new Box([-1.2, -0.07], [0.6, 0.07], [2], 'f32');
const MC_ACT = new Discrete(3);
const MC_CONTEXT = new ContextSpace([
  { name: 'gravity', default: 0.0025, low: 0.0001, high: 0.0035, description: 'downhill pull per step; PerSim test agents use 0.0001, 0.0005, 0.001, 0.0025, 0.0035' },
]);
const MC_DESCRIPTION = 'Drive an underpowered car up a hill (PerSim variant: gravity context, reward 0 on reaching the goal).';

/** MountainCar's transition (REFERENCE.md 1.1), so that step vectors hold values the real env would produce. */
function mountainCar(x: number, v: number, action: number, gravity: number): [number, number] {
  let v2 = Math.min(Math.max(v + (action - 1) * 0.001 - gravity * Math.cos(3 * x), -0.07), 0.07);
  const x2 = Math.min(Math.max(x + v2, -1.2), 0.6);
  if (x2 === -1.2 && v2 < 0) v2 = 0;
  return [x2, v2];
}

/** The spec of MountainCar-v0, as list_envs reports it. */
export function mountainCarSpec(): EnvSpec {
  return {
    id: 'MountainCar-v0',
    description: MC_DESCRIPTION,
    observation_space: MC_OBS.spec(),
    action_space: MC_ACT.spec(),
    context: MC_CONTEXT.spec(),
    max_episode_steps: 500,
    reward_range: [-1, 0],
    render_modes: ['svg'],
    options: [],
    dynamics: ['true'],
  };
}

/** A made-up goal-reaching environment whose spaces use Dict, Tuple, MultiBinary and unbounded f64 Boxes. */
function structuredSpec(): EnvSpec {
  const observation = new DictSpace([
    ['observation', new Box([-Infinity, -Infinity, -1, -1], [Infinity, Infinity, 1, 1], [4], 'f64')],
    ['desired_goal', new Box(0, 1, [2], 'f32')],
    ['contacts', new MultiBinary([2])],
  ]);
  const action = new TupleSpace([new Discrete(4, 1), new Box(-1, 1, [2], 'f32'), new MultiDiscrete([3, 5])]);
  return {
    id: 'GoalReach-example',
    description: 'Illustration only (no v1 environment has structured spaces): how Dict and Tuple spaces travel.',
    observation_space: observation.spec(),
    action_space: action.spec(),
    context: new ContextSpace([
      { name: 'mass', default: 1, low: 0.5, high: 2, description: 'mass of the agent', unit: 'kg' },
      { name: 'friction', default: 0.1, low: 0, high: 1, description: 'sliding friction coefficient' },
    ]).spec(),
    max_episode_steps: 100,
    reward_range: [-Infinity, 0],
    render_modes: ['svg'],
    options: [{ name: 'task', type: 'string', default: 'center', choices: ['center', 'corner'], description: 'where the goal is drawn from' }],
    dynamics: ['true', 'mocoda-goalreach'],
    causal: {
      roots: [
        { name: 'x', source: 'obs', indices: [0] },
        { name: 'y', source: 'obs', indices: [1] },
        { name: 'ax', source: 'action', indices: [0] },
        { name: 'ay', source: 'action', indices: [1] },
      ],
      children: [
        { name: 'x', indices: [0] },
        { name: 'y', indices: [1] },
      ],
      global_mask: [[1, 1], [1, 1], [1, 0], [0, 1]],
      local_masks: [
        { region: 'free', description: 'away from walls: each axis moves by its own action', mask: [[1, 0], [0, 1], [1, 0], [0, 1]], parent_sets: [['x', 'ax'], ['y', 'ay']] },
        { region: 'wall', description: 'sliding along a diagonal wall couples the axes', mask: [[1, 1], [1, 1], [1, 0], [0, 1]], parent_sets: [['x', 'y', 'ax'], ['x', 'y', 'ay']] },
      ],
    },
  };
}

/** The metadata of a make reply for MountainCar-v0. */
function mcMetadata(autoreset: 'next_step' | 'same_step' | 'disabled', maxSteps: number) {
  return { render_modes: ['svg'], autoreset, reward_range: [-1, 0], max_episode_steps: maxSteps, dynamics: { kind: 'true' }, options: {} };
}

/** A snapshot-shaped byte string for get_state/set_state vectors (clients treat it as opaque). */
function snapshotBytes(): Uint8Array {
  const f64 = (xs: number[]) => { const a = Float64Array.from(xs); return new Uint8Array(a.buffer); };
  return encodeFrame({
    format: 'twingym-session-state', version: 1, env_id: 'MountainCar-v0', options: {}, num_envs: 1, state_size: 2,
    context_size: 1, has_reset: true, states: f64([-0.5148, 0.0012]), contexts: f64([0.0025]),
    steps: new Uint8Array(new Int32Array([12]).buffer), pending_reset: new Uint8Array(1), needs_reset: new Uint8Array(1), rngs: null,
  });
}

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="400" viewBox="0 0 600 400">'
  + '<polyline points="0.0,272.8 300.0,142.0 600.0,71.4" fill="none" stroke="#333" stroke-width="2"/>'
  + '<circle cx="227.0" cy="261.9" r="10" fill="#d33"/></svg>';

type Fields = Record<string, unknown>;

/** The vectors, in file order: requests and replies op by op, then one error reply per error code. */
function vectorSources(): Array<{ name: string; op: string | null; kind: Vector['kind']; description: string; value: Fields }> {
  const out: Array<{ name: string; op: string | null; kind: Vector['kind']; description: string; value: Fields }> = [];
  const request = (name: string, op: Op, id: number, fields: Fields, description: string) =>
    out.push({ name, op, kind: 'request', description, value: { id, op, ...fields } });
  const reply = (name: string, op: Op, id: number, fields: Fields, description: string) =>
    out.push({ name, op, kind: 'reply', description, value: { id, ok: true, ...fields } });
  const event = (name: string, ev: EventName, fields: Fields, description: string) =>
    out.push({ name, op: ev, kind: 'event', description, value: { event: ev, ...fields } });

  // Single MountainCar session: reset from a known start, then a step with action 2 (push right).
  const g = 0.0025;
  const x0 = -0.5148;
  const [x1, v1] = mountainCar(x0, 0, 2, g);
  // Vector session (4 envs, one gravity each), used by the vector reset/step vectors.
  const gravities = [0.0001, 0.001, 0.0025, 0.0035];
  const vStart: Array<[number, number]> = [[-0.5173, 0], [-0.4412, 0], [-0.5826, 0], [-0.4069, 0]];

  // hello
  request('hello_request', 'hello', 1, { protocol: PROTOCOL_VERSION, client: 'twingym-python/0.1.0' }, 'Version handshake (optional). The major of protocol must equal the server\'s.');
  request('hello_request_minimal', 'hello', 1, { protocol: '1.0.0' }, 'An older (or newer) minor of the same major is accepted; client is optional.');
  reply('hello_reply', 'hello', 1, {
    protocol: PROTOCOL_VERSION,
    server: 'twingym/0.1.0',
    capabilities: [...OPS],
    limits: { max_frame_bytes: 16 * 1024 * 1024, max_sessions_per_connection: 64, max_envs_per_session: 4096, max_rollout_steps: 10_000_000, max_jobs: 2 },
  }, 'The server\'s version, the ops it implements and its limits (the defaults).');

  // list_envs
  request('list_envs_request', 'list_envs', 2, {}, 'Asks for every registered environment.');
  reply('list_envs_reply', 'list_envs', 2, { envs: [mountainCarSpec()] }, 'MountainCar-v0: f32 Box observation with its exact float32 bounds, Discrete(3) action, gravity context.');
  reply('list_envs_reply_structured_spaces', 'list_envs', 2, { envs: [structuredSpec()] },
    'An illustrative EnvSpec with Dict and Tuple spaces, MultiBinary/MultiDiscrete parts, f64 Box bounds of +-Infinity, a reward range unbounded below (-Infinity as a plain float), a context with units, a make option and a causal structure.');

  // make
  request('make_request_minimal', 'make', 3, { env_id: 'MountainCar-v0' }, 'Defaults: one env, not vectorized, true dynamics, default context, no seed.');
  request('make_request_vector', 'make', 4, {
    env_id: 'MountainCar-v0',
    dynamics: 'true',
    num_envs: 4,
    contexts: gravities.map((gravity) => ({ gravity })),
    seed: 42,
    max_episode_steps: 200,
    autoreset: 'same_step',
  }, 'A vector session of 4 envs with one gravity per env, seed 42 for the first reset (env i gets 42 + i), a 200-step limit and same_step autoreset.');
  request('make_request_learned', 'make', 5, {
    env_id: 'MountainCar-v0', dynamics: { model: 'persim-mountaincar-random', agent: 3 }, num_envs: 1, vectorized: true, seed: null, options: {},
  }, 'A learned simulator (the PerSim model persim-mountaincar-random, personalised for its trained agent 3) as a vector session of one env. The contexts are the agent\'s, so make takes none.');
  request('make_request_learned_trajectory', 'make', 5, {
    env_id: 'MountainCar-v0',
    dynamics: {
      model: 'persim-mountaincar-random',
      trajectory: {
        observations: f32([3, 2], [-0.5, 0, -0.4991, 0.0009, -0.4974, 0.0017]),
        actions: t('i64', [3], [2, 2, 2]),
        next_observations: f32([3, 2], [-0.4991, 0.0009, -0.4974, 0.0017, -0.4949, 0.0025]),
      },
      mode: 'sample',
    },
  }, 'A new agent: the model fits its latent code from these transitions (tensors [n, obs], actions [n] for a Discrete space); mode sample draws one ensemble member per step and env.');
  reply('make_reply_learned', 'make', 5, {
    session: 3,
    env_id: 'MountainCar-v0',
    num_envs: 1,
    vectorized: true,
    observation_space: MC_OBS.batched(1).spec(),
    action_space: MC_ACT.batched(1).spec(),
    single_observation_space: MC_OBS.spec(),
    single_action_space: MC_ACT.spec(),
    contexts: [{ gravity: 0.0025 }],
    metadata: { ...mcMetadata('next_step', 500), dynamics: { kind: 'persim', model: 'persim-mountaincar-random', agent: 3, members: 5, mode: 'mean' } },
  }, 'A learned session: contexts are the trained agent\'s true context; metadata.dynamics names the model, the agent, the ensemble size and the mode.');
  reply('make_reply', 'make', 3, {
    session: 1,
    env_id: 'MountainCar-v0',
    num_envs: 1,
    vectorized: false,
    observation_space: MC_OBS.spec(),
    action_space: MC_ACT.spec(),
    single_observation_space: MC_OBS.spec(),
    single_action_space: MC_ACT.spec(),
    contexts: [{ gravity: 0.0025 }],
    metadata: mcMetadata('disabled', 500),
  }, 'A single session: batched and single spaces coincide; contexts are read back from the dynamics.');
  reply('make_reply_vector', 'make', 4, {
    session: 2,
    env_id: 'MountainCar-v0',
    num_envs: 4,
    vectorized: true,
    observation_space: MC_OBS.batched(4).spec(),
    action_space: MC_ACT.batched(4).spec(),
    single_observation_space: MC_OBS.spec(),
    single_action_space: MC_ACT.spec(),
    contexts: gravities.map((gravity) => ({ gravity })),
    metadata: mcMetadata('same_step', 200),
  }, 'A vector session: batched spaces have a leading env axis (Discrete(3) batches to MultiDiscrete [3, 3, 3, 3]).');

  // reset
  request('reset_request_seed', 'reset', 6, { session: 1, seed: 123 }, 'Re-seeds the generator, then samples the first observation.');
  request('reset_request_keep_generator', 'reset', 7, { session: 1 }, 'No seed: the generator continues where it was (Gymnasium reset()).');
  request('reset_request_seed_nil', 'reset', 7, { session: 1, seed: null }, 'seed nil means the same as leaving it out.');
  request('reset_request_seed_list_mask', 'reset', 8, {
    session: 2, seed: [1000, 2000, 3000, 4000], options: { reset_mask: [false, true, false, true] },
  }, 'Vector reset of envs 1 and 3 only, each with its own seed from the list (entries of unmasked envs are not used).');
  request('reset_request_mask_tensor_contexts', 'reset', 8, {
    session: 2, options: { reset_mask: t('bool', [4], [1, 0, 0, 0]), contexts: [{ gravity: 0.0005 }, {}, {}, {}] },
  }, 'reset_mask as a bool tensor; contexts for the envs that reset (empty maps keep the current values).');
  request('reset_request_state', 'reset', 9, {
    session: 1, options: { state: [-0.5, 0], contexts: { gravity: 0.001 } },
  }, 'Starts from a given observation-state instead of sampling, with a new gravity.');
  reply('reset_reply', 'reset', 6, { obs: f32([2], [x0, 0]), info: { episode_step: 0 } }, 'Single session: obs has the space shape and dtype.');
  reply('reset_reply_vector_mask', 'reset', 8, {
    obs: f32([4, 2], [-0.4731, -0.0021, -0.4412, 0, -0.5604, 0.0043, -0.4069, 0]),
    info: { episode_step: t('i32', [4], [37, 0, 52, 0]) },
  }, 'After a masked reset: obs of every env, episode_step 0 for the envs that reset and unchanged for the others.');

  // step
  request('step_request_discrete_int', 'step', 10, { session: 1, action: 2 }, 'A plain number is accepted wherever a tensor is.');
  request('step_request_vector_i64', 'step', 11, { session: 2, action: t('i64', [4], [2, 2, 0, 1]) }, 'A vector step: one Discrete action per env as an i64 tensor.');
  request('step_request_vector_array', 'step', 11, { session: 2, action: [2, 2, 0, 1] }, 'The same actions as a plain array.');
  request('step_request_i32_scalar_tensor', 'step', 12, { session: 1, action: t('i32', [], [0]) }, 'A scalar tensor (shape []) of dtype i32.');
  request('step_request_u8', 'step', 12, { session: 2, action: t('u8', [4], [1, 1, 1, 1]) }, 'Discrete actions as u8: any integer dtype that holds the values is accepted.');
  request('step_request_box_f32', 'step', 13, { session: 3, action: f32([2, 1], [0.25, -1]) }, 'A continuous (Box) action batch of 2 envs x 1 element (e.g. MountainCarContinuous).');
  request('step_request_box_nested', 'step', 13, { session: 3, action: [[0.25], [-1]] }, 'The same batch as a nested array.');
  request('step_request_f64_nonfinite', 'step', 14, { session: 3, action: t('f64', [2, 1], [Number.NaN, Number.POSITIVE_INFINITY]) },
    'f64 NaN and Infinity are representable on the wire; this request is answered with out_of_bounds.');
  request('step_request_plain_nan', 'step', 14, { session: 1, action: Number.NaN },
    'A plain NaN (msgpack float64): schema-valid, answered with out_of_bounds because NaN is in no space.');
  request('step_request_bool', 'step', 15, { session: 4, action: t('bool', [3], [1, 0, 1]) }, 'A MultiBinary action as a bool tensor.');
  reply('step_reply', 'step', 10, {
    obs: f32([2], [x1, v1]), reward: -1, terminated: false, truncated: false, info: { episode_step: 1 },
  }, 'Single session: reward is a number (here an integral one, which encoders may send as a msgpack int), flags are booleans.');
  const xg = 0.4981;
  const [xgoal, vgoal] = mountainCar(xg, 0.0342, 2, 0.0025);
  reply('step_reply_terminated', 'step', 16, {
    obs: f32([2], [xgoal, vgoal]), reward: 0, terminated: true, truncated: false, info: { episode_step: 97 },
  }, 'Single session reaching the goal: terminated, reward 0. The next step needs a reset (needs_reset otherwise).');
  reply('step_reply_truncated', 'step', 17, {
    obs: f32([2], [-0.5412, -0.0031]), reward: -1.0, terminated: false, truncated: true, info: { episode_step: 500 },
  }, 'Single session at the time limit: truncated, not terminated.');
  {
    // next_step: env 1 ended on the previous step, so this step resets it, ignores its action and reports reward 0.
    const acts = [2, 0, 0, 1];
    const rows = vStart.map(([x, v], i) => (i === 1 ? [-0.4523, 0] : mountainCar(x, v, acts[i], gravities[i])));
    reply('step_reply_vector_next_step', 'step', 11, {
      obs: f32([4, 2], rows.flat()),
      reward: t('f64', [4], [-1, 0, -1, -1]),
      terminated: t('bool', [4], [0, 0, 0, 0]),
      truncated: t('bool', [4], [0, 0, 0, 0]),
      info: { episode_step: t('i32', [4], [18, 0, 5, 41]) },
    }, 'next_step autoreset: env 1 ended on the previous step, so this step reset it (its action ignored, reward 0, both flags false, episode_step 0).');
  }
  {
    // same_step: env 1 reaches the goal, env 2 hits the time limit; both are reset in this same step.
    const before: Array<[number, number]> = [[-0.3981, 0.0121], [0.4702, 0.0345], [-0.7015, -0.0112], [-0.2507, 0.0216]];
    const acts = [2, 2, 0, 2];
    const ended = before.map(([x, v], i) => mountainCar(x, v, acts[i], gravities[i]));
    const fresh = [[0, 0], [-0.5311, 0], [-0.4870, 0], [0, 0]];
    const obs = ended.map((r, i) => (i === 1 || i === 2 ? fresh[i] : r)).flat();
    const finalObs = ended.map((r, i) => (i === 1 || i === 2 ? r : [0, 0])).flat();
    reply('step_reply_vector_same_step', 'step', 18, {
      obs: f32([4, 2], obs),
      reward: t('f64', [4], [-1, 0, -1, -1]),
      terminated: t('bool', [4], [0, 1, 0, 0]),
      truncated: t('bool', [4], [0, 0, 1, 0]),
      info: { episode_step: t('i32', [4], [64, 0, 0, 12]), final_obs: f32([4, 2], finalObs), final_mask: t('bool', [4], [0, 1, 1, 0]) },
    }, 'same_step autoreset: env 1 terminated and env 2 truncated; obs holds their new first observations, final_obs their last ones (rows valid where final_mask is set).');
  }
  reply('step_reply_learned_nonfinite', 'step', 19, {
    obs: f32([3], [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]),
    reward: t('f64', [1], [Number.NEGATIVE_INFINITY]),
    terminated: t('bool', [1], [0]),
    truncated: t('bool', [1], [0]),
    info: { episode_step: t('i32', [1], [3]) },
  }, 'A learned model that diverged: f32 NaN and +-Infinity in obs, f64 -Infinity in reward. Non-finite values travel as they are.');

  // close
  request('close_request', 'close', 20, { session: 1 }, 'Frees the session.');
  reply('close_reply', 'close', 20, { closed: true }, 'The session was open and is now closed.');
  reply('close_reply_again', 'close', 21, { closed: false }, 'Closing a handle closed before is not an error.');

  // contexts
  request('get_context_request', 'get_context', 22, { session: 2 }, 'Reads the contexts back from the dynamics.');
  reply('get_context_reply', 'get_context', 22, { contexts: gravities.map((gravity) => ({ gravity })) }, 'One map per env, read back (not echoed).');
  request('set_context_request', 'set_context', 23, { session: 2, contexts: { gravity: 0.002 } }, 'One map for every env; applies from the next step.');
  request('set_context_request_indices', 'set_context', 24, { session: 2, contexts: [{ gravity: 0.0005 }, { gravity: 0.003 }], indices: [0, 3] },
    'One map per listed env; the other envs keep their context.');
  reply('set_context_reply', 'set_context', 24, { contexts: [{ gravity: 0.0005 }, { gravity: 0.001 }, { gravity: 0.0025 }, { gravity: 0.003 }] },
    'Every env\'s context after the change, read back.');

  // state
  const snap = snapshotBytes();
  request('get_state_request', 'get_state', 25, { session: 1 }, 'A snapshot including the random generators (include_rng defaults to true).');
  request('get_state_request_no_rng', 'get_state', 26, { session: 1, include_rng: false }, 'A snapshot without the generators: restoring it keeps the session\'s current generators.');
  reply('get_state_reply', 'get_state', 26, { state: snap }, 'Opaque bytes (msgpack bin); only meaningful to set_state on a session of the same env, options and num_envs.');
  request('set_state_request', 'set_state', 27, { session: 1, state: snap }, 'Restores a snapshot taken by get_state.');
  reply('set_state_reply', 'set_state', 27, { obs: f32([2], [-0.5148, 0.0012]) }, 'The observation of the restored state.');

  // render
  request('render_request', 'render', 28, { session: 1 }, 'Env 0, mode svg (the defaults).');
  request('render_request_index', 'render', 29, { session: 2, index: 3, mode: 'svg' }, 'Env 3 of a vector session.');
  reply('render_reply', 'render', 28, { mode: 'svg', data: SVG }, 'An SVG document as text.');

  // rollout: two sequences of three steps on session 1 (MountainCar at gravity 0.0025), from the current state.
  {
    const seqs = [[2, 2, 2], [0, 1, 2]];
    const obs: number[] = [];
    for (const seq of seqs) {
      let [x, v] = [x0, 0];
      for (const a of seq) {
        [x, v] = mountainCar(x, v, a, g);
        obs.push(x, v);
      }
    }
    request('rollout_request', 'rollout', 36, { session: 1, actions: t('i64', [2, 3], seqs.flat()) },
      'Two action sequences of three steps from the env\'s current state (start "current" is the default), on the session\'s dynamics and context. The session is not changed.');
    request('rollout_request_given_start', 'rollout', 37, {
      session: 2, env: 3, start: [[-0.5, 0], [-0.3, 0.01]], actions: seqs, contexts: { gravity: 0.001 }, include_obs: true,
    }, 'One observation-state per sequence, actions as nested arrays [batch][horizon], env 3\'s context with gravity overridden for this rollout only.');
    request('rollout_request_per_member', 'rollout', 38, { session: 5, actions: t('u8', [2, 3], seqs.flat()), per_member: true, include_obs: false, seed: 7 },
      'On a learned ensemble, every member rolls out its own trajectory; only rewards and terminations are returned. seed feeds stochastic dynamics.');
    reply('rollout_reply', 'rollout', 36, {
      obs: f32([2, 3, 2], obs), reward: t('f64', [2, 3], [-1, -1, -1, -1, -1, -1]), terminated: t('bool', [2, 3], [0, 0, 0, 0, 0, 0]), members: 1, transitions: 6,
    }, 'obs [batch, horizon, ...obs] in the observation dtype (the state after each step), reward f64 and terminated bool [batch, horizon].');
    reply('rollout_reply_per_member', 'rollout', 38, {
      reward: t('f64', [5, 2, 3], new Array(30).fill(-1)), terminated: t('bool', [5, 2, 3], new Array(30).fill(0)), members: 5, transitions: 30,
    }, 'per_member on a 5-member ensemble without observations: a leading member axis [members, batch, horizon].');
  }

  // plan: real decisions of the reference planners (small settings, fixed seeds), so the values are reproducible.
  {
    const mc = buildMountainCar();
    const rs = new RandomShooting({ definition: mc, dynamics: mc.trueDynamics() }, { candidates: 20, horizon: 5, positionBonus: { weight: 0.01, index: 0 } }, 3);
    const d = rs.plan(Float64Array.of(x0, 0), Float64Array.of(g));
    request('plan_request', 'plan', 39, { session: 1, planner: 'random_shooting', settings: { candidates: 20, horizon: 5, position_bonus: { weight: 0.01 } }, seed: 3 },
      'Random shooting (PerSim) from the env\'s current state with PerSim\'s MountainCar position bonus; seed re-seeds this env\'s planner.');
    request('plan_request_defaults', 'plan', 40, { session: 1 }, 'The default planner of the action space with PerSim\'s settings, continuing the env\'s planner (warm start when one step was taken since).');
    reply('plan_reply', 'plan', 39, {
      action: t('i64', [], d.action), predicted_return: d.predictedReturn, score: d.score, sequence: t('i64', [5], d.sequence),
      planner: 'random_shooting', warm_started: false, transitions: d.transitions,
    }, 'The action to take now (in the action space\'s dtype and shape), the plan behind it [horizon, ...action], its predicted return and score.');
    const mcc = buildMountainCarContinuous();
    const cem = new Cem({ definition: mcc, dynamics: mcc.trueDynamics() }, { candidates: 20, horizon: 4, iterations: 2, elites: 5 }, 5);
    const c = cem.plan(Float64Array.of(-0.5, 0), Float64Array.of(0.0025, 0.0015));
    request('plan_request_cem', 'plan', 41, {
      session: 3, env: 0, planner: 'cem', settings: { candidates: 20, horizon: 4, iterations: 2, elites: 5, smoothing: 0.1, init_std: [0.3, 0.6], warm_start: true }, seed: 5,
    }, 'CEM (PerSim) for a continuous action space, with explicit settings.');
    reply('plan_reply_cem', 'plan', 41, {
      action: f32([1], Array.from(c.action)), predicted_return: c.predictedReturn, score: c.score, sequence: f32([4, 1], Array.from(c.sequence)),
      planner: 'cem', warm_started: false, transitions: c.transitions,
    }, 'A CEM decision for MountainCarContinuous: an f32 action of shape [1] and the elites\' mean plan [4, 1].');
  }

  // list_models
  const modelInfo = {
    id: 'persim-mountaincar-random',
    kind: 'persim',
    env_id: 'MountainCar-v0',
    env_options: {},
    created: '2025-01-01T00:00:00.000Z',
    description: 'persim model of MountainCar-v0 trained on 500 agents (random data)',
    members: 5,
    agents: 500,
    test_agents: [0, 1, 2, 3, 4],
    context_names: ['gravity'],
    metadata: { rank: 3, epochs_trained: 300, dataset: { policy: 'random', transitions: 250000 }, metrics: { final_train_loss: 2.1e-7 } },
  };
  request('list_models_request', 'list_models', 42, {}, 'Every learned model the server serves.');
  request('list_models_request_env', 'list_models', 43, { env_id: 'MountainCar-v0' }, 'Only the models of one environment.');
  reply('list_models_reply', 'list_models', 42, { models: [modelInfo] }, 'One PerSim model: its environment, agents, test agents, ensemble size and kind-specific metadata.');

  // jobs
  const job = (over: Partial<JobInfo>): JobInfo => ({
    id: 'job-7f3a', kind: 'train_persim', state: 'queued', params: { dataset: 'mc-random-20', model: 'mc-tiny', epochs: 3 },
    progress: { done: 0, total: 0, unit: 'epochs' }, created: '2025-01-01T12:00:00.000Z', started: null, finished: null, result: null, error: null, ...over,
  });
  const running = job({ state: 'running', started: '2025-01-01T12:00:00.010Z', progress: { done: 2, total: 3, unit: 'epochs', message: 'epoch 2/3, loss 4.1e-5', metrics: { loss: 4.1e-5 } } });
  const succeeded = job({
    state: 'succeeded', started: '2025-01-01T12:00:00.010Z', finished: '2025-01-01T12:00:04.500Z', progress: { done: 3, total: 3, unit: 'epochs', message: 'saved mc-tiny' },
    result: { model: 'mc-tiny', metrics: { final_train_loss: 3.2e-5 } },
  });
  request('start_job_request', 'start_job', 44, { kind: 'train_persim', params: { dataset: 'mc-random-20', model: 'mc-tiny', epochs: 3 } },
    'Trains a PerSim model in the background; this connection receives its progress events (subscribe defaults to true).');
  request('start_job_request_collect', 'start_job', 45, { kind: 'collect', params: { env_id: 'MountainCar-v0', policy: 'random', agents: 20, steps: 50, seed: 1, dataset: 'mc-random-20' }, subscribe: false },
    'Collects a dataset without subscribing to its events (poll job_status instead).');
  reply('start_job_reply', 'start_job', 44, { job: job({}) }, 'The job as created: queued (it starts when a slot is free).');
  request('job_status_request', 'job_status', 46, { job: 'job-7f3a' }, 'The current state of a job.');
  reply('job_status_reply', 'job_status', 46, { job: running }, 'A running job with its progress.');
  request('list_jobs_request', 'list_jobs', 47, {}, 'Every job of the server.');
  reply('list_jobs_reply', 'list_jobs', 47, {
    jobs: [succeeded, job({
      id: 'job-51c0', kind: 'collect', state: 'failed', params: { env_id: 'HalfCheetah-v0', policy: 'pure', agents: 10 },
      started: '2025-01-01T11:59:00.000Z', finished: '2025-01-01T11:59:00.100Z', progress: { done: 0, total: 10, unit: 'agents' },
      error: { code: 'invalid_argument', message: 'HalfCheetah-v0 has no pure controller; collect with policy "random"', details: { path: 'params.policy' } },
    })],
  }, 'Newest first: a succeeded job with its result and a failed one with its error.');
  request('cancel_job_request', 'cancel_job', 48, { job: 'job-7f3a' }, 'Cancels a job.');
  reply('cancel_job_reply', 'cancel_job', 48, { job: job({ state: 'cancelled', started: '2025-01-01T12:00:00.010Z', finished: '2025-01-01T12:00:01.200Z', progress: { done: 1, total: 3, unit: 'epochs' } }) },
    'The job stopped: state cancelled, nothing was saved.');
  event('job_progress_event', 'job_progress', { job: running }, 'Progress of a job this connection started (at most about 5 per second per job).');
  event('job_finished_event', 'job_finished', { job: succeeded }, 'Sent once when the job stops; result holds the trained model id.');

  // compare
  request('compare_request', 'compare', 49, { model: 'persim-mountaincar-random', agent: 0, episodes: 20, seed: 1, warmup: 10, horizon: 50 },
    'PerSim\'s sim-versus-real protocol for trained agent 0, run synchronously on the server.');
  reply('compare_reply', 'compare', 49, {
    env_id: 'MountainCar-v0', model: 'persim-mountaincar-random', agent: 0, episodes: 20, policy: 'square-wave', warmup: 10, horizon: 50,
    rmse: { mean: 0.0042, median: 0.0031 }, r2: { mean: 0.962, median: 0.981 }, per_dimension_rmse: [0.0058, 0.00041],
  }, 'RMSE and R^2 over the open-loop steps (mean and median over episodes) and the RMSE of each observation element.');

  // errors: one per code, with the message and details a server would send.
  const E: Record<ErrorCode, { id: number | null; op: string | null; message: string; details: Fields; description?: string }> = {
    invalid_request: { id: null, op: null, message: 'a request must be a map with a non-negative integer id and a string op; got an array', details: {}, description: 'The frame was not a map, so there is no id to echo: id is nil.' },
    invalid_argument: { id: 30, op: 'make', message: 'num_envs must be an integer >= 1', details: { path: 'num_envs' } },
    unknown_op: { id: 31, op: 'fly', message: 'unknown op "fly"; this server implements hello, list_envs, make, ...', details: { op: 'fly', reserved: false } },
    unknown_field: { id: 32, op: 'step', message: 'step has no field "actions"; did you mean "action"?', details: { field: 'actions', op: 'step' } },
    unsupported_version: { id: 1, op: 'hello', message: `protocol 2.0.0 has major 2; this server speaks ${PROTOCOL_VERSION}`, details: { client_protocol: '2.0.0', server_protocol: PROTOCOL_VERSION } },
    unauthorized: { id: 2, op: 'list_envs', message: 'this server requires a token: send "Authorization: Bearer <token>" or ?token=', details: {},
      description: 'Shown as a frame for completeness: a server refuses an unauthenticated WebSocket upgrade (HTTP 401), so the code reaches clients in HTTP error bodies, {error: {...}} without id and ok.' },
    unknown_env: { id: 3, op: 'make', message: 'no environment "mountaincar-v0"; did you mean "MountainCar-v0"? Known: MountainCar-v0, CartPole-v0', details: { env_id: 'mountaincar-v0', known: ['MountainCar-v0', 'CartPole-v0'] } },
    unknown_env_option: { id: 3, op: 'make', message: 'MountainCar-v0 has no option "task"; it takes no options', details: { option: 'task' } },
    unknown_session: { id: 33, op: 'step', message: 'session 9 is not open on this connection; use a handle returned by make on this connection', details: { session: 9 } },
    unknown_dynamics: { id: 5, op: 'make', message: 'no model "persim-mountaincar-v1" for MountainCar-v0; use "true" or a model id from list_models', details: { model: 'persim-mountaincar-v1' } },
    unknown_job: { id: 46, op: 'job_status', message: 'no job "job-0000"; use an id from start_job or list_jobs (finished jobs are kept for an hour)', details: { job: 'job-0000' } },
    unknown_dataset: { id: 47, op: 'start_job', message: 'no dataset "mc-missing" in the server\'s datasets; stored: mc-rand', details: { path: 'params.dataset', dataset: 'mc-missing', known: ['mc-rand'] } },
    unknown_context_key: { id: 23, op: 'set_context', message: 'context parameter "g" does not exist; this environment has gravity', details: { key: 'g', known: ['gravity'] } },
    context_out_of_range: { id: 23, op: 'set_context', message: 'context gravity=0.01 is outside [0.0001, 0.0035]', details: { key: 'gravity', value: 0.01, low: 0.0001, high: 0.0035 } },
    bad_dtype: { id: 11, op: 'step', message: 'action has dtype f32; this space takes i32 or i64 or u8 or bool (integers)', details: { path: 'action', got: 'f32', expected: ['i32', 'i64', 'u8', 'bool'] } },
    bad_shape: { id: 11, op: 'step', message: 'action has shape [4, 1, 1]; expected [4] (or [] for the same value in every env)', details: { path: 'action', got: [4, 1, 1], expected: [4], elements: 4 } },
    bad_tensor: { id: 11, op: 'step', message: 'action: data has 12 bytes; shape [4] of i64 needs 32', details: { path: 'action' } },
    out_of_bounds: { id: 14, op: 'step', message: 'action NaN (env 0, element 0) is outside the action space: a value in [-1, 1]', details: { env: 0, index: 0, value: Number.NaN, low: -1, high: 1 }, description: 'details may hold non-finite numbers (here NaN as a plain msgpack float).' },
    not_reset: { id: 10, op: 'step', message: 'call reset before stepping (or rendering) a new session', details: {} },
    needs_reset: { id: 10, op: 'step', message: 'the episode has ended; call reset before stepping again', details: { envs: [0] } },
    bad_state: { id: 27, op: 'set_state', message: 'not a snapshot of this session: it was taken from CartPole-v0, this session is MountainCar-v0; restore only get_state bytes from a session of the same env, options and num_envs', details: { reason: 'it was taken from CartPole-v0, this session is MountainCar-v0' } },
    unsupported: { id: 29, op: 'render', message: 'render mode "rgb_array" is not available for MountainCar-v0; its render modes are svg', details: { mode: 'rgb_array', render_modes: ['svg'] } },
    too_many_sessions: { id: 4, op: 'make', message: 'this connection already holds 64 sessions (the limit); close sessions you no longer use', details: { limit: 64, open: 64 } },
    too_many_envs: { id: 4, op: 'make', message: 'num_envs 10000 exceeds this server\'s limit of 4096 envs per session; use several sessions', details: { limit: 4096, num_envs: 10000 } },
    frame_too_large: { id: 11, op: 'step', message: 'the frame has 20971520 bytes; this server accepts at most 16777216 per frame', details: { bytes: 20971520, limit: 16777216 } },
    batch_too_large: { id: 34, op: 'rollout', message: 'rollout of 4096 x 5000 = 20480000 imagined transitions exceeds max_rollout_steps 10000000; split the sequences into requests of at most 2000 sequences (3 requests), or raise the server limit', details: { steps: 20480000, limit: 10_000_000, max_sequences: 2000 }, description: 'details.max_sequences says how many sequences of this horizon fit in one request.' },
    busy: { id: 35, op: 'start_job', message: '2 jobs are running and 16 are queued, the server\'s limits; retry when a job finishes', details: { running: 2, queued: 16, max_jobs: 2, max_queued: 16 },
      description: 'Here the job capacity; in HTTP bodies (503) and refused upgrades the same code says the server is shutting down or at its connection limit.' },
    internal: { id: 11, op: 'step', message: 'internal error while serving step; the session is unchanged', details: { request_id: 'r-00042' } },
  };
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
    const e = E[code] as (typeof E)[ErrorCode] | undefined;
    if (!e) throw new Error(`error code ${code} has no vector: add one to the error table in scripts/gen-protocol.ts`);
    out.push({
      name: `error_${code}`,
      op: e.op,
      kind: 'error_reply',
      description: `${ERROR_CODES[code].meaning}${e.description ? ` ${e.description}` : ''}`,
      value: { id: e.id, ok: false, error: { code, message: e.message, details: e.details } },
    });
  }
  return out;
}

/** protocol/vectors/v1.json as an object. */
export function buildVectors(): { $comment: string; protocol: string; vectors: Vector[] } {
  const vectors = vectorSources().map((s) => {
    const bytes = encodeFrame(s.value);
    const value = toVectorJson(decodeFrame(bytes));
    // What travels must mean what was built; this catches values the frame encoder would drop or alter.
    if (!sameMeaning(value, toVectorJson(s.value))) throw new Error(`vector ${s.name} does not survive encoding`);
    return { name: s.name, op: s.op, kind: s.kind, description: s.description, hex: toHex(bytes), value };
  });
  const names = new Set<string>();
  for (const v of vectors) {
    if (names.has(v.name)) throw new Error(`duplicate vector name ${v.name}`);
    names.add(v.name);
  }
  return { $comment: GENERATED_NOTE, protocol: PROTOCOL_VERSION, vectors };
}

// ---------------------------------------------------------------------------------------------------------------
// The error table of SPEC.md

export const ERROR_TABLE_BEGIN = '<!-- BEGIN ERROR_CODES: generated from protocol/ts/errors.ts by `' + GENERATE_COMMAND + '` -->';
export const ERROR_TABLE_END = '<!-- END ERROR_CODES -->';


/** The markdown table of every error code. */
export function renderErrorTable(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const rows = (Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => `| \`${code}\` | ${httpStatusOf(code)} | ${esc(ERROR_CODES[code].meaning)} | ${esc(ERROR_CODES[code].fix)} |`);
  return ['| code | HTTP | meaning | usual fix |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** SPEC.md with its error table replaced; throws when the markers are missing. */
export function withErrorTable(spec: string): string {
  const a = spec.indexOf(ERROR_TABLE_BEGIN);
  const b = spec.indexOf(ERROR_TABLE_END);
  if (a < 0 || b < a) throw new Error(`protocol/SPEC.md needs the markers\n${ERROR_TABLE_BEGIN}\n${ERROR_TABLE_END}`);
  return `${spec.slice(0, a + ERROR_TABLE_BEGIN.length)}\n${renderErrorTable()}\n${spec.slice(b)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Files

const json = (x: unknown) => `${JSON.stringify(x, null, 2)}\n`;

/** Every generated file (path relative to the repository root) with its exact content. */
export function generatedFiles(root = ROOT): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, schema] of buildSchemas()) files.set(`protocol/schemas/${name}.json`, json(schema));
  files.set('protocol/vectors/v1.json', json(buildVectors()));
  files.set('protocol/SPEC.md', withErrorTable(readFileSync(join(root, 'protocol/SPEC.md'), 'utf8')));
  return files;
}

/** Writes (or with check, compares) every generated file; returns the paths that differed. */
export function run(check: boolean, root = ROOT): string[] {
  const files = generatedFiles(root);
  const differing: string[] = [];
  for (const [rel, content] of files) {
    const path = join(root, rel);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
    if (current === content) continue;
    differing.push(rel);
    if (!check) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
    }
  }
  // Schema files of types that no longer exist would otherwise linger and mislead.
  const dir = join(root, 'protocol/schemas');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir)) {
      const rel = `protocol/schemas/${f}`;
      if (f.endsWith('.json') && !files.has(rel)) {
        differing.push(rel);
        if (!check) unlinkSync(join(dir, f));
      }
    }
  }
  return differing;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const check = process.argv.includes('--check');
  const differing = run(check);
  if (check && differing.length > 0) {
    console.error(`out of date (run ${GENERATE_COMMAND}):\n  ${differing.join('\n  ')}`);
    process.exit(1);
  }
  console.log(differing.length === 0 ? 'protocol files are up to date' : `${check ? 'differ' : 'wrote'}:\n  ${differing.join('\n  ')}`);
}

/** Exposed for tests: the space specs the MountainCar vectors were built from. */
export const MOUNTAIN_CAR_SPACES: { observation: SpaceSpec; action: SpaceSpec } = { observation: MC_OBS.spec(), action: MC_ACT.spec() };
