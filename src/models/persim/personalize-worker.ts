/**
 * Personalisation off the main thread. Fitting a new agent's codes is 300 full-batch Adam steps through every member
 * (one to five seconds), synchronous TF.js work that would stall a server's event loop, and with it every connection.
 * A PersonalizeWorker keeps one worker thread (started on first use) that loads models from the registry itself
 * (cached there by id and creation time), runs `personalize` and returns the codes; the caller builds the dynamics
 * with them on its own thread, where the model is loaded anyway for stepping. The thread runs the same code on the
 * same backend as an in-process fit, so the codes are the same.
 *
 * Requests are served one at a time (they would only compete for the same cores). The thread does not keep a
 * process alive while idle, and a thread that dies fails its pending requests and is restarted by the next one.
 */
import { Worker } from 'node:worker_threads';
import { TwinGymError, type ErrorCode } from '../../core/errors.js';
import type { PersonalizationData, PersonalizeOptions } from './personalize.js';

/** One fit: the model (by registry and id) and the new agent's transitions. */
export interface PersonalizeWorkerRequest {
  registryDir: string;
  model: string;
  data: PersonalizationData;
  options?: PersonalizeOptions;
}

/** A fit's outcome: the codes and losses of `personalize`, and which version of the model was fitted. */
export interface PersonalizeWorkerResult {
  codes: Float32Array;
  initialLoss: number;
  finalLoss: number;
  transitions: number;
  /** The creation time of the manifest the worker loaded (a model replaced on disk gets a new one). */
  created: string;
}

/** An error as it crosses the thread boundary (structured clone drops a TwinGymError's code and details). */
export interface PersonalizeWorkerError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  details?: Record<string, unknown>;
}

/** Message to the thread. */
export type PersonalizeWorkerCall = { id: number } & PersonalizeWorkerRequest;

/** Message from the thread. */
export type PersonalizeWorkerReply =
  | { id: number; ok: true; result: PersonalizeWorkerResult }
  | { id: number; ok: false; error: PersonalizeWorkerError };

const ENTRY = new URL('./personalize-worker-entry.mjs', import.meta.url);

interface Pending {
  resolve: (r: PersonalizeWorkerResult) => void;
  reject: (e: Error) => void;
}

/** Rebuilds the thread's error: a TwinGymError when it carried a code, with the thread's stack. */
function rebuild(s: PersonalizeWorkerError): Error {
  const e = s.code !== undefined ? new TwinGymError(s.code as ErrorCode, s.message, s.details ?? {}) : new Error(s.message);
  if (s.stack) e.stack = s.stack;
  return e;
}

/** A personalisation thread (see the module comment). */
export class PersonalizeWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** Fits a new agent's codes in the thread; rejects with the error `personalize` (or loading the model) threw. */
  fit(request: PersonalizeWorkerRequest): Promise<PersonalizeWorkerResult> {
    const worker = this.thread();
    const id = this.nextId++;
    return new Promise<PersonalizeWorkerResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A waiting caller (a CLI awaiting its make) must keep the process alive; an idle thread must not.
      worker.ref();
      try {
        worker.postMessage({ id, ...request } satisfies PersonalizeWorkerCall);
      } catch (e) {
        this.settle(id, () => reject(e as Error));
      }
    });
  }

  /** Stops the thread; pending fits are rejected. */
  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.failAll(new Error('the personalisation worker was disposed'));
    if (w) await w.terminate();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(ENTRY);
    w.unref();
    w.on('message', (m: PersonalizeWorkerReply) => {
      this.settle(m.id, (p) => (m.ok ? p.resolve(m.result) : p.reject(rebuild(m.error))));
    });
    const lost = (e: Error) => {
      if (this.worker !== w) return;
      this.worker = null;
      this.failAll(e);
    };
    w.on('error', (e) => lost(e));
    w.on('exit', (code) => lost(new Error(`the personalisation worker exited with code ${code}`)));
    this.worker = w;
    return w;
  }

  private settle(id: number, finish: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
    finish(p);
  }

  private failAll(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(e);
  }
}
