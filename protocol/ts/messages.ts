/**
 * Requests, replies and events of protocol v1. Every request is {id, op, ...fields}; every reply is {id, ok: true, ...result}
 * or {id, ok: false, error: {code, message, details}}. The server validates requests against these schemas (compiled
 * once) and protocol/schemas/*.json is generated from them, so the two cannot drift apart.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { NumericInput, Nullable, TensorSchema, UInt } from './schema-types.js';
import { ContextMapSchema, EnvSpecSchema, SpaceSpecSchema } from './spaces.js';

const Id = UInt({ description: 'Chosen by the client; echoed in the reply. Unique among requests in flight.' });
const SessionHandle = UInt({ description: 'Handle returned by make; valid only on the connection that made it.' });
const req = <P extends Record<string, TSchema>, O extends string>(op: O, props: P, description: string) =>
  Type.Object({ id: Id, op: Type.Literal(op), ...props }, { $id: `${op}_request`, additionalProperties: false, description });
const reply = <P extends Record<string, TSchema>>(op: string, props: P) =>
  Type.Object({ id: Id, ok: Type.Literal(true), ...props }, { $id: `${op}_reply`, additionalProperties: false });

export const AutoresetSchema = Type.Union([Type.Literal('next_step'), Type.Literal('same_step'), Type.Literal('disabled')], {
  $id: 'Autoreset',
  description: 'Vector sessions: what happens after a sub-env ends. Single sessions always need an explicit reset.',
});
/** How a vector session handles an ended sub-env. */
export type AutoresetMode = Static<typeof AutoresetSchema>;

export const SeedSchema = Type.Union([UInt({ maximum: Number.MAX_SAFE_INTEGER }), Type.Array(UInt({ maximum: Number.MAX_SAFE_INTEGER })), Type.Null()], {
  description: 'int: seeds env i with seed + i; list: one seed per env; nil/absent: keep the generators (seeded from entropy at first use)',
});

/** A batch of rows given as a tensor or nested arrays (trajectories of a new agent). */
const RowsInput = (description: string) => Type.Union([TensorSchema, Type.Array(Type.Number()), Type.Array(Type.Array(Type.Number()))], { description });

export const TrajectorySchema = Type.Object(
  {
    observations: RowsInput('[n, ...obs] observations before each transition'),
    actions: RowsInput('[n] (discrete or one-element actions) or [n, ...action] actions taken'),
    next_observations: RowsInput('[n, ...obs] observations after each transition'),
  },
  { $id: 'Trajectory', additionalProperties: false, description: 'transitions of a new agent; the model fits its latent code with the encoders frozen (PerSim personalisation)' },
);
/** A new agent's transitions as sent in make. */
export type TrajectoryInput = Static<typeof TrajectorySchema>;

export const DynamicsSchema = Type.Union(
  [
    Type.Literal('true'),
    Type.Object(
      {
        model: Type.String({ description: 'a model id from list_models' }),
        agent: Type.Optional(UInt({ description: 'the trained agent whose personalised simulator to use' })),
        trajectory: Type.Optional(TrajectorySchema),
        mode: Type.Optional(Type.Union([Type.Literal('mean'), Type.Literal('sample')], { description: 'ensembles: "mean" (default) steps with the members\' mean, "sample" with one member drawn per step and env from the session\'s generator' })),
      },
      { additionalProperties: false },
    ),
  ],
  { $id: 'Dynamics', description: '"true" for the real environment, or a learned model (for PerSim with exactly one of agent and trajectory)' },
);
/** What make's `dynamics` field holds. */
export type DynamicsInput = Static<typeof DynamicsSchema>;

export const ContextsInputSchema = Type.Union([ContextMapSchema, Type.Array(ContextMapSchema)], {
  description: 'one map applied to every env, or one map per env; parameters left out keep their current (initially default) value',
});

