/**
 * Sessions as Gymnasium-style objects. Env is one unbatched instance (reward a number, flags booleans); VectorEnv is a
 * batch (reward Float64Array, flags Uint8Array of 0/1 straight from the wire's bool tensors, no copy). Observations are
 * flat row-major typed arrays of the observation space dtype (Float32Array for every current environment).
 *
 * Every method sends its request immediately, so calls made without awaiting are pipelined and answered in order.
 */
import { decodeTensor, isWireTensorLike, numel, type DType, type WireTensor } from '../../protocol/ts/tensor.js';
import type { ContextMap } from '../../protocol/ts/spaces.js';
import type { AutoresetMode, MakeReply } from '../../protocol/ts/messages.js';
import { DiscreteSpace, FlatSpace, spaceFromSpec, type Space } from './spaces.js';
import type { Client } from './client.js';

/** The typed arrays an observation may arrive in (one per space dtype). */
export type Observation = Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array;

/** An action for a single env: a number for Discrete (or any one-element space), a flat array otherwise. */
export type Action = number | ArrayLike<number> | Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * Actions for a vector env: numEnvs x action size numbers, row-major (Int32Array for discrete spaces and Float32Array
 * for boxes go out without conversion), or one action's worth of numbers applied to every env.
 */
export type VectorAction = ArrayLike<number> | Float32Array | Float64Array | Int32Array | Uint8Array;

/** Initial observation-states for reset({options: {state}}): one obs for every env, or numEnvs of them. */
export type InitialState = ArrayLike<number> | Float32Array | Float64Array;

/** info of a single env's reset and step. */
export interface EnvInfo {
  /** Steps taken in the current episode. */
  episode_step: number;
  /** Other keys a server may add (tensors arrive decoded as typed arrays). */
  [key: string]: unknown;
}

/** info of a vector env's reset and step. */
export interface VectorInfo<O extends Observation = Float32Array> {
  /** Steps taken in each env's current episode. */
  episode_step: Int32Array;
  /** same_step autoreset: the last observation of envs that ended this step (rows valid where final_mask is 1). */
  final_obs?: O;
  /** same_step autoreset: 1 for envs whose episode ended this step. */
  final_mask?: Uint8Array;
  [key: string]: unknown;
}

/** What reset returns. */
export interface ResetResult<O extends Observation, I> {
  obs: O;
  info: I;
}

/** What a single env's step returns. */
export interface StepResult<O extends Observation = Float32Array> {
  obs: O;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: EnvInfo;
}

/** What a vector env's step returns; flags are 0/1 per env. */
export interface VectorStepResult<O extends Observation = Float32Array> {
  obs: O;
  reward: Float64Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  info: VectorInfo<O>;
}

/** reset options of a single env. */
export interface ResetOptions {
  /** Re-seeds the env's generator; absent or null keeps the current stream (Gymnasium). */
  seed?: number | null;
  options?: {
    /** Context to apply from this episode on. */
    contexts?: ContextMap;
    /** Start from this observation-state instead of sampling one. */
    state?: InitialState;
  };
}

/** reset options of a vector env. */
export interface VectorResetOptions {
  /** int: env i gets seed + i; array: one seed per env; absent or null keeps the generators. */
  seed?: number | number[] | null;
  options?: {
    /** One context for every env or one per env. */
    contexts?: ContextMap | ContextMap[];
    /** Only envs whose entry is true (or non-zero) reset; observations of every env come back. */
    resetMask?: ArrayLike<boolean | number>;
    /** numEnvs initial observation-states (row-major), or one for every env. */
    state?: InitialState;
  };
}

/** A drawing of an env: mode "svg" carries an SVG document. */
export interface RenderResult {
  mode: string;
  data: string;
}

/** What rollout evaluates: `batch` action sequences of `horizon` steps on the session's dynamics. */
export interface RolloutOptions {
  /** batch x horizon x action size numbers, row-major (sequence b's action at step t first). */
  actions: VectorAction;
  batch: number;
  horizon: number;
  /** The env whose context (and current state) is used (default 0). */
  env?: number;
  /** "current" (default): the env's current state; or observation-states, one for every sequence or batch of them. */
  start?: 'current' | InitialState;
  /** Context parameters to use instead of the env's for this rollout only. */
  contexts?: ContextMap;
  /** On an ensemble, every member rolls out its own trajectory (results gain a leading member axis). */
  perMember?: boolean;
  /** Return the observations (default true). */
  includeObs?: boolean;
  /** Seed of stochastic learned dynamics (default 0). */
  seed?: number;
}

