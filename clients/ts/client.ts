/**
 * The connection: one WebSocket speaking protocol v1. Requests go out the moment they are made and are matched to
 * replies by position (the server answers in request order), so any number may be in flight and a pipelined caller
 * pays one round trip for many requests. The hot path (step) allocates only the request map, its encoding, and the
 * promise; there is no JSON and no per-request timer.
 */
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../protocol/ts/frame.js';
import type { EnvSpec, ContextMap } from '../../protocol/ts/spaces.js';
import type {
  HelloReply, Limits, MakeReply, Op, ReplyOf, RequestFields, AutoresetMode, CompareReply, JobInfo, ModelInfoWire, ProtocolEvent,
} from '../../protocol/ts/messages.js';
import { encodeTensor, isWireTensorLike, type WireTensor } from '../../protocol/ts/tensor.js';
import { PROTOCOL_VERSION } from '../../protocol/ts/version.js';
import { TwinGymClientError, describeCloseCode } from './errors.js';
import { Env, VectorEnv, type Observation } from './env.js';

/** Name and version this client announces in hello. */
export const CLIENT_NAME = 'twingym-ts/0.1.0';

/** How to connect. */
export interface ConnectOptions {
  /** Sent as "Authorization: Bearer <token>" on the upgrade request. */
  token?: string;
  /**
   * Per-request time limit in milliseconds (default: none). A timed-out request rejects with code "timeout"; the
   * server may still carry it out, so treat the session's state as unknown afterwards. Also bounds the connect.
   */
  timeoutMs?: number;
  /** Largest reply frame accepted (default 256 MiB): a guard against a runaway server, not a protocol limit. */
  maxReplyBytes?: number;
}

/**
 * A server-initiated message ({event, ...}). Protocol 1.2 sends job_progress and job_finished ({event, job}); later
 * minors may send others, which handlers should ignore.
 */
export interface ServerEvent {
  event: string;
  [key: string]: unknown;
}

/** A job event of protocol 1.2 (job_progress or job_finished with the job's state). */
export type JobEvent = ProtocolEvent;

/** Rows of a trajectory: nested arrays ([n][...]), a tensor, or a flat typed array (then `n` must be given). */
export type TrajectoryRows = number[] | number[][] | Float32Array | Float64Array | Int32Array | WireTensor;

/** A new agent's transitions, for personalising a learned model in make (PerSim). */
export interface TrajectoryInput {
  /** Number of transitions; required when the arrays are flat typed arrays. */
  n?: number;
  /** [n, ...obs] observations before each transition. */
  observations: TrajectoryRows;
  /** [n] (Discrete) or [n, ...action] actions. */
  actions: TrajectoryRows;
  /** [n, ...obs] observations after each transition. */
  nextObservations: TrajectoryRows;
}

/** A learned model as make's dynamics: a trained agent, or a new agent given by a trajectory. */
export interface ModelDynamicsOptions {
  /** A model id from listModels(). */
  model: string;
  /** A trained agent id (0 .. agents-1); PerSim's test agents are 0-4. */
  agent?: number;
  /** A new agent's transitions; the server fits its latent code. Give exactly one of agent and trajectory. */
  trajectory?: TrajectoryInput;
  /** "mean" (default): the ensemble mean; "sample": one member per step and env, drawn from the env's generator. */
  mode?: 'mean' | 'sample';
}

/** A learned model's description (list_models). */
export type ModelInfo = ModelInfoWire;

/** Options of waitJob. */
export interface WaitJobOptions {
  /** Called with every progress report (events when this connection is subscribed, else each poll). */
  onProgress?: (job: JobInfo) => void;
  /** How often job_status is polled when no event arrives (default 1000 ms). */
  pollMs?: number;
  /** Give up after this long (rejects with code "timeout"; the job goes on). Default: wait for ever. */
  timeoutMs?: number;
}

/** Options of compare (the compare op's optional fields). */
export interface CompareOptions {
  episodes?: number;
  seed?: number;
  warmup?: number;
  horizon?: number;
  policy?: string;
}