// ---- requests ----
export const HelloRequestSchema = req('hello', {
  protocol: Type.String({ description: 'the client\'s protocol version (semver); the major must equal the server\'s' }),
  client: Type.Optional(Type.String({ description: 'free text naming the client and its version' })),
}, 'Version handshake. Optional: a client that skips it gets the server\'s behaviour for its own major.');
export const ListEnvsRequestSchema = req('list_envs', {}, 'Every registered environment with its spec.');
export const MakeRequestSchema = req('make', {
  env_id: Type.String(),
  dynamics: Type.Optional(DynamicsSchema),
  num_envs: Type.Optional(UInt({ minimum: 1, description: 'default 1' })),
  vectorized: Type.Optional(Type.Boolean({ description: 'default: num_envs > 1. A vector session batches every tensor over a leading env axis' })),
  contexts: Type.Optional(ContextsInputSchema),
  seed: Type.Optional(Nullable(UInt({ maximum: Number.MAX_SAFE_INTEGER, description: 'seed for the first reset when it gives none' }))),
  max_episode_steps: Type.Optional(UInt({ minimum: 1, description: 'time limit override' })),
  autoreset: Type.Optional(AutoresetSchema),
  options: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { description: 'env options (see EnvSpec.options)' })),
}, 'Creates a session: an environment instance (or a batch of them) on this connection.');
export const ResetRequestSchema = req('reset', {
  session: SessionHandle,
  seed: Type.Optional(SeedSchema),
  options: Type.Optional(Type.Object({
    contexts: Type.Optional(ContextsInputSchema),
    reset_mask: Type.Optional(Type.Union([TensorSchema, Type.Array(Type.Boolean())], { description: 'bool per env: only these envs reset (vector sessions)' })),
    state: Type.Optional(Type.Union([TensorSchema, Type.Array(Type.Number()), Type.Array(Type.Array(Type.Number()))], { description: 'initial observation-state to start from instead of sampling' })),
  }, { additionalProperties: false })),
}, 'Starts new episodes. Returns the first observation.');
export const StepRequestSchema = req('step', {
  session: SessionHandle,
  action: NumericInput,
}, 'Advances every env of the session by one step.');
export const CloseRequestSchema = req('close', { session: SessionHandle }, 'Frees a session. Closing a closed session is not an error.');
export const GetContextRequestSchema = req('get_context', { session: SessionHandle }, 'Reads back the contexts the dynamics are using.');
export const SetContextRequestSchema = req('set_context', {
  session: SessionHandle,
  contexts: ContextsInputSchema,
  indices: Type.Optional(Type.Array(UInt(), { description: 'envs to change (default all); with a list of maps, one map per index' })),
}, 'Changes physical parameters; takes effect from the next step. Returns the contexts read back.');
export const GetStateRequestSchema = req('get_state', {
  session: SessionHandle,
  include_rng: Type.Optional(Type.Boolean({ description: 'default true: the snapshot also restores the random generators' })),
}, 'An opaque snapshot of the whole session for exact replay.');
export const SetStateRequestSchema = req('set_state', {
  session: SessionHandle,
  state: Type.Uint8Array({ description: 'bytes from get_state of a session of the same env, options and num_envs' }),
}, 'Restores a snapshot. Returns the restored observation.');
export const RenderRequestSchema = req('render', {
  session: SessionHandle,
  index: Type.Optional(UInt({ description: 'which env of a vector session (default 0)' })),
  mode: Type.Optional(Type.String({ description: 'default "svg"' })),
}, 'A drawing of the current state.');