/** What rollout returns; arrays are row-major over [members, batch, horizon] (members is 1 without perMember). */
export interface RolloutResult<O extends Observation = Float32Array> {
  members: number;
  batch: number;
  horizon: number;
  /** The observation after each step, [.., ...obs] flat; undefined when includeObs was false. */
  obs?: O;
  /** The environment's reward of each step; 0 after the step that terminated the sequence. */
  reward: Float64Array;
  /** 1 from the terminating step on. */
  terminated: Uint8Array;
  /** Imagined transitions the server computed. */
  transitions: number;
}

/** Planner settings in camelCase (absent ones take PerSim's values; SPEC.md, plan). */
export interface PlanSettings {
  candidates?: number;
  horizon?: number;
  /** CEM only. */
  iterations?: number;
  /** CEM only. */
  elites?: number;
  /** CEM only. */
  smoothing?: number;
  /** CEM only: [low, high] of the initial std draw. */
  initStd?: [number, number];
  /** CEM only. */
  maxRedraws?: number;
  /** Random shooting only: each ensemble member rolls out its own trajectory (default true). */
  perMember?: boolean;
  warmStart?: boolean;
  /** PerSim's MountainCar bonus: {weight: 0.01} on the position. */
  positionBonus?: { weight: number; index?: number; mode?: 'peak' | 'running' };
}

/** Which planner, for which env, with which settings and seed. */
export interface PlanOptions {
  env?: number;
  /** Default: random_shooting for integer action spaces, cem for real ones. */
  planner?: 'random_shooting' | 'cem';
  settings?: PlanSettings;
  /** Re-seeds the env's planner on the server (and drops its warm start); absent or null keeps its generator. */
  seed?: number | null;
}

/** One planning decision. */
export interface PlanDecision {
  /** The action to take: a number for Discrete spaces, a flat typed array otherwise (ready for step). */
  action: number | Float32Array | Float64Array | Int32Array | Uint8Array;
  /** The return the planner expects (member-averaged, without the position bonus). */
  predictedReturn: number;
  /** The objective the choice maximised. */
  score: number;
  /** The plan behind the action, horizon x action size. */
  sequence: Float32Array | Float64Array | Int32Array | Uint8Array;
  planner: 'random_shooting' | 'cem';
  warmStarted: boolean;
  transitions: number;
}

/** The wire form of camelCase plan settings (only the settings given). */
export function planSettingsWire(s: PlanSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const names: Array<[keyof PlanSettings, string]> = [
    ['candidates', 'candidates'], ['horizon', 'horizon'], ['iterations', 'iterations'], ['elites', 'elites'], ['smoothing', 'smoothing'],
    ['initStd', 'init_std'], ['maxRedraws', 'max_redraws'], ['perMember', 'per_member'], ['warmStart', 'warm_start'], ['positionBonus', 'position_bonus'],
  ];
  for (const [camel, wire] of names) if (s[camel] !== undefined) out[wire] = s[camel];
  return out;
}

/** Numbers of a reply tensor as a typed array other than BigInt64Array (i64 values here are small integers). */
function plainValues(x: unknown, what: string): Float32Array | Float64Array | Int32Array | Uint8Array {
  const v = tensorValues(x, what);
  return v instanceof BigInt64Array ? Float64Array.from(v, Number) : v;
}

/** Metadata make returns (render modes, autoreset mode, reward range, time limit, dynamics, resolved options). */
export type EnvMetadata = MakeReply['metadata'];

type Reply = Record<string, unknown>;

/** A reply that does not have the shape its op promises; the client turns it into a protocol_error naming the op. */
function malformed(message: string): Error {
  return new Error(message);
}

/** The typed array of a reply tensor, checked to be one. */
function tensorValues(x: unknown, what: string): Observation {
  if (!isWireTensorLike(x)) throw malformed(`${what} is not a tensor`);
  return decodeTensor(x).values;
}