const FINAL_STATES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);

/** A trajectory field as the wire takes it (tensors and nested arrays pass; flat typed arrays become [n, k] tensors). */
function trajectoryRows(rows: TrajectoryRows, n: number | undefined, field: string): unknown {
  if (Array.isArray(rows) || isWireTensorLike(rows)) return rows;
  if (n === undefined || !(n >= 1) || rows.length % n !== 0) {
    throw new TwinGymClientError('invalid_argument', `trajectory.${field} is a flat typed array: give trajectory.n (the number of transitions), which must divide its length ${rows.length}`, { path: `dynamics.trajectory.${field}` }, 'make');
  }
  const k = rows.length / n;
  const dtype = rows instanceof Int32Array ? 'i32' : rows instanceof Float32Array ? 'f32' : 'f64';
  return encodeTensor(dtype, field === 'actions' && k === 1 ? [n] : [n, k], rows);
}

/** make's wire dynamics field for the client's options. */
function dynamicsField(d: 'true' | ModelDynamicsOptions): RequestFields<'make'>['dynamics'] {
  if (d === 'true') return d;
  const out: Record<string, unknown> = { model: d.model };
  if (d.agent !== undefined) out.agent = d.agent;
  if (d.mode !== undefined) out.mode = d.mode;
  if (d.trajectory !== undefined) {
    const t = d.trajectory;
    out.trajectory = {
      observations: trajectoryRows(t.observations, t.n, 'observations'),
      actions: trajectoryRows(t.actions, t.n, 'actions'),
      next_observations: trajectoryRows(t.nextObservations, t.n, 'next_observations'),
    };
  }
  return out as RequestFields<'make'>['dynamics'];
}

/** Options of make shared by single and vector sessions (camelCase mirrors of the make request fields). */
export interface MakeOptionsBase {
  /** One context for every env, or one per env; parameters left out keep their defaults. Read back in env.contexts. */
  contexts?: ContextMap | ContextMap[];
  /** Seed for the first reset when that reset gives none. */
  seed?: number | null;
  /** Time limit override. */
  maxEpisodeSteps?: number;
  /** Env options (see EnvSpec.options), e.g. Navigation2D's task. */
  options?: Record<string, string | number | boolean>;
  /**
   * "true" (default) or a learned model from listModels(). A learned session's contexts are the model's (a trained
   * agent's true context): `contexts` must then be left out, and setContext answers "unsupported".
   */
  dynamics?: 'true' | ModelDynamicsOptions;
}

/** make options for a single (unbatched) env. */
export interface MakeOptions extends MakeOptionsBase {
  /** Must be 1 (or absent): a single env holds one instance. Use makeVec for batches. */
  numEnvs?: 1;
  vectorized?: false;
  /** Single envs take only "disabled" (or nothing): they always need an explicit reset after an episode. */
  autoreset?: 'disabled';
}

/** make options for a vector env. */
export interface MakeVecOptions extends MakeOptionsBase {
  /** Number of env instances in the batch. */
  numEnvs: number;
  /** What happens after a sub-env ends (default next_step, Gymnasium's default). */
  autoreset?: AutoresetMode;
}

const enum State { Open, Closing, Closed }

/**
 * Pending replies in a growable ring, in request order. Parallel arrays instead of one object per request keep the
 * per-step garbage down to the promise itself.
 */
class PendingQueue {
  ids: number[] = new Array(64);
  ops: string[] = new Array(64);
  resolves: ((v: unknown) => void)[] = new Array(64);
  rejects: ((e: Error) => void)[] = new Array(64);
  transforms: (((reply: Record<string, unknown>) => unknown) | undefined)[] = new Array(64);
  deadlines: number[] = new Array(64);
  /** 1 once a timeout settled the promise: the reply is still expected and must be discarded. */
  settled: Uint8Array = new Uint8Array(64);
  head = 0;
  length = 0;

