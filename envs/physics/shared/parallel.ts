/**
 * The true dynamics of a physics environment, stepping a batch on the session's thread and, for large batches, on
 * worker threads too. Dynamics.step is synchronous, so the workers share memory with this thread and are driven with
 * Atomics.wait/notify: this thread copies each worker's slice in, wakes the workers, steps its own slice, then waits for
 * theirs. Every thread runs the same kernel code on its own worlds, so the result does not depend on the split.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Dynamics, TransitionBatch } from '../../../src/core/definition.js';
import type { KernelFactory, PhysicsKernel } from './kernel.js';
import { CMD, CMD_EXIT, CMD_STEP, CMD_YIELD, COUNT, CTRL_SIZE, DONE, ERR, SEQ, type WorkerBuffers, type WorkerInit } from './protocol.js';

/** How a physics dynamics uses threads. */
export interface ParallelOptions {
  /** Worker threads besides the session's own (default: cores - 1, or TWINGYM_PHYSICS_WORKERS). 0 = single-threaded. */
  workers?: number;
  /** Batches smaller than this stay on the session's thread (default 32): a worker costs ~0.3 s to start. */
  minBatch?: number;
  /** How long to wait for a worker's first answer before falling back to one thread (ms). */
  startTimeoutMs?: number;
  /**
   * Wait for the workers on the first large batch instead of stepping on this thread until they are ready (results
   * are the same either way; tests and benchmarks use it to know which path ran).
   */
  blockingStart?: boolean;
}

/** Worker count from TWINGYM_PHYSICS_WORKERS, else one per extra core. */
export function defaultWorkerCount(): number {
  const env = process.env.TWINGYM_PHYSICS_WORKERS;
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  return Math.max(0, availableParallelism() - 1);
}

interface WorkerSlot {
  worker: Worker;
  ctrl: Int32Array;
  buffers: WorkerBuffers;
  capacity: number;
  seq: number;
}

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

function allocate(capacity: number, S: number, A: number, C: number): WorkerBuffers {
  const f = (k: number) => new Float64Array(new SharedArrayBuffer(Math.max(1, capacity * k) * 8));
  return { states: f(S), actions: f(A), contexts: f(C), next: f(S) };
}

/** Dynamics over a physics kernel, with optional worker threads. */
export class PhysicsDynamics implements Dynamics {
  readonly kind = 'true';
  readonly info: Readonly<Record<string, string | number | boolean>>;
  private readonly kernel: PhysicsKernel;
  private readonly workerCount: number;
  private readonly minBatch: number;
  private readonly startTimeoutMs: number;
  private readonly blockingStart: boolean;
  private slots: WorkerSlot[] | null = null;
  private starting: WorkerSlot[] | null = null;
  private startedAt = 0;
  private failed = false;
  /** The message of the last worker failure, for diagnostics. */
  lastWorkerError: string | null = null;

  constructor(
    private readonly envId: string,
    private readonly options: Readonly<Record<string, string | number | boolean>>,
    factory: KernelFactory,
    parallel: ParallelOptions = {},
  ) {
    this.kernel = factory(options);
    this.workerCount = parallel.workers ?? defaultWorkerCount();
    this.minBatch = parallel.minBatch ?? 32;
    this.startTimeoutMs = parallel.startTimeoutMs ?? 60_000;
    this.blockingStart = parallel.blockingStart ?? false;
    this.info = { kind: 'true', engine: 'cannon-es', workers: this.workerCount };
  }

  /** Worker threads running now (0 until a large enough batch starts them). */
  get activeWorkers(): number {
    return this.slots?.length ?? 0;
  }

  /** Steps the batch: on this thread alone for small batches, split with the workers for large ones. */
  step(batch: TransitionBatch): void {
    const { n, states, actions, contexts, next } = batch;
    if (this.workerCount === 0 || n < this.minBatch || n < 2 || this.failed) {
      this.kernel.step(states, actions, contexts, next, 0, n);
      return;
    }
    const slots = this.ensureWorkers();
    if (!slots) {
      this.kernel.step(states, actions, contexts, next, 0, n);
      return;
    }
    const { stateSize: S, actionSize: A, contextSize: C } = this.kernel.layout;
    const parts = slots.length + 1;
    const chunk = Math.ceil(n / parts);
    const ranges: Array<[number, number]> = [];
    for (let k = 0; k < slots.length; k++) {
      const from = Math.min(n, chunk * (k + 1));
      const to = Math.min(n, chunk * (k + 2));
      ranges.push([from, to]);
      const slot = slots[k];
      const count = to - from;
      if (count === 0) continue;
      if (count > slot.capacity) this.grow(slot, count);
      slot.buffers.states.set(states.subarray(from * S, to * S));
      slot.buffers.actions.set(actions.subarray(from * A, to * A));
      slot.buffers.contexts.set(contexts.subarray(from * C, to * C));
      Atomics.store(slot.ctrl, COUNT, count);
      Atomics.store(slot.ctrl, CMD, CMD_STEP);
      slot.seq += 1;
      Atomics.store(slot.ctrl, SEQ, slot.seq);
      Atomics.notify(slot.ctrl, SEQ);
    }
    this.kernel.step(states, actions, contexts, next, 0, Math.min(n, chunk));
    for (let k = 0; k < slots.length; k++) {
      const [from, to] = ranges[k];
      if (to === from) continue;
      const slot = slots[k];
      this.await(slot);
      next.set(slot.buffers.next.subarray(0, (to - from) * S), from * S);
    }
  }

