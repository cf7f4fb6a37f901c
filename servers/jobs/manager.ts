/**
 * The server's jobs: long-running collection, training and comparison runs in the background. A bounded number run at
 * once (maxRunning); more wait in a bounded queue (maxQueued); beyond that start answers `busy`. Each job reports
 * progress through its kind's callback; listeners (a WebSocket connection that started the job, an HTTP event stream)
 * receive job_progress events throttled to a few per second and one job_finished event. Finished jobs are kept for an
 * hour (at most the last 100) so their results stay readable. Cancellation and shutdown abort a job's signal.
 * Kinds that declare runsIn "worker" run in a worker thread of their own (src/jobs/job-worker.ts), so their CPU-bound
 * work never stalls the server's event loop; everything else about them (validation, events, states) is the same.
 */
import { randomBytes } from 'node:crypto';
import type { TSchema } from '@sinclair/typebox';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import type { JobInfo, JobState } from '../../protocol/ts/messages.js';
import { TwinGymError } from '../../src/core/errors.js';
import { STANDARD_JOB_KINDS } from '../../src/jobs/index.js';
import { runJobInWorker } from '../../src/jobs/job-worker.js';
import type { JobKind, JobPlaces, JobProgress, JobResult, JobRunContext } from '../../src/jobs/types.js';
import type { ModelProvider } from '../../src/models/provider.js';
import { compileAllowingNonFinite, schemaError } from '../protocol/validators.js';

/** An event a listener receives. */
export interface JobEvent {
  event: 'job_progress' | 'job_finished';
  job: JobInfo;
}

/** Receives the events of the jobs it is subscribed to. */
export type JobListener = (event: JobEvent) => void;

/** Metrics hooks. */
export interface JobObserver {
  /** A job started (+1) or stopped running (-1). */
  running(delta: 1 | -1): void;
  /** A job reached a final state. */
  finished(state: JobState, kind: string): void;
}

/** How the manager is set up. */
export interface JobManagerOptions {
  kinds: readonly JobKind[];
  places: JobPlaces;
  /** Jobs running at once (default 2). */
  maxRunning?: number;
  /** Jobs waiting for a slot (default 16). */
  maxQueued?: number;
  /** How long finished jobs are kept (default 1 h). */
  retentionMs?: number;
  /** How many finished jobs are kept at most (default 100). */
  maxRetained?: number;
  /** Least time between two job_progress events of one job (default 200 ms: about 5 per second). */
  progressIntervalMs?: number;
  /** The served model providers, handed to jobs that evaluate models. */
  models?: () => readonly ModelProvider[];
  observer?: JobObserver;
  /** Where a job's unexpected failures are logged. */
  onError?: (job: string, err: unknown) => void;
  /** How long a cancelled worker job may take to stop before its thread is terminated (default 3 s). */
  workerGraceMs?: number;
}

interface JobRecord {
  id: string;
  kind: JobKind<Record<string, unknown>>;
  params: Record<string, unknown>;
  state: JobState;
  progress: JobProgress;
  created: string;
  started: string | null;
  finished: string | null;
  finishedAt: number;
  result: JobResult | null;
  error: { code: string; message: string; details: Record<string, unknown> } | null;
  controller: AbortController;
  listeners: Set<JobListener>;
  lastEmit: number;
  timer: NodeJS.Timeout | null;
  /** Resolves once the job is in a final state. */
  settled: Promise<void>;
  settle: () => void;
}

const FINAL: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled']);

/** A copy of a progress report with only the documented fields and finite numbers (events must encode). */
function cleanProgress(p: JobProgress): JobProgress {
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  const out: JobProgress = { done: num(p.done), total: num(p.total), unit: typeof p.unit === 'string' ? p.unit : '' };
  if (typeof p.message === 'string') out.message = p.message;
  if (p.metrics && typeof p.metrics === 'object') {
    const m: Record<string, number> = {};
    for (const [k, v] of Object.entries(p.metrics)) if (typeof v === 'number') m[k] = v;
    out.metrics = m;
  }
  return out;
}

/** The server's job table. */
export class JobManager {
  readonly maxRunning: number;
  readonly maxQueued: number;
  private readonly kinds = new Map<string, { kind: JobKind<Record<string, unknown>>; check: TypeCheck<TSchema> }>();
  private readonly jobs = new Map<string, JobRecord>();
  private readonly queue: JobRecord[] = [];
  private running = 0;
  private closed = false;
  private readonly retentionMs: number;
  private readonly maxRetained: number;
  private readonly interval: number;