  push(id: number, op: string, resolve: (v: unknown) => void, reject: (e: Error) => void, transform: ((reply: Record<string, unknown>) => unknown) | undefined, deadline: number): void {
    if (this.length === this.ids.length) this.grow();
    const i = (this.head + this.length) & (this.ids.length - 1);
    this.ids[i] = id;
    this.ops[i] = op;
    this.resolves[i] = resolve;
    this.rejects[i] = reject;
    this.transforms[i] = transform;
    this.deadlines[i] = deadline;
    this.settled[i] = 0;
    this.length++;
  }

  /** Slot index of the oldest pending request. */
  get first(): number {
    return this.head;
  }

  shift(): void {
    const i = this.head;
    // Drop the closures so a finished request's promise machinery can be collected.
    this.resolves[i] = noop;
    this.rejects[i] = noop;
    this.transforms[i] = undefined;
    this.head = (this.head + 1) & (this.ids.length - 1);
    this.length--;
  }

  private grow(): void {
    const cap = this.ids.length;
    const order = (a: unknown[]) => [...a.slice(this.head), ...a.slice(0, this.head), ...new Array(cap)];
    this.ids = order(this.ids) as number[];
    this.ops = order(this.ops) as string[];
    this.resolves = order(this.resolves) as ((v: unknown) => void)[];
    this.rejects = order(this.rejects) as ((e: Error) => void)[];
    this.transforms = order(this.transforms) as (((reply: Record<string, unknown>) => unknown) | undefined)[];
    this.deadlines = order(this.deadlines) as number[];
    const s = new Uint8Array(cap * 2);
    s.set(this.settled.subarray(this.head));
    s.set(this.settled.subarray(0, this.head), cap - this.head);
    this.settled = s;
    this.head = 0;
  }
}

function noop(): void {}

/** The make request for camelCase options: only the options given are sent, under their snake_case wire names. */
function makeFields(envId: string, o: MakeOptionsBase & { numEnvs?: number; vectorized?: boolean; autoreset?: AutoresetMode }): RequestFields<'make'> {
  const f: RequestFields<'make'> = { env_id: envId };
  if (o.numEnvs !== undefined) f.num_envs = o.numEnvs;
  if (o.vectorized !== undefined) f.vectorized = o.vectorized;
  if (o.contexts !== undefined) f.contexts = o.contexts;
  if (o.seed !== undefined) f.seed = o.seed;
  if (o.maxEpisodeSteps !== undefined) f.max_episode_steps = o.maxEpisodeSteps;
  if (o.autoreset !== undefined) f.autoreset = o.autoreset;
  if (o.options !== undefined) f.options = o.options;
  if (o.dynamics !== undefined) f.dynamics = dynamicsField(o.dynamics);
  return f;
}

/** A connection to a TwinGym server. Make it with connect(). */
export class Client {
  /** The server's limits once hello() has been answered. */
  limits: Limits | undefined;
  private readonly ws: WebSocket;
  private readonly pending = new PendingQueue();
  private readonly timeoutMs: number;
  private nextId = 1;
  private state = State.Open;
  private closeError: TwinGymClientError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly eventHandlers: ((e: ServerEvent) => void)[] = [];
  private readonly closed: Promise<void>;

  /** Use connect(); the constructor takes an already open socket. */
  constructor(ws: WebSocket, timeoutMs: number) {
    this.ws = ws;
    this.timeoutMs = timeoutMs;
    let onClosed: () => void = noop;
    this.closed = new Promise((r) => { onClosed = r; });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('close', (code: number, reason: Buffer) => {
      this.onClose(code, reason.toString('utf8'));
      onClosed();
    });
    // The close event follows every error; keeping the message makes the rejection say what went wrong.
    ws.on('error', (err: Error) => {
      if (!this.closeError) this.closeError = new TwinGymClientError('connection_closed', `connection error: ${err.message}`, { cause: err.message });
    });
  }

  /** True until the connection has closed (by either side). */
  get isOpen(): boolean {
    return this.state === State.Open;
  }

