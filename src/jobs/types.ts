/**
 * Long-running work (collect, train, augment, compare) as jobs: a kind validates its parameters up front, then runs
 * with a progress callback and a cancellation signal. Transports (protocol events, HTTP server-sent events) and the
 * CLI's progress bar all consume the same JobProgress, so a kind is written once.
 */
import type { TSchema } from '@sinclair/typebox';
import type { ModelProvider } from '../models/provider.js';

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
  /**
   * The model providers the server serves, for kinds that evaluate models (compare). Absent outside a server: such
   * kinds then serve the PerSim models of places.modelsDir themselves.
   */
  models?: readonly ModelProvider[];
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
  /**
   * Where a server runs `run` (default "main"). A server must never stall its event loop, so a kind whose work is
   * CPU-bound and synchronous for more than a few milliseconds at a time (training epochs, sampling, physics) says
   * "worker": the JobManager then runs it in a worker thread of its own (src/jobs/job-worker.ts), passing the params,
   * places, progress and signal across. `validate` always runs on the main thread. Inside the worker:
   * - params and the result cross by structured clone, so both must be plain data (they are JSON-able anyway);
   * - `ctx.models` is absent (providers hold loaded models and cannot be cloned): a kind that needs the server's
   *   providers must run on the main thread;
   * - a TwinGymError keeps its code, message and details; any other error keeps its message;
   * - cancellation sets a shared-memory flag. The worker's ctx.signal turns aborted as soon as the kind calls
   *   ctx.progress or reads ctx.signal.aborted, even inside a synchronous loop that never yields; a loop that does
   *   neither notices nothing until it does. A worker that has not stopped a few seconds after cancellation is
   *   terminated (whatever it was writing is left as it was, so a kind should check the signal before it saves).
   */
  readonly runsIn?: 'main' | 'worker';
  /**
   * The module that exports this kind (`new URL(import.meta.url)` in that module), so a worker thread can import it
   * and take the export whose `kind` matches. Kinds of STANDARD_JOB_KINDS (src/jobs/index.ts) need none: the worker
   * finds them there. A kind with runsIn "worker" outside the standard kinds must set it.
   */
  readonly module?: URL;
}
