/**
 * Server configuration: the options startServer takes, their defaults (protocol/DECISIONS.md 13) and the checks that
 * refuse a configuration which would be unsafe or meaningless before any socket is opened.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Limits } from '../protocol/ts/messages.js';
import type { JobKind, JobPlaces } from '../src/jobs/types.js';
import type { ModelProvider } from '../src/models/provider.js';
import type { DynamicsProvider } from './dynamics.js';

/** Per-connection and server-wide limits. */
export interface ServerLimits {
  /** Largest request frame answered normally; up to 4x is answered with frame_too_large, beyond that the socket closes. */
  maxFrameBytes: number;
  maxSessionsPerConnection: number;
  maxEnvsPerSession: number;
  /** Open WebSocket connections server-wide. */
  maxConnections: number;
  /** Open sessions of the HTTP JSON API, server-wide. */
  maxHttpSessions: number;
  /** An HTTP session unused for this long is closed. */
  httpSessionIdleMs: number;
  /** batch x horizon (x members) of one rollout or plan request; reported by hello. */
  maxRolloutSteps: number;
  /** Jobs running at once, server-wide; reported by hello as max_jobs. */
  maxJobs: number;
  /** Jobs waiting for a slot; start_job answers busy beyond it. */
  maxQueuedJobs: number;
}

/** Log levels of fastify's pino logger. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Everything startServer needs. */
export interface ServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** When set, every WebSocket upgrade and HTTP route except /healthz and /readyz must present it. */
  token?: string;
  limits: ServerLimits;
  logLevel: LogLevel;
  /** In-process dynamics sources (test doubles, embedders), consulted by make after the model providers. */
  dynamicsProviders?: readonly DynamicsProvider[];
  /** Model registries served by list_models and make (default: PerSim models of places.modelsDir). */
  modelProviders?: readonly ModelProvider[];
  /** Where jobs write models and datasets (default: the repository's models/ and ./twingym-data). */
  places: JobPlaces;
  /** The job kinds start_job runs (default: STANDARD_JOB_KINDS of src/jobs). */
  jobKinds?: readonly JobKind[];
}

/** What callers pass: any subset, with limits merged field by field over the defaults. */
export type ServerOptionsInput = Partial<Omit<ServerOptions, 'limits' | 'places'>> & { limits?: Partial<ServerLimits>; places?: Partial<JobPlaces> };

/** protocol/DECISIONS.md 13. */
export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxFrameBytes: 16 * 1024 * 1024,
  maxSessionsPerConnection: 64,
  maxEnvsPerSession: 4096,
  maxConnections: 256,
  maxHttpSessions: 256,
  httpSessionIdleMs: 600_000,
  maxRolloutSteps: 10_000_000,
  maxJobs: 2,
  maxQueuedJobs: 16,
});

/** The shipped models: <repo>/models, found from this module's location so it works from any working directory. */
export const DEFAULT_MODELS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'models');
/** Where collected datasets go unless told otherwise (relative to the working directory). */
export const DEFAULT_DATASETS_DIR = 'twingym-data';

/** Loopback only by default: serving other machines is a decision that needs a token. */
export const DEFAULT_HOST = '127.0.0.1';
/** The protocol's documented default port. */
export const DEFAULT_PORT = 8765;

/** A configuration the server refuses to start with. */
export class ServerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerConfigError';
  }
}

/** True for names and addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** Fills defaults and validates; throws ServerConfigError naming the problem and its fix. */
export function resolveServerOptions(input: ServerOptionsInput = {}): ServerOptions {
  const limits: ServerLimits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(input.limits ?? {})) {
    if (!(key in DEFAULT_LIMITS)) throw new ServerConfigError(`unknown limit "${key}"; known limits: ${Object.keys(DEFAULT_LIMITS).join(', ')}`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new ServerConfigError(`limit ${key} must be a positive integer, got ${String(value)}`);
    }
    limits[key as keyof ServerLimits] = value;
  }
  const host = input.host ?? DEFAULT_HOST;
  const port = input.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ServerConfigError(`port must be an integer in 0..65535 (0 picks a free port), got ${port}`);
  const token = input.token === '' ? undefined : input.token;
  if (!isLoopbackHost(host) && token === undefined) {
    throw new ServerConfigError(
      `refusing to listen on ${host} without a token: other machines could reach every session. ` +
      'Pass --token (or TWINGYM_TOKEN), or bind 127.0.0.1.',
    );
  }
  const places: JobPlaces = {
    modelsDir: resolve(input.places?.modelsDir ?? DEFAULT_MODELS_DIR),
    datasetsDir: resolve(input.places?.datasetsDir ?? DEFAULT_DATASETS_DIR),
  };
  return {
    host, port, token, limits, logLevel: input.logLevel ?? 'info', dynamicsProviders: input.dynamicsProviders ?? [],
    modelProviders: input.modelProviders, places, jobKinds: input.jobKinds,
  };
}

/** The limits hello reports, in wire names. */
export function wireLimits(limits: ServerLimits): Limits {
  return {
    max_frame_bytes: limits.maxFrameBytes,
    max_sessions_per_connection: limits.maxSessionsPerConnection,
    max_envs_per_session: limits.maxEnvsPerSession,
    max_rollout_steps: limits.maxRolloutSteps,
    max_jobs: limits.maxJobs,
  };
}
