/**
 * Long-running work (collect, train, augment, compare) as jobs: a kind validates its parameters up front, then runs
 * with a progress callback and a cancellation signal. Transports (protocol events, HTTP server-sent events) and the
 * CLI's progress bar all consume the same JobProgress, so a kind is written once.
 */
import type { TSchema } from '@sinclair/typebox';

/** Progress of a job: `done` of `total` units, with optional kind-specific numbers (loss, epoch, acceptance...). */
export interface JobProgress {
  done: number;
  total: number;
  /** What is counted: "epochs", "episodes", "transitions", "steps". */
  unit: string;
  /** A short human line ("epoch 12/150, loss 3.1e-4"). */
  message?: string;
  metrics?: Record<string, number>;
}

/** Where a job's outputs go; given by the server (or CLI) so kinds never choose paths themselves. */
export interface JobPlaces {
  /** The model registry directory. */
  modelsDir: string;
  /** Where datasets are stored, one file per dataset id (`<id>.npz` / `<id>.h5`). */
  datasetsDir: string;
}

/** What a running job gets. */
export interface JobRunContext {
  places: JobPlaces;
  /** Report progress; transports throttle, so call it as often as is natural. */
  progress(p: JobProgress): void;
  /** Aborted when the job is cancelled or the server shuts down; long loops check it between units of work. */
  signal: AbortSignal;
}

/**
 * The JSON-able result a job leaves (wire names): e.g. {model: id} after training, {dataset: id, rows: n} after
 * collect or augment, a metrics table after compare.
 */
export type JobResult = Record<string, unknown>;

/** One kind of job. */
export interface JobKind<P = Record<string, unknown>> {
  /** Wire name: "collect", "train_persim", "compare", "augment_mocoda", "train_mocoda". */
  readonly kind: string;
  readonly description: string;
  /** JSON schema (TypeBox) of `params`; the server validates against it before `validate` is called. */
  readonly params: TSchema;
  /**
   * Semantic checks that need no heavy work (env exists, model exists, ids valid, sizes within limits); throws a
   * TwinGymError naming the fix, so start_job fails immediately instead of a job failing later.
   */
  validate(params: P, places: JobPlaces): Promise<void>;
  /** Does the work; rejects with a TwinGymError (or any Error) on failure; must honour ctx.signal. */
  run(params: P, ctx: JobRunContext): Promise<JobResult>;
}