function float64Values(x: unknown, what: string): Float64Array {
  const v = tensorValues(x, what);
  if (v instanceof Float64Array) return v;
  if (v instanceof BigInt64Array) return Float64Array.from(v, Number);
  return Float64Array.from(v);
}

function flagValues(x: unknown, what: string): Uint8Array {
  const v = tensorValues(x, what);
  if (v instanceof Uint8Array) return v;
  throw malformed(`${what} should be a bool tensor`);
}

function scalarNumber(x: unknown, what: string): number {
  if (typeof x === 'number') return x;
  // An integral reward may arrive as a msgpack int; beyond 2^53 msgpackr yields a bigint.
  if (typeof x === 'bigint') return Number(x);
  throw malformed(`${what} is not a number`);
}

/** info with every tensor decoded into its typed array. */
function decodeInfo(info: unknown): Record<string, unknown> {
  if (typeof info !== 'object' || info === null) return {};
  const out = info as Record<string, unknown>;
  for (const k in out) {
    const v = out[k];
    if (isWireTensorLike(v)) out[k] = decodeTensor(v).values;
  }
  return out;
}

function bytesOf(a: Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function allIntegers(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (!Number.isInteger(x) || x < -2147483648 || x > 2147483647) return false;
  }
  return true;
}

/**
 * A tensor of numbers for a space whose values are integers (`integral`) or reals. Typed arrays of a dtype the server
 * accepts travel as they are; others are converted only when that loses nothing, so a real mistake (2.5 for a
 * discrete action) still reaches the server and comes back as bad_dtype rather than being silently truncated.
 */
function numericTensor(values: ArrayLike<number>, shape: readonly number[], integral: boolean): WireTensor {
  let dtype: DType;
  let arr: Float32Array | Float64Array | Int32Array | Uint8Array;
  if (values instanceof Int32Array) { dtype = 'i32'; arr = values; }
  else if (values instanceof Uint8Array) { dtype = 'u8'; arr = values; }
  else if ((values instanceof Float32Array || values instanceof Float64Array) && !integral) {
    dtype = values instanceof Float32Array ? 'f32' : 'f64';
    arr = values;
  } else if (integral && allIntegers(values)) { dtype = 'i32'; arr = Int32Array.from(values); }
  else if (values instanceof Float32Array) { dtype = 'f32'; arr = values; }
  else { dtype = 'f64'; arr = values instanceof Float64Array ? values : Float64Array.from(values); }
  return { dtype, shape: shape as number[], data: bytesOf(arr) };
}

/** What both kinds of env share: identity, spaces, and the ops whose shape does not depend on batching. */
abstract class EnvBase<O extends Observation> {
  /** The connection this session lives on. */
  readonly client: Client;
  /** The session handle (per connection). */
  readonly session: number;
  readonly envId: string;
  readonly numEnvs: number;
  /** True for vector sessions (batched tensors, autoreset). */
  readonly vectorized: boolean;
  /** Space of what step/reset return: batched ([numEnvs, ...]) for vector envs. */
  readonly observationSpace: Space;
  /** Space of what step takes: batched for vector envs. */
  readonly actionSpace: Space;
  /** Space of one env's observation. */
  readonly singleObservationSpace: Space;
  /** Space of one env's action. */
  readonly singleActionSpace: Space;
  /** The contexts make applied, read back from the dynamics (one per env). */
  readonly initialContexts: ContextMap[];
  readonly metadata: EnvMetadata;
  /** Autoreset mode in force ("disabled" for single envs). */
  readonly autoreset: AutoresetMode;
  protected readonly actionIntegral: boolean;
  protected readonly singleActionShape: readonly number[];
  protected readonly batchActionShape: readonly number[];
  protected readonly obsShape: readonly number[];
  private closedLocally = false;