/** Integer action sequences may be nested arrays [B][H]; sequences of vector actions need three levels or a tensor. */
export const SequencesInputSchema = Type.Union([TensorSchema, Type.Array(Type.Array(Type.Number())), Type.Array(Type.Array(Type.Array(Type.Number())))], {
  description: 'a tensor [batch, horizon, ...action shape], or nested arrays of numbers of that shape',
});
export const RolloutRequestSchema = req('rollout', {
  session: SessionHandle,
  env: Type.Optional(UInt({ description: 'the env of the session whose context (and, with start "current", state) the rollout uses (default 0)' })),
  start: Type.Optional(Type.Union([Type.Literal('current'), TensorSchema, Type.Array(Type.Number()), Type.Array(Type.Array(Type.Number()))], {
    description: '"current" (default): the env\'s current state; or observation-states, one [...obs] shared by every sequence or [batch, ...obs]',
  })),
  actions: SequencesInputSchema,
  // One map over the env's own context (parameters left out keep their value); the session is not changed.
  contexts: Type.Optional(ContextMapSchema),
  per_member: Type.Optional(Type.Boolean({ description: 'each ensemble member rolls out its own trajectory; results gain a leading member axis (default false: the ensemble mean)' })),
  include_obs: Type.Optional(Type.Boolean({ description: 'return the observations (default true); rewards and terminations are always returned' })),
  seed: Type.Optional(UInt({ maximum: Number.MAX_SAFE_INTEGER, description: 'seed of the generator stochastic dynamics draw from (default 0); the true dynamics draw nothing' })),
}, 'Evaluates a batch of action sequences on the session\'s dynamics from given or current states. The session is not changed.');
export const PlannerKindSchema = Type.Union([Type.Literal('random_shooting'), Type.Literal('cem')], {
  $id: 'PlannerKind',
  description: 'random_shooting (discrete actions, PerSim) or cem (continuous actions, PerSim)',
});
export const PlanSettingsSchema = Type.Object({
  candidates: Type.Optional(UInt({ minimum: 1, description: 'sequences per decision (random_shooting 1000) or per iteration (cem 200)' })),
  horizon: Type.Optional(UInt({ minimum: 1, description: 'steps per sequence (random_shooting 50, cem 30)' })),
  iterations: Type.Optional(UInt({ minimum: 1, description: 'cem: evaluations per decision, the first included (6)' })),
  elites: Type.Optional(UInt({ minimum: 1, description: 'cem: sequences the distribution is refitted to (50)' })),
  smoothing: Type.Optional(Type.Number({ description: 'cem: weight of the old mean and std in each update (0.1)' })),
  init_std: Type.Optional(Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: 'cem: [low, high] of the uniform draw of the initial std at every decision ([0.3, 0.6])' })),
  max_redraws: Type.Optional(UInt({ minimum: 1, description: 'cem: draws of an out-of-bounds sample before it is clipped (100)' })),
  per_member: Type.Optional(Type.Boolean({ description: 'random_shooting: each ensemble member rolls out its own trajectory (true)' })),
  warm_start: Type.Optional(Type.Boolean({ description: 'reuse the previous decision\'s plan shifted by one step when exactly one step has been taken since (true)' })),
  position_bonus: Type.Optional(Type.Object({
    weight: Type.Number({ description: 'PerSim uses 0.01 for MountainCar' }),
    index: Type.Optional(UInt({ description: 'observation element (default 0, the car\'s position)' })),
    mode: Type.Optional(Type.Union([Type.Literal('peak'), Type.Literal('running')], { description: 'peak (default): the largest value over the whole rollout, per step; running: the largest so far' })),
  }, { additionalProperties: false, description: 'PerSim\'s MountainCar bonus: weight x the largest observation[index] reached, per imagined step until done' })),
}, { $id: 'PlanSettings', additionalProperties: false, description: 'planner settings; absent ones take PerSim\'s values' });
export const PlanRequestSchema = req('plan', {
  session: SessionHandle,
  env: Type.Optional(UInt({ description: 'the env of the session to plan for (default 0)' })),
  planner: Type.Optional(PlannerKindSchema),
  settings: Type.Optional(PlanSettingsSchema),
  seed: Type.Optional(Nullable(UInt({ maximum: Number.MAX_SAFE_INTEGER, description: 're-seeds this env\'s planner (and drops its warm start); nil/absent keeps its generator' }))),
}, 'Runs an MPC planner on the server from the env\'s current state and returns the action to take.');

