/**
 * Running a job kind in a worker thread (JobKind.runsIn "worker"): the server's event loop keeps answering while a
 * CPU-bound kind trains or samples synchronously for seconds at a time. This is the parent's side; the thread's body
 * is job-worker-thread.ts (started through worker-entry.mjs, which registers the TypeScript loader first).
 *
 * The worker finds the kind by name, either in the module the kind declares (JobKind.module) or in the standard
 * kinds, runs `run(params, ctx)` with the same places, and sends progress, the result or the error back. Cancellation
 * is a flag in shared memory (so a worker busy in a synchronous loop sees it without its event loop turning) plus a
 * message for workers that are waiting; a worker that has not stopped `graceMs` after cancellation is terminated.
 *
 * Progress travels through shared memory too: the worker overwrites a one-report mailbox at every report and this
 * side reads it on a timer. A throttle on the worker's side would need the worker's event loop to send a held-back
 * report, and a kind that reports and then computes synchronously for a whole epoch would hold its report back for
 * that long; the mailbox costs the worker no messages however often it reports, and the latest report always arrives
 * within one poll interval.
 */
import { Worker } from 'node:worker_threads';
import { TwinGymError, type ErrorCode } from '../core/errors.js';
import type { JobKind, JobPlaces, JobProgress, JobResult, JobRunContext } from './types.js';

/** How long a cancelled worker may take to stop by itself before it is terminated (default 3 s: under the 5 s a server's shutdown waits). */
export const DEFAULT_CANCEL_GRACE_MS = 3000;

/** What the worker thread is given (structured-cloned). */
export interface JobWorkerData {
  kind: string;
  /** The href of the module exporting the kind, or null for a standard kind. */
  module: string | null;
  params: Record<string, unknown>;
  places: JobPlaces;
  /** One Int32 in shared memory: 1 means the job was cancelled. */
  cancel: SharedArrayBuffer;
  /** The progress mailbox (see ProgressMailbox). */
  progress: SharedArrayBuffer;
}

/** Bytes of a progress report's JSON the mailbox holds; a longer report loses its message and metrics. */
const MAILBOX_BYTES = 16_384;

/** JSON has no NaN or infinities, but metrics may be (a validation loss without validation rows): they are boxed. */
const boxNonFinite = (_k: string, v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v);
const unboxNonFinite = (_k: string, v: unknown): unknown => {
  if (typeof v === 'object' && v !== null && typeof (v as { $number?: unknown }).$number === 'string' && Object.keys(v).length === 1) return Number((v as { $number: string }).$number);
  return v;
};

/**
 * The latest progress report of a worker job in shared memory, as JSON guarded by a sequence number (a seqlock): the
 * writer makes the number odd while it writes and even when done, and a reader keeps a copy only if the number was
 * even and unchanged across its read. A single writer (the worker) and a single reader (the parent) share it.
 */
export class ProgressMailbox {
  /** [sequence, byte length of the JSON]. */
  private readonly header: Int32Array;
  private readonly body: Uint8Array;
  private seen = 0;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(8 + MAILBOX_BYTES)) {
    this.header = new Int32Array(buffer, 0, 2);
    this.body = new Uint8Array(buffer, 8);
  }

  /** Replaces the report (the worker's side). */
  write(p: JobProgress): void {
    let bytes = new TextEncoder().encode(JSON.stringify(p, boxNonFinite));
    if (bytes.length > this.body.length) bytes = new TextEncoder().encode(JSON.stringify({ done: p.done, total: p.total, unit: p.unit }, boxNonFinite));
    Atomics.add(this.header, 0, 1);
    this.body.set(bytes);
    Atomics.store(this.header, 1, bytes.length);
    Atomics.add(this.header, 0, 1);
  }

  /** The report written since the last call that returned one, or null (none, or being written: ask again later). */
  read(): JobProgress | null {
    const before = Atomics.load(this.header, 0);
    if (before === this.seen || before % 2 === 1) return null;
    const length = Atomics.load(this.header, 1);
    // slice copies into unshared memory, which TextDecoder requires.
    const bytes = this.body.slice(0, length);
    if (Atomics.load(this.header, 0) !== before) return null;
    this.seen = before;
    return JSON.parse(new TextDecoder().decode(bytes), unboxNonFinite) as JobProgress;
  }
}