  constructor(private readonly options: JobManagerOptions) {
    this.maxRunning = options.maxRunning ?? 2;
    this.maxQueued = options.maxQueued ?? 16;
    this.retentionMs = options.retentionMs ?? 3_600_000;
    this.maxRetained = options.maxRetained ?? 100;
    this.interval = options.progressIntervalMs ?? 200;
    for (const k of options.kinds) {
      if (this.kinds.has(k.kind)) throw new Error(`job kind ${k.kind} is registered twice`);
      // A worker finds a kind without a module among the standard kinds by name; another object of that name would
      // silently run the standard code instead of this one, so it is refused when the server starts.
      if (k.runsIn === 'worker' && k.module === undefined && !STANDARD_JOB_KINDS.includes(k as unknown as JobKind)) {
        throw new Error(`job kind ${k.kind} runs in a worker but is not a standard kind; set its module to the URL of the module that exports it`);
      }
      this.kinds.set(k.kind, { kind: k as JobKind<Record<string, unknown>>, check: compileAllowingNonFinite(k.params) });
    }
  }

  /** The registered kinds with their descriptions. */
  kindNames(): string[] {
    return [...this.kinds.keys()];
  }

  /** Where job outputs go. */
  get places(): JobPlaces {
    return this.options.places;
  }

  /** Jobs running now. */
  get runningCount(): number {
    return this.running;
  }

  /**
   * Validates and enqueues a job; it starts as soon as a slot is free (after the caller has had the chance to send
   * its reply, so a reply always precedes the job's first event). `listener` receives the job's events.
   */
  async start(kindName: string, params: Record<string, unknown>, listener?: JobListener): Promise<JobInfo> {
    const entry = this.kinds.get(kindName);
    if (!entry) {
      throw new TwinGymError('invalid_argument', `unknown job kind "${kindName}"; this server runs ${this.kindNames().join(', ')}`, { path: 'kind', known: this.kindNames() });
    }
    this.assertCapacity();
    if (!entry.check.Check(params)) {
      const e = schemaError(entry.check, params, `${kindName} params`);
      const path = typeof e.details.path === 'string' ? e.details.path : typeof e.details.field === 'string' ? e.details.field : '';
      throw new TwinGymError('invalid_argument', e.message, { ...e.details, path: path ? `params.${path}` : 'params' });
    }
    try {
      await entry.kind.validate(params, this.options.places);
    } catch (e) {
      if (e instanceof TwinGymError) throw e;
      throw new TwinGymError('invalid_argument', `${kindName}: ${e instanceof Error ? e.message : String(e)}`, { path: 'params' });
    }
    // Validation may have waited on the disk while other jobs were started.
    this.assertCapacity();
    this.prune();
    let settle!: () => void;
    const settled = new Promise<void>((r) => { settle = r; });
    const rec: JobRecord = {
      id: `job-${randomBytes(6).toString('hex')}`,
      kind: entry.kind,
      params,
      state: 'queued',
      progress: { done: 0, total: 0, unit: '' },
      created: new Date().toISOString(),
      started: null,
      finished: null,
      finishedAt: 0,
      result: null,
      error: null,
      controller: new AbortController(),
      listeners: new Set(listener ? [listener] : []),
      lastEmit: 0,
      timer: null,
      settled,
      settle,
    };
    this.jobs.set(rec.id, rec);
    this.queue.push(rec);
    setImmediate(() => this.pump());
    return this.info(rec);
  }

  /** A job's current state, or unknown_job. */
  get(id: string): JobInfo {
    return this.info(this.record(id));
  }

  /** Every job, newest first. */
  list(): JobInfo[] {
    this.prune();
    return [...this.jobs.values()].reverse().map((r) => this.info(r));
  }

  /**
   * Cancels a job: a queued one at once, a running one through its signal (waiting up to `waitMs` for it to stop,
   * so the reply usually says "cancelled"). A finished job is returned unchanged.
   */
  async cancel(id: string, waitMs = 1000): Promise<JobInfo> {
    const rec = this.record(id);
    if (FINAL.has(rec.state)) return this.info(rec);
    if (rec.state === 'queued') {
      const i = this.queue.indexOf(rec);
      if (i >= 0) this.queue.splice(i, 1);
      rec.controller.abort();
      this.finish(rec, 'cancelled', null, null);
      return this.info(rec);
    }
    rec.controller.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([rec.settled, new Promise<void>((r) => { timer = setTimeout(r, waitMs); })]);
    clearTimeout(timer);
    return this.info(rec);
  }

  /**
   * Adds a listener to a job; returns false when the job has already finished (its final state is in get()).
   */
  subscribe(id: string, listener: JobListener): boolean {
    const rec = this.record(id);
    if (FINAL.has(rec.state)) return false;
    rec.listeners.add(listener);
    return true;
  }

  /** Removes a listener from every job (a connection closed). */
  removeListener(listener: JobListener): void {
    for (const rec of this.jobs.values()) rec.listeners.delete(listener);
  }