export const ListModelsRequestSchema = req('list_models', {
  env_id: Type.Optional(Type.String({ description: 'only the models of this environment' })),
}, 'The learned models the server can serve, with their metadata.');
export const JobParamsSchema = Type.Record(Type.String(), Type.Unknown(), { description: 'the parameters of the job kind (see SPEC.md, jobs)' });
export const StartJobRequestSchema = req('start_job', {
  kind: Type.String({ description: 'collect, train_persim, compare (and the kinds listed in the error of an unknown one)' }),
  params: JobParamsSchema,
  subscribe: Type.Optional(Type.Boolean({ description: 'send job_progress and job_finished events of this job to this connection (default true)' })),
}, 'Starts a long-running job (collection, training, comparison) in the background; progress arrives as events.');
const JobId = Type.String({ description: 'a job id from start_job or list_jobs' });
export const JobStatusRequestSchema = req('job_status', { job: JobId }, 'The current state of one job.');
export const ListJobsRequestSchema = req('list_jobs', {}, 'Every job of the server, newest first.');
export const CancelJobRequestSchema = req('cancel_job', { job: JobId }, 'Cancels a queued or running job; a finished job is returned unchanged.');
export const CompareRequestSchema = req('compare', {
  model: Type.String({ description: 'a model id from list_models' }),
  agent: UInt({ description: 'the trained agent to compare with its real system (the agent\'s true context)' }),
  episodes: Type.Optional(UInt({ minimum: 1, maximum: 200, description: 'episodes (default 20)' })),
  seed: Type.Optional(UInt({ maximum: Number.MAX_SAFE_INTEGER, description: 'seed of the initial states and the test policy (default 0)' })),
  warmup: Type.Optional(UInt({ maximum: 10000, description: 'steps the model is fed the true states (default 10)' })),
  horizon: Type.Optional(UInt({ minimum: 2, maximum: 10000, description: 'open-loop steps scored (default 50)' })),
  policy: Type.Optional(Type.String({ description: 'the test policy by name (default: the environment\'s documented one)' })),
}, 'Sim versus real with PerSim\'s protocol: same initial states and actions on the model and the real environment; RMSE and R^2.');

/** Every v1 request, keyed by op. */
export const REQUEST_SCHEMAS = {
  hello: HelloRequestSchema,
  list_envs: ListEnvsRequestSchema,
  make: MakeRequestSchema,
  reset: ResetRequestSchema,
  step: StepRequestSchema,
  close: CloseRequestSchema,
  get_context: GetContextRequestSchema,
  set_context: SetContextRequestSchema,
  get_state: GetStateRequestSchema,
  set_state: SetStateRequestSchema,
  render: RenderRequestSchema,
  rollout: RolloutRequestSchema,
  plan: PlanRequestSchema,
  list_models: ListModelsRequestSchema,
  start_job: StartJobRequestSchema,
  job_status: JobStatusRequestSchema,
  list_jobs: ListJobsRequestSchema,
  cancel_job: CancelJobRequestSchema,
  compare: CompareRequestSchema,
} as const;

/** Ops of protocol v1 that this tree implements. */
export type Op = keyof typeof REQUEST_SCHEMAS;
export const OPS = Object.keys(REQUEST_SCHEMAS) as Op[];

/**
 * Names kept for later minor versions: a server that lacks them answers unknown_op, with details.reserved = true.
 * Empty since 1.2.0, which implemented the last reserved ops (list_models and the job ops).
 */
export const RESERVED_OPS: readonly string[] = [];

/** TypeScript types of the request schemas (with id and op). */
export type HelloRequest = Static<typeof HelloRequestSchema>;
export type ListEnvsRequest = Static<typeof ListEnvsRequestSchema>;
export type MakeRequest = Static<typeof MakeRequestSchema>;
export type ResetRequest = Static<typeof ResetRequestSchema>;
export type StepRequest = Static<typeof StepRequestSchema>;
export type CloseRequest = Static<typeof CloseRequestSchema>;
export type GetContextRequest = Static<typeof GetContextRequestSchema>;
export type SetContextRequest = Static<typeof SetContextRequestSchema>;
export type GetStateRequest = Static<typeof GetStateRequestSchema>;
export type SetStateRequest = Static<typeof SetStateRequestSchema>;
export type RenderRequest = Static<typeof RenderRequestSchema>;
export type RolloutRequest = Static<typeof RolloutRequestSchema>;
export type PlanRequest = Static<typeof PlanRequestSchema>;
export type PlanSettings = Static<typeof PlanSettingsSchema>;
export type ListModelsRequest = Static<typeof ListModelsRequestSchema>;
export type StartJobRequest = Static<typeof StartJobRequestSchema>;
export type JobStatusRequest = Static<typeof JobStatusRequestSchema>;
export type ListJobsRequest = Static<typeof ListJobsRequestSchema>;
export type CancelJobRequest = Static<typeof CancelJobRequestSchema>;
export type CompareRequest = Static<typeof CompareRequestSchema>;
export type PlannerKind = Static<typeof PlannerKindSchema>;
/** A request of a given op, without its id and op (what a client passes to send). */
export type RequestFields<O extends Op> = Omit<Static<(typeof REQUEST_SCHEMAS)[O]>, 'id' | 'op'>;