  /** Built by Client.make from the make reply. */
  constructor(client: Client, r: MakeReply) {
    this.client = client;
    this.session = r.session;
    this.envId = r.env_id;
    this.numEnvs = r.num_envs;
    this.vectorized = r.vectorized;
    this.observationSpace = spaceFromSpec(r.observation_space);
    this.actionSpace = spaceFromSpec(r.action_space);
    this.singleObservationSpace = spaceFromSpec(r.single_observation_space);
    this.singleActionSpace = spaceFromSpec(r.single_action_space);
    this.initialContexts = r.contexts;
    this.metadata = r.metadata;
    this.autoreset = r.metadata.autoreset;
    const a = this.singleActionSpace;
    this.actionIntegral = a instanceof DiscreteSpace || (a instanceof FlatSpace && a.integral);
    this.singleActionShape = a instanceof FlatSpace ? a.shape : [];
    this.batchActionShape = this.vectorized ? [this.numEnvs, ...this.singleActionShape] : this.singleActionShape;
    const o = this.singleObservationSpace;
    this.obsShape = o instanceof FlatSpace ? o.shape : [];
  }

  /** True once close() has been called on this object. */
  get closed(): boolean {
    return this.closedLocally;
  }

  /**
   * An opaque snapshot of the whole session (states, counters, contexts and, unless includeRng is false, the random
   * generators) for exact replay with setState.
   */
  getState(options: { includeRng?: boolean } = {}): Promise<Uint8Array> {
    const fields: Record<string, unknown> = { session: this.session };
    if (options.includeRng !== undefined) fields.include_rng = options.includeRng;
    // A copy, so the snapshot does not pin the whole receive buffer it was decoded from.
    return this.client.send('get_state', fields, (m) => {
      if (!(m.state instanceof Uint8Array)) throw malformed('get_state reply without state bytes');
      return new Uint8Array(m.state);
    }) as Promise<Uint8Array>;
  }

  /** Restores a snapshot from getState and returns the restored observation. */
  setState(state: Uint8Array): Promise<O> {
    return this.client.send('set_state', { session: this.session, state }, (m) => tensorValues(m.obs, 'obs')) as Promise<O>;
  }

  /** A drawing of env `index` (default 0) in `mode` (default "svg"). */
  render(options: { mode?: string; index?: number } = {}): Promise<RenderResult> {
    const fields: Record<string, unknown> = { session: this.session };
    if (options.mode !== undefined) fields.mode = options.mode;
    if (options.index !== undefined) fields.index = options.index;
    return this.client.send('render', fields, (m) => {
      if (typeof m.mode !== 'string' || typeof m.data !== 'string') throw malformed('render reply without mode and data');
      return { mode: m.mode, data: m.data };
    }) as Promise<RenderResult>;
  }

  /**
   * Evaluates `batch` action sequences of `horizon` steps on the session's dynamics in one request (from the env's
   * current state unless `start` is given) and returns the observations, rewards and terminations. The session is not
   * changed. Rejects with batch_too_large beyond the server's max_rollout_steps (client.limits after hello()).
   */
  rollout(options: RolloutOptions): Promise<RolloutResult<O>> {
    const { batch, horizon } = options;
    const fields: Record<string, unknown> = {
      session: this.session,
      actions: numericTensor(options.actions, [batch, horizon, ...this.singleActionShape], this.actionIntegral),
    };
    if (options.env !== undefined) fields.env = options.env;
    if (options.start !== undefined && options.start !== 'current') {
      const size = numel(this.obsShape);
      const start = options.start;
      const shape = start.length === size ? [...this.obsShape] : [start.length / size, ...this.obsShape];
      fields.start = { dtype: 'f64', shape, data: bytesOf(start instanceof Float64Array ? start : Float64Array.from(start)) };
    }
    if (options.contexts !== undefined) fields.contexts = options.contexts;
    if (options.perMember !== undefined) fields.per_member = options.perMember;
    if (options.includeObs !== undefined) fields.include_obs = options.includeObs;
    if (options.seed !== undefined) fields.seed = options.seed;
    return this.client.send('rollout', fields, (m) => ({
      members: scalarNumber(m.members, 'members'),
      batch,
      horizon,
      obs: m.obs === undefined ? undefined : (tensorValues(m.obs, 'obs') as O),
      reward: float64Values(m.reward, 'reward'),
      terminated: flagValues(m.terminated, 'terminated'),
      transitions: scalarNumber(m.transitions, 'transitions'),
    })) as Promise<RolloutResult<O>>;
  }