  /** Number of requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.length;
  }

  /**
   * Sends one request and resolves with its reply (without id and ok). The request is written to the socket
   * before this returns, so requests issued back to back are pipelined.
   */
  request<O extends Op>(op: O, fields: RequestFields<O>): Promise<ReplyOf[O]> {
    // Copied because send() writes id and op into the map it is given, and the caller's object is not ours to change.
    return this.send(op, { ...(fields as Record<string, unknown>) }, undefined) as Promise<ReplyOf[O]>;
  }

  /**
   * The transport under request(): `transform` turns the reply map into the caller's result inside the same
   * promise, so Env.step costs one promise, not two. Not part of the stable API.
   * @internal
   */
  send(op: string, fields: Record<string, unknown>, transform: ((reply: Record<string, unknown>) => unknown) | undefined): Promise<unknown> {
    if (this.state !== State.Open) {
      return Promise.reject(this.closeError ?? new TwinGymClientError('connection_closed', 'the connection is closed', {}, op));
    }
    const id = this.nextId++;
    const msg = fields as Record<string, unknown> & { id?: number; op?: string };
    msg.id = id;
    msg.op = op;
    let bytes: Uint8Array;
    try {
      bytes = encodeFrame(msg);
    } catch (e) {
      return Promise.reject(new TwinGymClientError('invalid_argument', `the request could not be encoded: ${(e as Error).message}`, {}, op));
    }
    return new Promise((resolve, reject) => {
      const deadline = this.timeoutMs > 0 ? Date.now() + this.timeoutMs : 0;
      this.pending.push(id, op, resolve, reject, transform, deadline);
      this.ws.send(bytes);
      if (deadline && !this.timer) this.armTimer();
    });
  }

  /** Version handshake: checks the protocol major and records the server's limits. */
  async hello(): Promise<HelloReply> {
    const r = await this.request('hello', { protocol: PROTOCOL_VERSION, client: CLIENT_NAME });
    this.limits = r.limits;
    return r;
  }

  /** Every registered environment with its spec. */
  async listEnvs(): Promise<EnvSpec[]> {
    return (await this.request('list_envs', {})).envs;
  }

  /** Makes a single env (one instance, unbatched tensors). */
  make<O extends Observation = Float32Array>(envId: string, options?: MakeOptions): Promise<Env<O>>;
  /** Makes a vector env when `vectorized: true` is given. */
  make<O extends Observation = Float32Array>(envId: string, options: MakeVecOptions & { vectorized: true }): Promise<VectorEnv<O>>;
  async make<O extends Observation = Float32Array>(envId: string, options: (MakeOptions | (MakeVecOptions & { vectorized: true })) = {}): Promise<Env<O> | VectorEnv<O>> {
    const r = await this.request('make', makeFields(envId, options));
    return r.vectorized ? new VectorEnv<O>(this, r) : new Env<O>(this, r);
  }

  /** Makes a vector env of `numEnvs` instances (always vectorized, even for numEnvs 1). */
  async makeVec<O extends Observation = Float32Array>(envId: string, options: MakeVecOptions): Promise<VectorEnv<O>> {
    // num_envs > 1 is vectorized by default; sending the flag only when it changes something keeps frames minimal.
    const r: MakeReply = await this.request('make', makeFields(envId, { ...options, vectorized: options.numEnvs > 1 ? undefined : true }));
    return new VectorEnv<O>(this, r);
  }

  /** Registers a handler for server-initiated events; returns a function that removes it. */
  onEvent(handler: (e: ServerEvent) => void): () => void {
    this.eventHandlers.push(handler);
    return () => {
      const i = this.eventHandlers.indexOf(handler);
      if (i >= 0) this.eventHandlers.splice(i, 1);
    };
  }

  /** The learned models the server serves (optionally only those of one environment). Protocol 1.2. */
  async listModels(envId?: string): Promise<ModelInfo[]> {
    return (await this.request('list_models', envId === undefined ? {} : { env_id: envId })).models;
  }