// ---- replies ----
export const LimitsSchema = Type.Object({
  max_frame_bytes: UInt(),
  max_sessions_per_connection: UInt(),
  max_envs_per_session: UInt(),
  max_rollout_steps: UInt({ description: 'imagined transitions of one rollout or plan: sequences x horizon (x ensemble members when each rolls out, x cem iterations)' }),
  max_jobs: Type.Optional(UInt({ description: 'jobs running at once, server-wide (since 1.2.0; more are queued, a full queue answers busy)' })),
}, { $id: 'Limits', additionalProperties: false });
/** The limits hello reports. */
export type Limits = Static<typeof LimitsSchema>;

export const HelloReplySchema = reply('hello', {
  protocol: Type.String(),
  server: Type.String({ description: 'server name and version' }),
  capabilities: Type.Array(Type.String(), { description: 'implemented ops' }),
  limits: LimitsSchema,
});
export const ListEnvsReplySchema = reply('list_envs', { envs: Type.Array(EnvSpecSchema) });
export const MakeReplySchema = reply('make', {
  session: SessionHandle,
  env_id: Type.String(),
  num_envs: UInt(),
  vectorized: Type.Boolean(),
  observation_space: SpaceSpecSchema,
  action_space: SpaceSpecSchema,
  single_observation_space: SpaceSpecSchema,
  single_action_space: SpaceSpecSchema,
  contexts: Type.Array(ContextMapSchema, { description: 'read back from the dynamics, one per env' }),
  metadata: Type.Object({
    render_modes: Type.Array(Type.String()),
    autoreset: AutoresetSchema,
    reward_range: Type.Array(Type.Number()),
    max_episode_steps: UInt(),
    dynamics: Type.Object({
      kind: Type.String({ description: '"true", or the model kind (persim, ...)' }),
      model: Type.Optional(Type.String()),
      agent: Type.Optional(UInt({ description: 'the trained agent simulated' })),
      personalized: Type.Optional(Type.Boolean({ description: 'true when the agent was fitted from a trajectory given in make' })),
      members: Type.Optional(UInt({ description: 'ensemble members' })),
      mode: Type.Optional(Type.String({ description: 'mean or sample' })),
    }, { additionalProperties: true }),
    options: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
  }, { additionalProperties: false }),
});
const Info = Type.Object({
  final_obs: Type.Optional(TensorSchema),
  final_mask: Type.Optional(TensorSchema),
  episode_step: Type.Optional(Type.Union([TensorSchema, UInt()])),
}, { additionalProperties: true, description: 'final_obs/final_mask: same_step autoreset; episode_step: steps taken in the current episode' });
export const ResetReplySchema = reply('reset', { obs: TensorSchema, info: Info });
export const StepReplySchema = reply('step', {
  obs: TensorSchema,
  reward: Type.Union([Type.Number(), TensorSchema], { description: 'float for single sessions, f64[num_envs] for vector ones' }),
  terminated: Type.Union([Type.Boolean(), TensorSchema]),
  truncated: Type.Union([Type.Boolean(), TensorSchema]),
  info: Info,
});
export const CloseReplySchema = reply('close', { closed: Type.Boolean({ description: 'false when it was already closed' }) });
export const ContextsReplySchema = reply('contexts', { contexts: Type.Array(ContextMapSchema) });
export const GetStateReplySchema = reply('get_state', { state: Type.Uint8Array() });
export const SetStateReplySchema = reply('set_state', { obs: TensorSchema });
export const RenderReplySchema = reply('render', { mode: Type.String(), data: Type.String({ description: 'an SVG document for mode svg' }) });
export const RolloutReplySchema = reply('rollout', {
  obs: Type.Optional(TensorSchema),
  reward: TensorSchema,
  terminated: TensorSchema,
  members: UInt({ description: 'length of the leading member axis (per_member), 1 otherwise' }),
  transitions: UInt({ description: 'imagined transitions computed' }),
});
export const PlanReplySchema = reply('plan', {
  action: TensorSchema,
  predicted_return: Type.Number({ description: 'the return the planner expects from its plan (member-averaged, without the position bonus)' }),
  score: Type.Number({ description: 'the objective the choice maximised (return plus bonus)' }),
  sequence: TensorSchema,
  planner: PlannerKindSchema,
  warm_started: Type.Boolean({ description: 'whether the previous plan, shifted, seeded this decision' }),
  transitions: UInt({ description: 'imagined transitions computed' }),
});
export const ModelInfoSchema = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: 'persim, persim-unfactorized, persim-unpersonalized, mocoda-local, ...' }),
  env_id: Type.String({ description: 'the environment the model simulates' }),
  env_options: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
  created: Type.String({ description: 'ISO 8601' }),
  description: Type.String(),
  members: UInt({ description: 'ensemble members' }),
  agents: Nullable(UInt({ description: 'trained agents (PerSim); nil for models without agents' })),
  test_agents: Type.Array(UInt(), { description: 'agent ids of PerSim\'s test agents' }),
  context_names: Type.Array(Type.String(), { description: 'context parameters the agents differ in' }),
  metadata: Type.Record(Type.String(), Type.Unknown(), { description: 'kind-specific: hyper-parameters, dataset, metrics, training' }),
}, { $id: 'ModelInfo', additionalProperties: false });
/** One learned model as list_models reports it. */
export type ModelInfoWire = Static<typeof ModelInfoSchema>;

