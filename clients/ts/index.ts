/**
 * The TwinGym TypeScript client: connect(url) and drive real or learned environments through protocol v1.
 * Depends on protocol/ts only.
 */
export { connect, Client, CLIENT_NAME } from './client.js';
export type {
  ConnectOptions, MakeOptions, MakeOptionsBase, MakeVecOptions, ServerEvent, JobEvent, ModelDynamicsOptions, TrajectoryInput, TrajectoryRows,
  ModelInfo, WaitJobOptions, CompareOptions,
} from './client.js';
export { Env, VectorEnv } from './env.js';
export type {
  Action, VectorAction, InitialState, Observation, EnvInfo, VectorInfo, ResetResult, StepResult, VectorStepResult,
  ResetOptions, VectorResetOptions, RenderResult, EnvMetadata, RolloutOptions, RolloutResult, PlanOptions, PlanSettings, PlanDecision,
} from './env.js';
export { MpcPlanner } from './planning.js';
export type { MpcOptions } from './planning.js';
export { TwinGymClientError, describeCloseCode, isUnknownJob } from './errors.js';
export type { ClientErrorCode, TwinGymErrorCode } from './errors.js';
export { Space, FlatSpace, BoxSpace, DiscreteSpace, MultiDiscreteSpace, MultiBinarySpace, DictSpace, TupleSpace, spaceFromSpec } from './spaces.js';
export type { FlatValue, SpaceSample } from './spaces.js';
export { SeededRandom } from './random.js';
export { encodeFrame, decodeFrame } from '../../protocol/ts/frame.js';
export { encodeTensor, decodeTensor } from '../../protocol/ts/tensor.js';
export type { WireTensor, DType } from '../../protocol/ts/tensor.js';
export type { ContextMap, EnvSpec, SpaceSpec } from '../../protocol/ts/spaces.js';
export type { AutoresetMode, HelloReply, Limits, JobInfo, JobState, CompareReply } from '../../protocol/ts/messages.js';
