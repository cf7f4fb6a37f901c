/**
 * Job kinds that run in a worker thread (runsIn "worker"): they run off the main thread, report progress, return
 * their result, fail with their TwinGymError's code and details, and are cancellable whether they report progress,
 * read the signal, wait on their event loop, or do none of that (then the worker is terminated after the grace
 * period). The main event loop stays responsive while a worker job burns CPU, and the same measurement catches the
 * stall when the same loop runs on the main thread.
 */
import { threadId } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { TwinGymError } from '../../src/core/errors.js';
import { ProgressMailbox, runJobInWorker } from '../../src/jobs/job-worker.js';
import type { JobKind, JobProgress, JobRunContext } from '../../src/jobs/types.js';
import { JobManager, type JobEvent } from '../../servers/jobs/manager.js';
import { busyJob, idleJob } from './fixtures/worker-kinds.js';

const places = { modelsDir: '/nonexistent/models', datasetsDir: '/nonexistent/data' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function context(controller = new AbortController()): JobRunContext & { reports: JobProgress[] } {
  const reports: JobProgress[] = [];
  return { places, progress: (p) => reports.push(p), signal: controller.signal, reports };
}

/** The longest gap between ticks of a 5 ms interval while `work` runs. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ value: T; stall: number; ticks: number }> {
  let last = performance.now();
  let stall = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
    ticks++;
  }, 5);
  try {
    const value = await work();
    stall = Math.max(stall, performance.now() - last);
    return { value, stall, ticks };
  } finally {
    clearInterval(timer);
  }
}

describe('ProgressMailbox', () => {
  it('hands each latest report over once, non-finite metrics included', () => {
    const writer = new ProgressMailbox();
    const reader = new ProgressMailbox(writer.buffer);
    expect(reader.read()).toBeNull();
    writer.write({ done: 1, total: 3, unit: 'epochs' });
    writer.write({ done: 2, total: 3, unit: 'epochs', message: 'epoch 2/3', metrics: { loss: 0.5, validation_loss: NaN, best: -Infinity } });
    const got = reader.read();
    expect(got).toEqual({ done: 2, total: 3, unit: 'epochs', message: 'epoch 2/3', metrics: { loss: 0.5, validation_loss: NaN, best: -Infinity } });
    expect(reader.read()).toBeNull();
    // A report too long for the mailbox keeps its counts.
    writer.write({ done: 3, total: 3, unit: 'epochs', message: 'x'.repeat(20_000) });
    expect(reader.read()).toEqual({ done: 3, total: 3, unit: 'epochs' });
  });
});

describe('runJobInWorker', () => {
  it('runs the kind in another thread, relays progress and returns the result', async () => {
    const ctx = context();
    const out = await runJobInWorker(busyJob, { ms: 300, stop: 'progress' }, ctx);
    expect(out.thread).not.toBe(threadId);
    expect(out.places).toEqual(places);
    // Providers hold loaded models and cannot cross threads.
    expect(out.models).toBe('absent');
    expect(out.reports).toBeGreaterThan(5);
    // The parent reads the latest report every 50 ms (the rest are overwritten), and the final one on completion.
    expect(ctx.reports.length).toBeGreaterThanOrEqual(2);
    expect(ctx.reports.length).toBeLessThan(out.reports as number);
    expect(ctx.reports[ctx.reports.length - 1]).toEqual({ done: out.reports, total: out.reports, unit: 'reports', message: 'done' });
  });

  it('keeps a TwinGymError\'s code, message and details, and a plain error\'s message', async () => {
    const e = await runJobInWorker(busyJob, { ms: 0, stop: 'never', fail: 'twingym' }, context()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TwinGymError);
    expect(e).toMatchObject({ code: 'invalid_argument', message: 'the data ran out', details: { path: 'params.ms', limits: [1, 2] } });
    // The stack is the worker's: it names the fixture where the error was thrown.
    expect((e as Error).stack).toContain('worker-kinds');
    const plain = await runJobInWorker(busyJob, { ms: 0, stop: 'never', fail: 'plain' }, context()).catch((x: unknown) => x);
    expect(plain).toBeInstanceOf(Error);
    expect(plain).not.toBeInstanceOf(TwinGymError);
    expect(plain).toMatchObject({ name: 'RangeError', message: 'a plain failure' });
  });

  it('reports a kind its module does not export as an internal error', async () => {
    const stray = { ...busyJob, kind: 'not-exported' };
    await expect(runJobInWorker(stray, { ms: 0, stop: 'never' }, context())).rejects.toMatchObject({ code: 'internal', details: { kind: 'not-exported' } });
  });

  it.each([
    ['at its next progress report', 'progress', /progress report/],
    ['when it reads the signal', 'signal', /reading the signal/],
  ] as const)('stops a synchronous loop %s', async (_how, stop, message) => {
    const controller = new AbortController();
    const ctx = context(controller);
    const run = runJobInWorker(busyJob, { ms: 20_000, stop }, ctx, { graceMs: 10_000 });
    // Cancel once the loop is running (the worker needs a moment to load). In "signal" mode the loop never reports
    // again, so this also checks that its last report before the loop arrives while the loop runs; in "progress" mode
    // later reports overwrite it within 5 ms, so one of them may be the first the parent reads.
    while (!ctx.reports.some((r) => r.message === 'started' || r.message?.startsWith('report'))) await sleep(10);
    await sleep(50);
    const t0 = Date.now();
    controller.abort();
    await expect(run).rejects.toThrow(message);
    // It stopped by itself, long before the grace period would have terminated it.
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('wakes a waiting kind with the cancel message', async () => {
    const controller = new AbortController();
    const ctx = context(controller);
    const run = runJobInWorker(idleJob, {}, ctx, { graceMs: 10_000 });
    while (ctx.reports.length === 0) await sleep(10);
    controller.abort();
    await expect(run).rejects.toThrow('cancelled while waiting');
  });

  it('terminates a loop that never checks, after the grace period', async () => {
    const controller = new AbortController();
    const ctx = context(controller);
    const run = runJobInWorker(busyJob, { ms: 20_000, stop: 'never' }, ctx, { graceMs: 300 });
    while (!ctx.reports.some((r) => r.message === 'started')) await sleep(10);
    const t0 = Date.now();
    controller.abort();
    await expect(run).rejects.toThrow(/did not stop within 300 ms/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('JobManager with worker kinds', () => {
  it('keeps the event loop responsive while a worker job burns CPU for 2 s', async () => {
    const jobs = new JobManager({ kinds: [busyJob as unknown as JobKind], places, progressIntervalMs: 100 });
    const events: JobEvent[] = [];
    const { value: final, stall, ticks } = await longestStall(async () => {
      const info = await jobs.start('busy', { ms: 2000, stop: 'progress' }, (e) => events.push(e));
      await new Promise<void>((resolve) => {
        const check = () => (jobs.get(info.id).finished ? resolve() : setTimeout(check, 20));
        check();
      });
      return jobs.get(info.id);
    });
    expect(final).toMatchObject({ state: 'succeeded', result: { models: 'absent' } });
    expect(final.result!.thread).not.toBe(threadId);
    // A 5 ms timer kept firing throughout: no gap near the 2 s the loop took (the bound leaves room for the
    // scheduling noise of a loaded 2-core machine; the main-thread run below stalls for the loop's full length).
    expect(stall).toBeLessThan(100);
    expect(ticks).toBeGreaterThan(100);
    const progress = events.filter((e) => e.event === 'job_progress');
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(events[events.length - 1]).toMatchObject({ event: 'job_finished', job: { state: 'succeeded' } });
  });

  it('the same loop on the main thread stalls it (the measurement above would notice)', async () => {
    const onMain: JobKind = { ...(busyJob as unknown as JobKind), kind: 'busy-main', runsIn: 'main', module: undefined };
    const jobs = new JobManager({ kinds: [onMain], places });
    const { stall } = await longestStall(async () => {
      const info = await jobs.start('busy-main', { ms: 300, stop: 'never' });
      while (!jobs.get(info.id).finished) await sleep(5);
    });
    expect(stall).toBeGreaterThanOrEqual(250);
  });

  it('cancels a running worker job and reports a failure with its code', async () => {
    const jobs = new JobManager({ kinds: [busyJob as unknown as JobKind], places });
    const info = await jobs.start('busy', { ms: 20_000, stop: 'progress' });
    while (jobs.get(info.id).progress.done < 1) await sleep(10);
    const cancelled = await jobs.cancel(info.id, 5000);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.progress.done).toBeGreaterThanOrEqual(1);

    const failing = await jobs.start('busy', { ms: 0, stop: 'never', fail: 'twingym' });
    while (!jobs.get(failing.id).finished) await sleep(10);
    expect(jobs.get(failing.id)).toMatchObject({ state: 'failed', error: { code: 'invalid_argument', message: 'the data ran out', details: { path: 'params.ms', limits: [1, 2] } } });
  });

  it('refuses a worker kind that is neither standard nor says where it lives', () => {
    const homeless: JobKind = { ...(busyJob as unknown as JobKind), module: undefined };
    expect(() => new JobManager({ kinds: [homeless], places })).toThrow(/set its module/);
  });
});