  /** Contexts as this thread's kernel applies them (every thread builds its worlds the same way). */
  readContexts(contexts: Float64Array, n: number, out: Float64Array): void {
    this.kernel.readContexts(contexts, n, out);
  }

  /** Stops the workers (idempotent); the session's thread keeps no resources that need freeing. */
  dispose(): void {
    if (this.starting) for (const slot of this.starting) void slot.worker.terminate();
    this.starting = null;
    if (!this.slots) return;
    for (const slot of this.slots) {
      Atomics.store(slot.ctrl, CMD, CMD_EXIT);
      Atomics.store(slot.ctrl, SEQ, slot.seq + 1);
      Atomics.notify(slot.ctrl, SEQ);
      void slot.worker.terminate();
    }
    this.slots = null;
  }

  /**
   * The workers, once every one has built its kernel (it answers DONE = 0). Starting takes a few hundred milliseconds
   * (a worker loads the TypeScript sources itself), so by default the first large batches run on this thread while the
   * workers start, and nothing blocks the server's event loop; with blockingStart the first batch waits for them.
   */
  private ensureWorkers(): WorkerSlot[] | null {
    if (this.slots) return this.slots;
    if (!this.starting) this.starting = this.spawn();
    const slots = this.starting;
    const deadline = this.startedAt + this.startTimeoutMs;
    const ready = () => slots.every((slot) => Atomics.load(slot.ctrl, DONE) === 0 && Atomics.load(slot.ctrl, ERR) === 0);
    const broken = () => slots.find((slot) => Atomics.load(slot.ctrl, ERR) !== 0);
    if (this.blockingStart) {
      // Module loading happens on the workers' own threads, so blocking this one does not stall them.
      for (const slot of slots) {
        while (Atomics.load(slot.ctrl, DONE) !== 0 && Atomics.load(slot.ctrl, ERR) === 0 && Date.now() < deadline) {
          Atomics.wait(slot.ctrl, DONE, Atomics.load(slot.ctrl, DONE), 50);
        }
      }
    }
    if (broken() || (!ready() && Date.now() >= deadline)) {
      this.failed = true;
      // The worker's own error event may still arrive (and then replaces this message) or be cut off by terminate.
      this.lastWorkerError = broken() ? `a ${this.envId} worker failed to build its kernel` : `${this.envId} workers did not start within ${this.startTimeoutMs} ms`;
      for (const slot of slots) void slot.worker.terminate();
      this.starting = null;
      return null;
    }
    if (!ready()) return null;
    this.slots = slots;
    this.starting = null;
    return slots;
  }

  private spawn(): WorkerSlot[] {
    const { stateSize: S, actionSize: A, contextSize: C } = this.kernel.layout;
    this.startedAt = Date.now();
    const slots: WorkerSlot[] = [];
    for (let k = 0; k < this.workerCount; k++) {
      const ctrl = new Int32Array(new SharedArrayBuffer(CTRL_SIZE * 4));
      Atomics.store(ctrl, DONE, -1);
      const capacity = 64;
      const buffers = allocate(capacity, S, A, C);
      const init: WorkerInit = { envId: this.envId, options: { ...this.options }, ctrl, buffers };
      const worker = new Worker(ENTRY, { workerData: init });
      // A worker that throws has already said so through ERR; the listener keeps the error from becoming uncaught.
      worker.on('error', (e: Error) => {
        this.failed = true;
        this.lastWorkerError = e.message;
      });
      worker.unref();
      slots.push({ worker, ctrl, buffers, capacity, seq: 0 });
    }
    return slots;
  }

  /** Waits for a worker's answer to its current command; a worker error becomes an exception here. */
  private await(slot: WorkerSlot): void {
    for (;;) {
      const done = Atomics.load(slot.ctrl, DONE);
      if (done === slot.seq) break;
      if (Atomics.load(slot.ctrl, ERR) !== 0) {
        this.dispose();
        this.failed = true;
        throw new Error(`a physics worker for ${this.envId} failed; the session falls back to one thread`);
      }
      Atomics.wait(slot.ctrl, DONE, done, 1000);
    }
  }

  /** Gives a worker larger buffers: it leaves its wait loop, takes them from a message, and re-enters. */
  private grow(slot: WorkerSlot, count: number): void {
    const { stateSize: S, actionSize: A, contextSize: C } = this.kernel.layout;
    Atomics.store(slot.ctrl, CMD, CMD_YIELD);
    slot.seq += 1;
    Atomics.store(slot.ctrl, SEQ, slot.seq);
    Atomics.notify(slot.ctrl, SEQ);
    this.await(slot);
    slot.capacity = Math.max(count, slot.capacity * 2);
    slot.buffers = allocate(slot.capacity, S, A, C);
    slot.seq += 1;
    // SEQ must already hold the new number, or the worker's wait loop would see a stale command and yield again.
    Atomics.store(slot.ctrl, SEQ, slot.seq);
    slot.worker.postMessage({ buffers: slot.buffers, seq: slot.seq });
    this.await(slot);
  }
}

/** Wraps a kernel factory as a definition's trueDynamics. */
export function physicsDynamics(envId: string, options: Readonly<Record<string, string | number | boolean>>, factory: KernelFactory, parallel?: ParallelOptions): PhysicsDynamics {
  return new PhysicsDynamics(envId, options, factory, parallel);
}