  /**
   * Starts a background job ("collect", "train_persim", "compare", ...). With `subscribe` (default true) this
   * connection receives its job_progress / job_finished events (see waitJob and onEvent). Rejects with
   * "invalid_argument" for an unknown kind or bad params, "busy" when the server's job queue is full. Protocol 1.2.
   */
  async startJob(kind: string, params: Record<string, unknown>, options: { subscribe?: boolean } = {}): Promise<JobInfo> {
    const fields: RequestFields<'start_job'> = { kind, params };
    if (options.subscribe !== undefined) fields.subscribe = options.subscribe;
    return (await this.request('start_job', fields)).job;
  }

  /** A job's current state; rejects with code "unknown_job" for an id the server does not know. */
  async jobStatus(id: string): Promise<JobInfo> {
    return (await this.request('job_status', { job: id })).job;
  }

  /** Every job of the server, newest first. */
  async listJobs(): Promise<JobInfo[]> {
    return (await this.request('list_jobs', {})).jobs;
  }

  /** Cancels a job (a finished one is returned unchanged); rejects with "unknown_job" for an unknown id. */
  async cancelJob(id: string): Promise<JobInfo> {
    return (await this.request('cancel_job', { job: id })).job;
  }

  /**
   * Waits until a job has stopped and returns its final state (check `state`: succeeded, failed or cancelled).
   * Progress comes from the job's events when this connection is subscribed to it, and from polling job_status
   * otherwise (every `pollMs`), so it also works for jobs started elsewhere.
   */
  waitJob(id: string, options: WaitJobOptions = {}): Promise<JobInfo> {
    return new Promise<JobInfo>((resolve, reject) => {
      let done = false;
      let poll: NodeJS.Timeout | undefined;
      let deadline: NodeJS.Timeout | undefined;
      let lastReport = '';
      const report = (job: JobInfo) => {
        // Events and polls can carry the same state; report each distinct one once.
        const key = `${job.state}:${job.progress.done}:${job.progress.message ?? ''}`;
        if (key !== lastReport) {
          lastReport = key;
          options.onProgress?.(job);
        }
      };
      const finish = (err: Error | null, job?: JobInfo) => {
        if (done) return;
        done = true;
        off();
        clearTimeout(poll);
        clearTimeout(deadline);
        if (err) reject(err);
        else resolve(job!);
      };
      const seen = (job: JobInfo) => {
        if (done || job.id !== id) return;
        report(job);
        if (FINAL_STATES.has(job.state)) finish(null, job);
      };
      const off = this.onEvent((e) => {
        if ((e.event === 'job_progress' || e.event === 'job_finished') && typeof e.job === 'object' && e.job !== null) seen(e.job as JobInfo);
      });
      const tick = () => {
        this.jobStatus(id).then((job) => {
          seen(job);
          if (!done) poll = setTimeout(tick, options.pollMs ?? 1000);
        }, (e: unknown) => finish(e as Error));
      };
      tick();
      if (options.timeoutMs !== undefined) {
        deadline = setTimeout(() => finish(new TwinGymClientError('timeout', `job ${id} did not finish within ${options.timeoutMs} ms; it goes on (cancelJob stops it)`, { job: id, timeout_ms: options.timeoutMs })), options.timeoutMs);
      }
    });
  }

  /**
   * Starts a job and waits for it; resolves with its result when it succeeded and rejects with a
   * TwinGymClientError otherwise (the job's error code for a failed job, "cancelled" for a cancelled one).
   */
  async runJob(kind: string, params: Record<string, unknown>, options: WaitJobOptions = {}): Promise<Record<string, unknown>> {
    const job = await this.startJob(kind, params);
    const final = await this.waitJob(job.id, options);
    if (final.state === 'succeeded') return final.result ?? {};
    if (final.state === 'cancelled') throw new TwinGymClientError('cancelled', `job ${job.id} (${kind}) was cancelled`, { job: job.id }, 'start_job');
    const e = final.error ?? { code: 'internal', message: 'the job failed without an error', details: {} };
    throw new TwinGymClientError(e.code, `job ${job.id} (${kind}) failed: ${e.message}`, { ...e.details, job: job.id }, 'start_job');
  }