  /**
   * One MPC decision computed by the server (random shooting or CEM, PerSim's settings unless given) from the env's
   * current state. The server keeps each env's planner (generator and warm start) between calls.
   */
  plan(options: PlanOptions = {}): Promise<PlanDecision> {
    const fields: Record<string, unknown> = { session: this.session };
    if (options.env !== undefined) fields.env = options.env;
    if (options.planner !== undefined) fields.planner = options.planner;
    if (options.settings !== undefined) fields.settings = planSettingsWire(options.settings);
    if (options.seed !== undefined) fields.seed = options.seed;
    const scalarAction = numel(this.singleActionShape) === 1 && this.singleActionShape.length === 0;
    return this.client.send('plan', fields, (m) => {
      const action = plainValues(m.action, 'action');
      return {
        action: scalarAction ? action[0] : action,
        predictedReturn: scalarNumber(m.predicted_return, 'predicted_return'),
        score: scalarNumber(m.score, 'score'),
        sequence: plainValues(m.sequence, 'sequence'),
        planner: m.planner as PlanDecision['planner'],
        warmStarted: m.warm_started === true,
        transitions: scalarNumber(m.transitions, 'transitions'),
      };
    }) as Promise<PlanDecision>;
  }

  /**
   * Frees the session. Idempotent: resolves true the first time, false afterwards, and false without a round trip
   * when the connection is already gone (the server freed the session then).
   */
  async close(): Promise<boolean> {
    if (this.closedLocally) return false;
    this.closedLocally = true;
    if (!this.client.isOpen) return false;
    const r = await this.client.request('close', { session: this.session });
    return r.closed;
  }

  protected contextsRequest(op: 'get_context' | 'set_context', fields: Record<string, unknown>): Promise<ContextMap[]> {
    return this.client.send(op, fields, (m) => {
      if (!Array.isArray(m.contexts)) throw malformed(`${op} reply without contexts`);
      return m.contexts as ContextMap[];
    }) as Promise<ContextMap[]>;
  }

  /** An initial-state tensor: float64 so the values the caller gave arrive exactly. */
  protected stateTensor(state: InitialState): WireTensor | number[] {
    const size = numel(this.obsShape);
    // A plain array of one observation travels as an array (the wire accepts it), exactly as given.
    if (Array.isArray(state) && this.obsShape.length === 1 && state.length === size) return state as number[];
    const shape = this.vectorized && state.length === size * this.numEnvs ? [this.numEnvs, ...this.obsShape] : state.length === size ? [...this.obsShape] : [state.length];
    return { dtype: 'f64', shape, data: bytesOf(state instanceof Float64Array ? state : Float64Array.from(state)) };
  }
}

/** One environment instance (Gymnasium Env). */
export class Env<O extends Observation = Float32Array> extends EnvBase<O> {
  private readonly scalar = new Float64Array(1);
  private readonly scalarShape: number[];
  private readonly discrete: boolean;
  private readonly stepTransform = (m: Reply): StepResult<O> => ({
    obs: tensorValues(m.obs, 'obs') as O,
    reward: scalarNumber(m.reward, 'reward'),
    terminated: m.terminated === true,
    truncated: m.truncated === true,
    info: decodeInfo(m.info) as EnvInfo,
  });
  private readonly resetTransform = (m: Reply): ResetResult<O, EnvInfo> => ({
    obs: tensorValues(m.obs, 'obs') as O,
    info: decodeInfo(m.info) as EnvInfo,
  });

  /** Built by Client.make. */
  constructor(client: Client, r: MakeReply) {
    super(client, r);
    this.discrete = this.singleActionSpace instanceof DiscreteSpace;
    this.scalarShape = [...this.singleActionShape];
  }

  /** Starts an episode: `seed` re-seeds, no seed continues the generator's stream. */
  reset(options: ResetOptions = {}): Promise<ResetResult<O, EnvInfo>> {
    const fields: Record<string, unknown> = { session: this.session };
    if (options.seed !== undefined) fields.seed = options.seed;
    const o = options.options;
    if (o && (o.contexts !== undefined || o.state !== undefined)) {
      const wire: Record<string, unknown> = {};
      if (o.contexts !== undefined) wire.contexts = o.contexts;
      if (o.state !== undefined) wire.state = this.stateTensor(o.state);
      fields.options = wire;
    }
    return this.client.send('reset', fields, this.resetTransform) as Promise<ResetResult<O, EnvInfo>>;
  }

