/**
 * What an op handler sees: the sessions of the scope the request came from (a WebSocket connection or the HTTP API) and
 * the server-wide state. Handlers never know which transport called them, so each op has one implementation.
 */
import type { Static } from '@sinclair/typebox';
import type { EnvSpec } from '../../protocol/ts/spaces.js';
import type { Op, ReplyOf, REQUEST_SCHEMAS } from '../../protocol/ts/messages.js';
import type { DynamicsResolver } from '../dynamics.js';
import type { JobListener, JobManager } from '../jobs/manager.js';
import type { ServerLimits } from '../options.js';
import type { SessionTable } from './session-table.js';

/** Server-wide, read-mostly state shared by every scope. */
export interface ServerState {
  readonly limits: ServerLimits;
  readonly dynamics: DynamicsResolver;
  /** Background jobs (collect, train, compare). */
  readonly jobs: JobManager;
  /** Name and version reported by hello. */
  readonly serverName: string;
  /** Specs of every registered environment; `dynamics` names the served models as last listed (see DynamicsResolver). */
  envSpecs(): EnvSpec[];
  /** Counts env steps (metrics); called once per step request with the number of envs stepped. */
  countSteps(envs: number): void;
}

/** The per-request context. */
export interface OpContext {
  readonly sessions: SessionTable;
  readonly server: ServerState;
  /** Receives the events of jobs this scope starts with subscribe (a WebSocket connection); absent over HTTP. */
  readonly jobListener?: JobListener;
}

/** A validated request of an op. */
export type RequestOf<O extends Op> = Static<(typeof REQUEST_SCHEMAS)[O]>;

/** The fields of a successful reply, without id and ok (the dispatcher adds them). */
export type ResultOf<O extends Op> = Omit<ReplyOf[O], 'id' | 'ok'>;

/** An op's implementation. Synchronous today; a Promise keeps its place in the connection's reply order. */
export type OpHandler<O extends Op> = (request: RequestOf<O>, ctx: OpContext) => ResultOf<O> | Promise<ResultOf<O>>;