  /**
   * Sim versus real (PerSim's protocol) for one trained agent of a served model, computed by the server: RMSE and
   * R^2 over open-loop steps, and the RMSE of each observation element. Protocol 1.2.
   */
  async compare(model: string, agent: number, options: CompareOptions = {}): Promise<Omit<CompareReply, 'id' | 'ok'>> {
    const fields: RequestFields<'compare'> = { model, agent };
    if (options.episodes !== undefined) fields.episodes = options.episodes;
    if (options.seed !== undefined) fields.seed = options.seed;
    if (options.warmup !== undefined) fields.warmup = options.warmup;
    if (options.horizon !== undefined) fields.horizon = options.horizon;
    if (options.policy !== undefined) fields.policy = options.policy;
    const { id: _id, ok: _ok, ...reply } = await this.request('compare', fields);
    return reply;
  }

  /** Closes the connection (the server frees its sessions); pending requests reject. Idempotent. */
  async close(): Promise<void> {
    if (this.state === State.Open) {
      this.state = State.Closing;
      this.closeError = new TwinGymClientError('connection_closed', 'the client closed the connection', { close_code: 1000 });
      this.ws.close(1000);
    }
    await this.closed;
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!isBinary) return this.fail('protocol_error', 'the server sent a text frame; protocol v1 uses binary frames only');
    let msg: unknown;
    try {
      msg = decodeFrame(data);
    } catch (e) {
      return this.fail('protocol_error', `undecodable frame from the server: ${(e as Error).message}`);
    }
    if (typeof msg !== 'object' || msg === null) return this.fail('protocol_error', 'a server frame is not a map');
    const m = msg as Record<string, unknown>;
    if (typeof m.event === 'string' && m.id === undefined) {
      for (const h of this.eventHandlers) h(m as ServerEvent);
      return;
    }
    const q = this.pending;
    if (q.length === 0) return this.fail('protocol_error', `a reply (id ${String(m.id)}) arrived with no request in flight`);
    const i = q.first;
    // A nil id is allowed on error replies to frames whose id the server could not read; order says whose it is.
    if (m.id !== q.ids[i] && !(m.id === null && m.ok === false)) {
      return this.fail('protocol_error', `reply id ${String(m.id)} does not answer the oldest request in flight (id ${q.ids[i]}); replies must come in request order`);
    }
    const settled = q.settled[i];
    const resolve = q.resolves[i];
    const reject = q.rejects[i];
    const transform = q.transforms[i];
    const op = q.ops[i];
    q.shift();
    if (settled) return;
    if (m.ok === true) {
      let value: unknown = m;
      if (transform) {
        try {
          value = transform(m);
        } catch (e) {
          reject(new TwinGymClientError('protocol_error', `malformed ${op} reply: ${(e as Error).message}`, {}, op));
          return;
        }
      }
      resolve(value);
    } else {
      reject(errorFromReply(m.error, op));
    }
  }

  /** A protocol violation by the server: nothing after it can be trusted, so reject everything and close. */
  private fail(code: 'protocol_error', message: string): void {
    this.closeError = new TwinGymClientError(code, message);
    this.rejectAll(this.closeError);
    if (this.state === State.Open) {
      this.state = State.Closing;
      this.ws.close(1002, 'protocol error');
    }
  }

  private onClose(code: number, reason: string): void {
    const wasClosing = this.state === State.Closing;
    this.state = State.Closed;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!wasClosing || !this.closeError) {
      const why = describeCloseCode(code);
      this.closeError = new TwinGymClientError('connection_closed', `${why}${reason ? `: ${reason}` : ''}`, { close_code: code, reason, ...(this.closeError ? { error: this.closeError.message } : {}) });
    }
    this.rejectAll(this.closeError);
  }

  private rejectAll(err: TwinGymClientError): void {
    const q = this.pending;
    while (q.length > 0) {
      const i = q.first;
      const settled = q.settled[i];
      const reject = q.rejects[i];
      const op = q.ops[i];
      q.shift();
      if (!settled) reject(new TwinGymClientError(err.code, err.message.replace(/ \[[a-z_]+\]$/, ''), { ...err.details }, op));
    }
  }

  /** One timer for all requests: deadlines grow in request order, so only the oldest unsettled one matters. */
  private armTimer(): void {
    const q = this.pending;
    const size = q.ids.length;
    let next = 0;
    for (let k = 0; k < q.length; k++) {
      const i = (q.head + k) & (size - 1);
      if (q.settled[i]) continue;
      next = q.deadlines[i];
      break;
    }
    if (!next) { this.timer = undefined; return; }
    this.timer = setTimeout(() => this.onTimer(), Math.max(1, next - Date.now()));
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = undefined;
    const q = this.pending;
    const size = q.ids.length;
    const now = Date.now();
    for (let k = 0; k < q.length; k++) {
      const i = (q.head + k) & (size - 1);
      if (q.settled[i]) continue;
      if (q.deadlines[i] > now) break;
      q.settled[i] = 1;
      const reject = q.rejects[i];
      q.resolves[i] = noop;
      q.rejects[i] = noop;
      reject(new TwinGymClientError('timeout', `no reply within ${this.timeoutMs} ms; the server may still carry the request out`, { timeout_ms: this.timeoutMs, request_id: q.ids[i] }, q.ops[i]));
    }
    if (this.state === State.Open) this.armTimer();
  }
}