  /** One step. A Discrete action is a number; a Box action a flat array (a number is fine for one-element boxes). */
  step(action: Action): Promise<StepResult<O>> {
    let wire: number | WireTensor;
    if (typeof action === 'number') {
      if (this.discrete || numel(this.scalarShape) !== 1) {
        wire = action;
      } else {
        // A one-element Box takes a bare number for convenience. encodeFrame copies the bytes before send() returns,
        // so one scratch array serves every call.
        this.scalar[0] = action;
        wire = numericTensor(this.scalar, this.scalarShape, this.actionIntegral);
      }
    } else {
      wire = numericTensor(action, action.length === numel(this.singleActionShape) ? this.singleActionShape : [action.length], this.actionIntegral);
    }
    return this.client.send('step', { session: this.session, action: wire }, this.stepTransform) as Promise<StepResult<O>>;
  }

  /** The context the dynamics are using, read back. */
  async getContext(): Promise<ContextMap> {
    return (await this.contextsRequest('get_context', { session: this.session }))[0];
  }

  /** Changes physical parameters from the next step on; resolves with the context read back. */
  async setContext(context: ContextMap): Promise<ContextMap> {
    return (await this.contextsRequest('set_context', { session: this.session, contexts: context }))[0];
  }
}

/** A batch of environment instances (Gymnasium VectorEnv) stepped by one request. */
export class VectorEnv<O extends Observation = Float32Array> extends EnvBase<O> {
  private readonly stepTransform = (m: Reply): VectorStepResult<O> => ({
    obs: tensorValues(m.obs, 'obs') as O,
    reward: float64Values(m.reward, 'reward'),
    terminated: flagValues(m.terminated, 'terminated'),
    truncated: flagValues(m.truncated, 'truncated'),
    info: decodeInfo(m.info) as VectorInfo<O>,
  });
  private readonly resetTransform = (m: Reply): ResetResult<O, VectorInfo<O>> => ({
    obs: tensorValues(m.obs, 'obs') as O,
    info: decodeInfo(m.info) as VectorInfo<O>,
  });

  /** Starts episodes: an int seed gives env i seed + i; resetMask limits the reset to some envs. */
  reset(options: VectorResetOptions = {}): Promise<ResetResult<O, VectorInfo<O>>> {
    const fields: Record<string, unknown> = { session: this.session };
    if (options.seed !== undefined) fields.seed = options.seed;
    const o = options.options;
    if (o && (o.contexts !== undefined || o.state !== undefined || o.resetMask !== undefined)) {
      const wire: Record<string, unknown> = {};
      if (o.contexts !== undefined) wire.contexts = o.contexts;
      if (o.state !== undefined) wire.state = this.stateTensor(o.state);
      if (o.resetMask !== undefined) wire.reset_mask = Array.from(o.resetMask, (x) => Boolean(x));
      fields.options = wire;
    }
    return this.client.send('reset', fields, this.resetTransform) as Promise<ResetResult<O, VectorInfo<O>>>;
  }

  /** One step of every env; `actions` holds numEnvs x action size numbers row-major (or one action for all). */
  step(actions: VectorAction): Promise<VectorStepResult<O>> {
    const single = numel(this.singleActionShape);
    const shape = actions.length === single * this.numEnvs ? this.batchActionShape : actions.length === single ? this.singleActionShape : [actions.length];
    const wire = numericTensor(actions, shape, this.actionIntegral);
    return this.client.send('step', { session: this.session, action: wire }, this.stepTransform) as Promise<VectorStepResult<O>>;
  }

  /** The contexts of every env, read back from the dynamics. */
  getContext(): Promise<ContextMap[]> {
    return this.contextsRequest('get_context', { session: this.session });
  }

  /**
   * Changes contexts from the next step on: one map for every env (or for the envs in `indices`), or one map per
   * env/index. Resolves with every env's context read back.
   */
  setContext(contexts: ContextMap | ContextMap[], indices?: number[]): Promise<ContextMap[]> {
    const fields: Record<string, unknown> = { session: this.session, contexts };
    if (indices !== undefined) fields.indices = indices;
    return this.contextsRequest('set_context', fields);
  }
}