export const JobStateSchema = Type.Union(
  [Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled')],
  { $id: 'JobState', description: 'queued -> running -> succeeded | failed | cancelled (a queued job may be cancelled before it runs)' },
);
/** The state of a job. */
export type JobState = Static<typeof JobStateSchema>;
export const JobProgressSchema = Type.Object({
  done: Type.Number(),
  total: Type.Number({ description: '0 while unknown' }),
  unit: Type.String({ description: 'what is counted: epochs, steps, episodes' }),
  message: Type.Optional(Type.String()),
  metrics: Type.Optional(Type.Record(Type.String(), Type.Number(), { description: 'kind-specific numbers (loss, ...)' })),
}, { $id: 'JobProgress', additionalProperties: false });
export const JobInfoSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  state: JobStateSchema,
  params: JobParamsSchema,
  progress: JobProgressSchema,
  created: Type.String({ description: 'ISO 8601' }),
  started: Nullable(Type.String({ description: 'ISO 8601; nil while queued' })),
  finished: Nullable(Type.String({ description: 'ISO 8601; nil until the job has stopped' })),
  result: Nullable(Type.Record(Type.String(), Type.Unknown(), { description: 'the kind\'s result once succeeded' })),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Record(Type.String(), Type.Unknown()) }, { additionalProperties: false, description: 'why the job failed' })),
}, { $id: 'JobInfo', additionalProperties: false });
/** A job as the protocol reports it. */
export type JobInfo = Static<typeof JobInfoSchema>;

export const ListModelsReplySchema = reply('list_models', { models: Type.Array(ModelInfoSchema) });
export const JobReplySchema = reply('job', { job: JobInfoSchema });
export const ListJobsReplySchema = reply('list_jobs', { jobs: Type.Array(JobInfoSchema, { description: 'newest first' }) });
const MeanMedian = Type.Object({ mean: Type.Number(), median: Type.Number() }, { additionalProperties: false });
export const CompareReplySchema = reply('compare', {
  env_id: Type.String(),
  model: Type.String(),
  agent: UInt(),
  episodes: UInt({ description: 'episodes scored (episodes that ended within the warm-up are left out)' }),
  policy: Type.String({ description: 'the test policy used' }),
  warmup: UInt(),
  horizon: UInt(),
  rmse: MeanMedian,
  r2: MeanMedian,
  per_dimension_rmse: Type.Array(Type.Number(), { description: 'RMSE of each observation element over every scored step' }),
});