/** The TwinGymClientError of an error reply (unknown shapes become protocol_error rather than crashing). */
function errorFromReply(e: unknown, op: string): TwinGymClientError {
  if (typeof e !== 'object' || e === null) return new TwinGymClientError('protocol_error', 'error reply without an error map', {}, op);
  const { code, message, details } = e as { code?: unknown; message?: unknown; details?: unknown };
  return new TwinGymClientError(
    typeof code === 'string' ? code : 'protocol_error',
    typeof message === 'string' ? message : 'the server gave no message',
    typeof details === 'object' && details !== null && !Array.isArray(details) ? (details as Record<string, unknown>) : {},
    op,
  );
}

/**
 * Opens a connection to a TwinGym server, e.g. connect('ws://127.0.0.1:8765/v1/ws'). Rejects with code
 * "unauthorized" when the server wants a token it did not get, "connection_failed" otherwise.
 */
export function connect(url: string, options: ConnectOptions = {}): Promise<Client> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const ws = new WebSocket(url, {
    // Compression costs more CPU than it saves on loopback and small frames, and the protocol does not need it.
    perMessageDeflate: false,
    headers,
    maxPayload: options.maxReplyBytes ?? 256 * 1024 * 1024,
    handshakeTimeout: options.timeoutMs,
  });
  // Node Buffers decode without a copy; msgpackr reads them directly.
  ws.binaryType = 'nodebuffer';
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: TwinGymClientError) => {
      if (settled) return;
      settled = true;
      ws.removeAllListeners();
      ws.on('error', noop);
      ws.terminate();
      reject(err);
    };
    ws.once('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      if (status === 401) fail(new TwinGymClientError('unauthorized', 'the server rejected the upgrade with HTTP 401: pass the right token (connect(url, {token}))', { status }));
      else fail(new TwinGymClientError('connection_failed', `the server answered the WebSocket upgrade with HTTP ${status}; is ${url} a TwinGym /v1/ws endpoint?`, { status }));
    });
    ws.once('error', (err: Error) => fail(new TwinGymClientError('connection_failed', `cannot connect to ${url}: ${err.message}`, { url })));
    ws.once('open', () => {
      if (settled) return;
      settled = true;
      ws.removeAllListeners();
      resolve(new Client(ws, options.timeoutMs ?? 0));
    });
  });
}
