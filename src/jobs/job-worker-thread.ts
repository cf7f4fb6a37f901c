/**
 * The body of a job's worker thread (see job-worker.ts): finds the kind, runs it with a progress callback (writing
 * the shared progress mailbox) and a signal, and posts the result or the error to the parent.
 *
 * Cancellation arrives as a flag in shared memory. A kind busy in a synchronous loop never lets this thread's event
 * loop turn, so a message alone would wait until the loop ended; instead the flag is consulted whenever the kind
 * reports progress or reads `ctx.signal.aborted` (the signal's getter is wrapped for that), and the signal is aborted
 * there and then, abort listeners included. A loop that does neither notices nothing, and the parent terminates the
 * worker after its grace period.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TwinGymError } from '../core/errors.js';
import { ProgressMailbox, serializeJobError, type JobWorkerCommand, type JobWorkerData, type JobWorkerMessage } from './job-worker.js';
import type { JobKind, JobProgress } from './types.js';

const data = workerData as JobWorkerData;
const port = parentPort!;
const post = (m: JobWorkerMessage) => port.postMessage(m);
const flag = new Int32Array(data.cancel);

const controller = new AbortController();
const signal = controller.signal;
const realAborted = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')!.get!;

/** Aborts the signal if the parent has raised the flag; true once the job is cancelled. */
function cancelled(): boolean {
  if (!realAborted.call(signal) && Atomics.load(flag, 0) === 1) controller.abort(new Error(`the ${data.kind} job was cancelled`));
  return realAborted.call(signal) as boolean;
}
Object.defineProperty(signal, 'aborted', { get: cancelled, configurable: true });
port.on('message', (m: JobWorkerCommand) => {
  if (m.type === 'cancel') cancelled();
});

const mailbox = new ProgressMailbox(data.progress);

/** The kind's progress callback: a write to the shared mailbox, cheap enough to call per minibatch. */
function progress(p: JobProgress): void {
  cancelled();
  mailbox.write({ done: p.done, total: p.total, unit: p.unit, ...(p.message !== undefined ? { message: p.message } : {}), ...(p.metrics ? { metrics: { ...p.metrics } } : {}) });
}

function isKind(x: unknown): x is JobKind<Record<string, unknown>> {
  return typeof x === 'object' && x !== null && typeof (x as JobKind).kind === 'string' && typeof (x as JobKind).run === 'function';
}

/** The kind named in workerData: an export of its module (lists of kinds included), or a standard kind. */
async function findKind(): Promise<JobKind<Record<string, unknown>>> {
  let candidates: unknown[];
  if (data.module !== null) {
    candidates = Object.values(await import(data.module) as Record<string, unknown>).flatMap((v) => (Array.isArray(v) ? v : [v]));
  } else {
    // Imported here, not at the top: the standard kinds' modules are what the parent runs, and only the thread needs them.
    candidates = [...(await import('./index.js')).STANDARD_JOB_KINDS];
  }
  const kind = candidates.find((c): c is JobKind<Record<string, unknown>> => isKind(c) && c.kind === data.kind);
  if (!kind) {
    const where = data.module ?? 'the standard job kinds';
    throw new TwinGymError('internal', `job kind "${data.kind}" runs in a worker but is not exported by ${where}; set the kind's module to the URL of the module that exports it`, { kind: data.kind });
  }
  return kind;
}

try {
  const kind = await findKind();
  const result = await kind.run(data.params, { places: data.places, progress, signal });
  post({ type: 'result', result });
} catch (e) {
  post({ type: 'error', error: serializeJobError(e) });
}