/** An error as it crosses the thread boundary (structured clone drops a TwinGymError's class, code and details). */
export interface SerializedJobError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  details?: Record<string, unknown>;
}

/** Messages from the worker (progress goes through the mailbox). */
export type JobWorkerMessage =
  | { type: 'result'; result: JobResult }
  | { type: 'error'; error: SerializedJobError };

/** Messages to the worker. */
export type JobWorkerCommand = { type: 'cancel' };

/** Options of runJobInWorker. */
export interface JobWorkerOptions {
  /** See DEFAULT_CANCEL_GRACE_MS. */
  graceMs?: number;
  /** How often the progress mailbox is read (default 50 ms; transports throttle further). */
  progressIntervalMs?: number;
}

/** An error in a form that survives structured cloning. */
export function serializeJobError(e: unknown): SerializedJobError {
  if (e instanceof TwinGymError) return { name: e.name, message: e.message, stack: e.stack, code: e.code, details: cloneableDetails(e.details) };
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

/** The error a worker reported, rebuilt on this side: a TwinGymError when it carried a code. */
export function deserializeJobError(s: SerializedJobError): Error {
  const e = s.code !== undefined ? new TwinGymError(s.code as ErrorCode, s.message, s.details ?? {}) : new Error(s.message);
  if (s.code === undefined && s.name) e.name = s.name;
  // The worker's stack says where the failure happened; this side's would only show the message handler.
  if (s.stack) e.stack = s.stack;
  return e;
}

/** Details are plain data by convention; anything that would not clone (a function, a class instance) becomes a string. */
function cloneableDetails(details: Record<string, unknown>): Record<string, unknown> {
  try {
    return structuredClone(details);
  } catch {
    return JSON.parse(JSON.stringify(details, (_k, v: unknown) => (typeof v === 'function' || typeof v === 'symbol' ? String(v) : v))) as Record<string, unknown>;
  }
}

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

/**
 * Runs `kind` in a new worker thread with `params` and `ctx.places`: progress reaches `ctx.progress`, the promise
 * settles with the kind's result or its error (a TwinGymError keeps its code and details), and aborting `ctx.signal`
 * cancels the job (see the module comment). The worker is terminated once the job has settled.
 */
export function runJobInWorker(kind: Pick<JobKind, 'kind' | 'module'>, params: Record<string, unknown>, ctx: JobRunContext, options: JobWorkerOptions = {}): Promise<JobResult> {
  const graceMs = options.graceMs ?? DEFAULT_CANCEL_GRACE_MS;
  if (ctx.signal.aborted) return Promise.reject(new Error(`the ${kind.kind} job was cancelled before it started`));
  const cancel = new SharedArrayBuffer(4);
  const flag = new Int32Array(cancel);
  const mailbox = new ProgressMailbox();
  const data: JobWorkerData = {
    kind: kind.kind,
    module: kind.module?.href ?? null,
    params,
    places: { modelsDir: ctx.places.modelsDir, datasetsDir: ctx.places.datasetsDir },
    cancel,
    progress: mailbox.buffer,
  };
  let worker: Worker;
  try {
    worker = new Worker(ENTRY, { workerData: data });
  } catch (e) {
    // Params that do not clone land here; they never should, since they passed a JSON schema.
    return Promise.reject(e);
  }
  return new Promise<JobResult>((resolve, reject) => {
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const poll = () => {
      const p = mailbox.read();
      if (p) ctx.progress(p);
    };
    const poller = setInterval(poll, options.progressIntervalMs ?? 50);
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      // The worker wrote its last report before it sent its outcome, so this reads it.
      poll();
      clearInterval(poller);
      ctx.signal.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      void worker.terminate();
      finish();
    };
    const onAbort = () => {
      Atomics.store(flag, 0, 1);
      // The flag reaches a busy worker; the message wakes one that is waiting on its event loop.
      worker.postMessage({ type: 'cancel' } satisfies JobWorkerCommand);
      killTimer = setTimeout(() => settle(() => reject(new Error(`the ${kind.kind} job did not stop within ${graceMs} ms of being cancelled; its worker was terminated`))), graceMs);
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: JobWorkerMessage) => {
      if (m.type === 'result') settle(() => resolve(m.result));
      else settle(() => reject(deserializeJobError(m.error)));
    });
    worker.on('error', (e) => settle(() => reject(e)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the ${kind.kind} job's worker exited with code ${code} before finishing`))));
  });
}