  /** Cancels every job and waits (up to `waitMs`) for the running ones to stop; later starts answer busy. */
  async shutdown(waitMs = 5000): Promise<void> {
    this.closed = true;
    for (const rec of this.queue.splice(0)) {
      rec.controller.abort();
      this.finish(rec, 'cancelled', null, null);
    }
    const running = [...this.jobs.values()].filter((r) => r.state === 'running');
    for (const rec of running) rec.controller.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(running.map((r) => r.settled)), new Promise<void>((r) => { timer = setTimeout(r, waitMs); })]);
    clearTimeout(timer);
  }

  private record(id: string): JobRecord {
    const rec = this.jobs.get(id);
    if (!rec) {
      throw new TwinGymError('unknown_job', `no job "${id}"; use an id from start_job or list_jobs (finished jobs are kept for ${Math.round(this.retentionMs / 60000)} min, the last ${this.maxRetained})`, { job: id });
    }
    return rec;
  }

  private assertCapacity(): void {
    if (this.closed) throw new TwinGymError('busy', 'the server is shutting down and starts no more jobs', { shutting_down: true });
    if (this.running >= this.maxRunning && this.queue.length >= this.maxQueued) {
      throw new TwinGymError(
        'busy',
        `${this.running} jobs are running and ${this.queue.length} are queued, the server's limits; retry when a job finishes (or raise --max-jobs)`,
        { running: this.running, queued: this.queue.length, max_jobs: this.maxRunning, max_queued: this.maxQueued },
      );
    }
  }

  private pump(): void {
    while (!this.closed && this.running < this.maxRunning && this.queue.length > 0) this.run(this.queue.shift()!);
  }

  private run(rec: JobRecord): void {
    rec.state = 'running';
    rec.started = new Date().toISOString();
    this.running++;
    this.options.observer?.running(1);
    this.emit(rec, 'job_progress');
    const ctx: JobRunContext = {
      places: this.options.places,
      progress: (p) => this.onProgress(rec, p),
      signal: rec.controller.signal,
      models: this.options.models?.(),
    };
    let work: Promise<JobResult>;
    try {
      work = rec.kind.runsIn === 'worker'
        ? runJobInWorker(rec.kind, rec.params, ctx, { graceMs: this.options.workerGraceMs })
        : Promise.resolve(rec.kind.run(rec.params, ctx));
    } catch (e) {
      work = Promise.reject(e);
    }
    work.then(
      (result) => this.stopped(rec, 'succeeded', result, null),
      (err: unknown) => this.stopped(rec, rec.controller.signal.aborted ? 'cancelled' : 'failed', null, err),
    );
  }

  private stopped(rec: JobRecord, state: JobState, result: JobResult | null, err: unknown): void {
    this.running--;
    this.options.observer?.running(-1);
    if (state === 'failed' && !(err instanceof TwinGymError)) this.options.onError?.(rec.id, err);
    this.finish(rec, state, result, state === 'failed' ? err : null);
    this.pump();
  }

  private finish(rec: JobRecord, state: JobState, result: JobResult | null, err: unknown): void {
    rec.state = state;
    rec.finished = new Date().toISOString();
    rec.finishedAt = Date.now();
    rec.result = result;
    if (err !== null && err !== undefined) {
      rec.error = err instanceof TwinGymError
        ? { code: err.code, message: err.message, details: err.details }
        : { code: 'internal', message: err instanceof Error ? err.message : String(err), details: {} };
    }
    if (rec.timer) clearTimeout(rec.timer);
    rec.timer = null;
    this.options.observer?.finished(state, rec.kind.kind);
    this.emit(rec, 'job_finished');
    rec.listeners.clear();
    rec.settle();
    this.prune();
  }

  private onProgress(rec: JobRecord, p: JobProgress): void {
    if (rec.state !== 'running') return;
    rec.progress = cleanProgress(p);
    const wait = rec.lastEmit + this.interval - Date.now();
    if (wait <= 0) {
      this.emit(rec, 'job_progress');
      return;
    }
    // A trailing event carries the latest report, so a burst ends with the state the job really reached.
    rec.timer ??= setTimeout(() => {
      rec.timer = null;
      if (rec.state === 'running') this.emit(rec, 'job_progress');
    }, wait);
  }

  private emit(rec: JobRecord, event: JobEvent['event']): void {
    rec.lastEmit = Date.now();
    if (rec.listeners.size === 0) return;
    const ev: JobEvent = { event, job: this.info(rec) };
    for (const l of rec.listeners) {
      try {
        l(ev);
      } catch (e) {
        this.options.onError?.(rec.id, e);
      }
    }
  }

  private info(rec: JobRecord): JobInfo {
    return {
      id: rec.id,
      kind: rec.kind.kind,
      state: rec.state,
      params: rec.params,
      progress: { ...rec.progress },
      created: rec.created,
      started: rec.started,
      finished: rec.finished,
      result: rec.result,
      error: rec.error,
    };
  }

  /** Forgets finished jobs older than the retention time, and the oldest beyond the retained count. */
  private prune(): void {
    const now = Date.now();
    const finished = [...this.jobs.values()].filter((r) => FINAL.has(r.state));
    const excess = finished.length - this.maxRetained;
    finished.forEach((r, i) => {
      if (i < excess || now - r.finishedAt > this.retentionMs) this.jobs.delete(r.id);
    });
  }
}