export const ErrorReplySchema = Type.Object({
  id: Type.Union([Id, Type.Null()], { description: 'nil when the request id could not be read' }),
  ok: Type.Literal(false),
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }, { additionalProperties: false }),
}, { $id: 'error_reply', additionalProperties: false });

/** Reply schema of each op. */
export const REPLY_SCHEMAS: Record<Op, TSchema> = {
  hello: HelloReplySchema,
  list_envs: ListEnvsReplySchema,
  make: MakeReplySchema,
  reset: ResetReplySchema,
  step: StepReplySchema,
  close: CloseReplySchema,
  get_context: ContextsReplySchema,
  set_context: ContextsReplySchema,
  get_state: GetStateReplySchema,
  set_state: SetStateReplySchema,
  render: RenderReplySchema,
  rollout: RolloutReplySchema,
  plan: PlanReplySchema,
  list_models: ListModelsReplySchema,
  start_job: JobReplySchema,
  job_status: JobReplySchema,
  list_jobs: ListJobsReplySchema,
  cancel_job: JobReplySchema,
  compare: CompareReplySchema,
};

/** TypeScript types of the successful replies (with id and ok). */
export type HelloReply = Static<typeof HelloReplySchema>;
export type ListEnvsReply = Static<typeof ListEnvsReplySchema>;
export type MakeReply = Static<typeof MakeReplySchema>;
export type ResetReply = Static<typeof ResetReplySchema>;
export type StepReply = Static<typeof StepReplySchema>;
export type CloseReply = Static<typeof CloseReplySchema>;
export type ContextsReply = Static<typeof ContextsReplySchema>;
export type GetStateReply = Static<typeof GetStateReplySchema>;
export type SetStateReply = Static<typeof SetStateReplySchema>;
export type RenderReply = Static<typeof RenderReplySchema>;
export type RolloutReply = Static<typeof RolloutReplySchema>;
export type PlanReply = Static<typeof PlanReplySchema>;
export type ListModelsReply = Static<typeof ListModelsReplySchema>;
export type JobReply = Static<typeof JobReplySchema>;
export type ListJobsReply = Static<typeof ListJobsReplySchema>;
export type CompareReply = Static<typeof CompareReplySchema>;
export type ErrorReply = Static<typeof ErrorReplySchema>;

/** The successful reply type of each op. */
export interface ReplyOf {
  hello: HelloReply;
  list_envs: ListEnvsReply;
  make: MakeReply;
  reset: ResetReply;
  step: StepReply;
  close: CloseReply;
  get_context: ContextsReply;
  set_context: ContextsReply;
  get_state: GetStateReply;
  set_state: SetStateReply;
  render: RenderReply;
  rollout: RolloutReply;
  plan: PlanReply;
  list_models: ListModelsReply;
  start_job: JobReply;
  job_status: JobReply;
  list_jobs: ListJobsReply;
  cancel_job: JobReply;
  compare: CompareReply;
}

// ---- events ----
const event = <E extends string, P extends Record<string, TSchema>>(name: E, props: P, description: string) =>
  Type.Object({ event: Type.Literal(name), ...props }, { $id: `${name}_event`, additionalProperties: false, description });
export const JobProgressEventSchema = event('job_progress', { job: JobInfoSchema },
  'A job of this connection made progress (at most about 5 per second per job).');
export const JobFinishedEventSchema = event('job_finished', { job: JobInfoSchema },
  'A job of this connection stopped (succeeded, failed or cancelled); sent once, after its last job_progress.');

/** Every event a server sends, keyed by name. Clients ignore events they do not know. */
export const EVENT_SCHEMAS = {
  job_progress: JobProgressEventSchema,
  job_finished: JobFinishedEventSchema,
} as const;
/** Names of the events of this protocol version. */
export type EventName = keyof typeof EVENT_SCHEMAS;
/** The event frames, by name. */
export type JobProgressEvent = Static<typeof JobProgressEventSchema>;
export type JobFinishedEvent = Static<typeof JobFinishedEventSchema>;
/** Any event this version defines. */
export type ProtocolEvent = JobProgressEvent | JobFinishedEvent;
