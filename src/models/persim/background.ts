/**
 * PerSim training as a background job: the training runs in a worker thread (it is CPU-bound and synchronous, and
 * would otherwise stall a server's event loop for minutes), progress arrives as events, and a job can be cancelled.
 * This is what a server's train job wraps; the CLI trains in-process instead.
 */
import { Worker } from 'node:worker_threads';
import type { PersimTrainingJob } from './job.js';
import type { EpochReport } from './train.js';
import type { PersimModel } from './model.js';

/** What a job needs (the callbacks are the worker's; progress comes back as events). */
export type BackgroundTrainingJob = Omit<PersimTrainingJob, 'onEpoch' | 'onStep' | 'shouldStop'>;

/** Progress and outcome events of a background job. */
export type TrainingEvent =
  | { type: 'step'; step: number; steps: number; epoch: number; epochs: number }
  | { type: 'epoch'; report: EpochReport }
  | { type: 'done'; path: string; metrics: PersimModel['meta']['metrics'] }
  | { type: 'error'; message: string };

/** The worker's input (structured-cloned). */
export interface TrainingWorkerData {
  job: BackgroundTrainingJob;
  /** One Int32 in shared memory: 1 asks the training loop to stop. */
  cancel: SharedArrayBuffer;
}

/** A running job. */
export interface TrainingJobHandle {
  /** Resolves with the saved model's path and metrics; rejects on error or cancellation. */
  done: Promise<{ path: string; metrics: PersimModel['meta']['metrics'] }>;
  /** Stops the training at the next optimizer step; nothing is saved. */
  cancel(): void;
}

const ENTRY = new URL('./train-worker-entry.mjs', import.meta.url);

/** Starts a training job in a worker thread; `onEvent` receives step (throttled), epoch, done and error events. */
export function startPersimTrainingJob(job: BackgroundTrainingJob, onEvent: (e: TrainingEvent) => void = () => undefined): TrainingJobHandle {
  const cancel = new SharedArrayBuffer(4);
  const flag = new Int32Array(cancel);
  const worker = new Worker(ENTRY, { workerData: { job, cancel } satisfies TrainingWorkerData });
  const done = new Promise<{ path: string; metrics: PersimModel['meta']['metrics'] }>((resolve, reject) => {
    let settled = false;
    worker.on('message', (e: TrainingEvent) => {
      onEvent(e);
      if (e.type === 'done') { settled = true; resolve({ path: e.path, metrics: e.metrics }); }
      if (e.type === 'error') { settled = true; reject(new Error(e.message)); }
    });
    worker.on('error', (e) => { if (!settled) { settled = true; reject(e); } });
    worker.on('exit', (code) => { if (!settled) { settled = true; reject(new Error(`training worker exited with code ${code} before finishing`)); } });
  });
  return {
    done: done.finally(() => worker.terminate()),
    cancel: () => { Atomics.store(flag, 0, 1); },
  };
}
