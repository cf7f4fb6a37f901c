/**
 * Jobs end to end: a collect job writes a dataset that HTTP serves as NPZ and HDF5 (read back with src/data/files.ts
 * and checked against MountainCar's formulas), a train_persim job over WebSocket reports its epochs in order and its
 * model is listed and makeable at once, cancellation stops a training, unknown ids and bad params are refused, a full
 * server answers busy, and the HTTP event stream ends with job_finished. A train_mocoda job runs in a worker thread:
 * the connection that started it keeps answering steps promptly while it trains, and its model is served afterwards.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeNpz, loadHdf5 } from '../../src/data/files.js';
import { agentRanges } from '../../src/data/dataset.js';
import type { JobKind } from '../../src/jobs/types.js';
import { MocodaProvider } from '../../src/models/mocoda/provider.js';
import { PersimProvider } from '../../src/models/persim/provider.js';
import type { RunningServer } from '../../servers/app.js';
import { metricValue, mountainCarStep, numbers, quietServer } from './helpers.js';
import { RawClient, type Msg } from './raw-client.js';

let server: RunningServer;
let c: RawClient;
let root: string;
const AGENTS = 20;
const STEPS = 50;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'twingym-jobs-'));
  const models = join(root, 'models');
  server = await quietServer({ places: { modelsDir: models, datasetsDir: join(root, 'data') }, modelProviders: [new PersimProvider(models), new MocodaProvider(models)] });
  c = await RawClient.connect(server.wsUrl);
});
afterAll(async () => {
  await c.close();
  await server.close();
  await rm(root, { recursive: true, force: true });
});

const finishedEvent = (client: RawClient, id: string) => client.event((e) => e.event === 'job_finished' && e.job.id === id);

describe('collect job and dataset downloads', () => {
  it('collects over WebSocket, and the stored files hold MountainCar transitions', async () => {
    const start = await c.ok({ op: 'start_job', kind: 'collect', params: { env_id: 'MountainCar-v0', policy: 'random', agents: AGENTS, steps: STEPS, seed: 3, dataset: 'mc-rand' } });
    expect(start.job).toMatchObject({ kind: 'collect', state: 'queued', started: null, finished: null, result: null, error: null });
    expect(start.job.params).toEqual({ env_id: 'MountainCar-v0', policy: 'random', agents: AGENTS, steps: STEPS, seed: 3, dataset: 'mc-rand' });
    const done = await finishedEvent(c, start.job.id);
    expect(done.job.state).toBe('succeeded');
    // MountainCar cannot reach the goal from rest within 50 steps, so every trajectory is cut at 50 steps.
    expect(done.job.result).toMatchObject({ dataset: 'mc-rand', rows: AGENTS * STEPS });
    const status = await c.ok({ op: 'job_status', job: start.job.id });
    expect(status.job.state).toBe('succeeded');
    expect(Date.parse(status.job.finished)).toBeGreaterThanOrEqual(Date.parse(status.job.started));

    const list = await (await fetch(`${server.httpUrl}/v1/datasets`)).json() as { datasets: Msg[] };
    expect(list.datasets).toEqual([expect.objectContaining({ id: 'mc-rand', env_id: 'MountainCar-v0', rows: AGENTS * STEPS, policy: 'random', files: ['npz', 'hdf5'] })]);

    const res = await fetch(`${server.httpUrl}/v1/datasets/mc-rand?format=npz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toContain('mc-rand.npz');
    const d = decodeNpz(new Uint8Array(await res.arrayBuffer()));
    expect(d.n).toBe(AGENTS * STEPS);
    expect(d.numAgents).toBe(AGENTS);
    for (const [a, b] of agentRanges(d)) {
      expect(b - a).toBe(STEPS);
      expect(d.timeouts[b - 1]).toBe(1);
      expect(Array.from(d.timeouts.subarray(a, b - 1)).every((x) => x === 0)).toBe(true);
    }
    // Test agent 0 has gravity 0.0001 (PerSim); every row follows REFERENCE.md 1.1's update with the row's gravity.
    expect(d.agentContexts[0]).toBeCloseTo(0.0001, 12);
    for (let i = 0; i < d.n; i++) {
      const g = d.agentContexts[d.agentIds[i]];
      const [x, v] = mountainCarStep(d.observations[2 * i], d.observations[2 * i + 1], d.actions[i], g);
      expect(d.nextObservations[2 * i]).toBeCloseTo(x, 12);
      expect(d.nextObservations[2 * i + 1]).toBeCloseTo(v, 12);
    }

    const h5 = await fetch(`${server.httpUrl}/v1/datasets/mc-rand?format=hdf5`);
    expect(h5.headers.get('content-disposition')).toContain('mc-rand.h5');
    const path = join(root, 'download.h5');
    await writeFile(path, new Uint8Array(await h5.arrayBuffer()));
    const back = await loadHdf5(path);
    expect(Array.from(back.observations)).toEqual(Array.from(d.observations));
    expect(Array.from(back.actions)).toEqual(Array.from(d.actions));

    const missing = await fetch(`${server.httpUrl}/v1/datasets/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: Msg }).error).toMatchObject({ code: 'unknown_dataset', details: { dataset: 'nope', known: ['mc-rand'] } });
  });

  it('reuses a collection of the same parameters when no id is given, and refuses an explicit id that exists', async () => {
    const params = { env_id: 'MountainCar-v0', policy: 'random', agents: 5, steps: 4, seed: 9 };
    const first = await c.ok({ op: 'start_job', kind: 'collect', params });
    const a = await finishedEvent(c, first.job.id);
    expect(a.job.result).toMatchObject({ dataset: 'mountaincar-v0-random-5a-4t-s9', rows: 20 });
    expect(a.job.result.reused).toBeUndefined();
    const second = await c.ok({ op: 'start_job', kind: 'collect', params });
    const b = await finishedEvent(c, second.job.id);
    expect(b.job.state).toBe('succeeded');
    expect(b.job.result).toMatchObject({ dataset: 'mountaincar-v0-random-5a-4t-s9', rows: 20, reused: true });
    // Another step count is another collection, so it gets its own id.
    const longer = await c.ok({ op: 'start_job', kind: 'collect', params: { ...params, steps: 5 } });
    expect((await finishedEvent(c, longer.job.id)).job.result).toMatchObject({ dataset: 'mountaincar-v0-random-5a-5t-s9', rows: 25 });
    const taken = await c.request({ op: 'start_job', kind: 'collect', params: { ...params, dataset: 'mc-rand' } });
    expect(taken.error.code).toBe('invalid_argument');
    expect(taken.error.details.path).toBe('params.dataset');
  });
});

describe('train_persim job', () => {
  it('reports epochs in order, then the model is listed and makeable', async () => {
    const start = await c.ok({ op: 'start_job', kind: 'train_persim', params: { dataset: 'mc-rand', model: 'mc-tiny', epochs: 3, members: 2, eval_episodes: 2 } });
    const done = await finishedEvent(c, start.job.id);
    expect(done.job.state).toBe('succeeded');
    expect(done.job.result).toMatchObject({ model: 'mc-tiny', env_id: 'MountainCar-v0' });
    const mine = c.events.filter((e) => e.job.id === start.job.id);
    // Progress events precede the single job_finished, and their epoch counts never go back.
    expect(mine.filter((e) => e.event === 'job_finished')).toHaveLength(1);
    expect(mine[mine.length - 1].event).toBe('job_finished');
    const progress = mine.filter((e) => e.event === 'job_progress');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0].job.state).toBe('running');
    const dones = progress.map((e) => e.job.progress.done as number);
    for (let i = 1; i < dones.length; i++) expect(dones[i]).toBeGreaterThanOrEqual(dones[i - 1]);
    expect(done.job.progress).toMatchObject({ done: 3, total: 3, unit: 'epochs' });

    const models = (await c.ok({ op: 'list_models', env_id: 'MountainCar-v0' })).models as Msg[];
    const tiny = models.find((m) => m.id === 'mc-tiny');
    expect(tiny).toMatchObject({ kind: 'persim', env_id: 'MountainCar-v0', members: 2, agents: AGENTS, test_agents: [0, 1, 2, 3, 4], context_names: ['gravity'] });
    const envs = (await c.ok({ op: 'list_envs' })).envs as Msg[];
    expect(envs.find((e) => e.id === 'MountainCar-v0')!.dynamics).toEqual(['true', 'mc-tiny']);

    const m = await c.ok({ op: 'make', env_id: 'MountainCar-v0', dynamics: { model: 'mc-tiny', agent: 0 } });
    expect(m.contexts[0].gravity).toBeCloseTo(0.0001, 12);
    expect(m.metadata.dynamics).toEqual({ kind: 'persim', model: 'mc-tiny', agent: 0, members: 2, mode: 'mean' });
    await c.ok({ op: 'reset', session: m.session, seed: 1 });
    const s = await c.ok({ op: 'step', session: m.session, action: 1 });
    expect(s.reward).toBe(-1);

    const again = await c.request({ op: 'start_job', kind: 'train_persim', params: { dataset: 'mc-rand', model: 'mc-tiny', epochs: 3 } });
    expect(again.error).toMatchObject({ code: 'invalid_argument', details: { path: 'params.model' } });
  });

  it('stops when cancelled, saves nothing, and the connection keeps working', async () => {
    const start = await c.ok({ op: 'start_job', kind: 'train_persim', params: { dataset: 'mc-rand', model: 'mc-cancelled', epochs: 5000, members: 2, eval_episodes: 0 } });
    await c.event((e) => e.job.id === start.job.id && e.job.progress.done >= 1);
    const cancelled = await c.ok({ op: 'cancel_job', job: start.job.id });
    const finished = await finishedEvent(c, start.job.id);
    expect(finished.job.state).toBe('cancelled');
    expect(['running', 'cancelled']).toContain(cancelled.job.state);
    expect(finished.job.progress.done).toBeLessThan(5000);
    const again = await c.ok({ op: 'cancel_job', job: start.job.id });
    expect(again.job).toEqual(finished.job);
    const models = (await c.ok({ op: 'list_models' })).models as Msg[];
    expect(models.map((x) => x.id)).not.toContain('mc-cancelled');
    expect((await c.ok({ op: 'list_jobs' })).jobs.map((j: Msg) => j.id)).toContain(start.job.id);
  });
});

describe('train_mocoda job', () => {
  it('trains in a worker while the same connection keeps answering steps, then the model is served', async () => {
    const m = await c.ok({ op: 'make', env_id: 'MountainCar-v0' });
    await c.ok({ op: 'reset', session: m.session, seed: 0 });
    const start = await c.ok({
      op: 'start_job', kind: 'train_mocoda',
      params: { env_id: 'Navigation2D-v0', dataset: 'empirical', rows: 512, kind: 'unfactored', model: 'nav-tiny', hidden: [16], members: 2, epochs: 2 },
    });
    let finished: Msg | undefined;
    void finishedEvent(c, start.job.id).then((e) => { finished = e; });
    // Step round trips while the job starts its worker, makes the data, trains and saves.
    const latencies: number[] = [];
    while (!finished) {
      const t0 = performance.now();
      await c.ok({ op: 'step', session: m.session, action: 1 });
      latencies.push(performance.now() - t0);
      if (latencies.length % 100 === 0) await c.ok({ op: 'reset', session: m.session });
    }
    expect(finished.job.state).toBe('succeeded');
    expect(finished.job.result).toMatchObject({ model: 'nav-tiny', env_id: 'Navigation2D-v0', kind: 'unfactored', metrics: { epochs: 2 } });
    expect(finished.job.progress).toMatchObject({ done: 2, total: 2, unit: 'epochs' });
    // The job lasted many round trips (the worker alone takes most of a second to load), none of them stalled.
    expect(latencies.length).toBeGreaterThan(20);
    expect(Math.max(...latencies)).toBeLessThan(150);
    await c.ok({ op: 'close', session: m.session });

    const listed = (await c.ok({ op: 'list_models', env_id: 'Navigation2D-v0' })).models as Msg[];
    expect(listed).toEqual([expect.objectContaining({ id: 'nav-tiny', kind: 'mocoda-unfactored', env_id: 'Navigation2D-v0', members: 2, agents: null })]);
    const nav = await c.ok({ op: 'make', env_id: 'Navigation2D-v0', dynamics: { model: 'nav-tiny' } });
    expect(nav.metadata.dynamics).toMatchObject({ model: 'nav-tiny', members: 2 });
    await c.ok({ op: 'reset', session: nav.session, seed: 1 });
    const s = await c.ok({ op: 'step', session: nav.session, action: [0.5, -0.5] });
    expect(numbers(s.obs).every(Number.isFinite)).toBe(true);
    await c.ok({ op: 'close', session: nav.session });
  });

  it('augments with the trained model in a worker, and a cancelled training stops mid-epoch and saves nothing', async () => {
    // Both jobs run at once (max_jobs 2), each in its own worker.
    const aug = await c.ok({ op: 'start_job', kind: 'augment_mocoda', params: { env_id: 'Navigation2D-v0', distribution: 'DYNA', model: 'nav-tiny', rows: 256, source_rows: 128, dataset: 'nav-dyna' } });
    const augDone = finishedEvent(c, aug.job.id);
    // One epoch of 10,000 rows through [256, 256] takes over a second; the worker sees the cancellation at its next minibatch.
    const big = await c.ok({ op: 'start_job', kind: 'train_mocoda', params: { env_id: 'Navigation2D-v0', dataset: 'empirical', rows: 10_000, kind: 'unfactored', model: 'nav-cancelled', hidden: [256, 256], members: 2, epochs: 50 } });
    await c.event((e) => e.job.id === big.job.id && e.job.progress.message?.startsWith('training'));
    // Mid-epoch (the training yields only between epochs, seconds apart) steps are still answered at once.
    const m = await c.ok({ op: 'make', env_id: 'MountainCar-v0' });
    await c.ok({ op: 'reset', session: m.session, seed: 0 });
    for (let i = 0; i < 10; i++) {
      const s0 = performance.now();
      await c.ok({ op: 'step', session: m.session, action: 2 });
      expect(performance.now() - s0).toBeLessThan(150);
    }
    await c.ok({ op: 'close', session: m.session });
    const t0 = Date.now();
    const reply = await c.ok({ op: 'cancel_job', job: big.job.id });
    const finished = reply.job.state === 'cancelled' ? reply : await finishedEvent(c, big.job.id);
    expect(finished.job.state).toBe('cancelled');
    // The interrupted epoch still reports itself (as epoch 1), no further one starts.
    expect(finished.job.progress.done).toBeLessThanOrEqual(1);
    expect(Date.now() - t0).toBeLessThan(2000);
    const ids = ((await c.ok({ op: 'list_models' })).models as Msg[]).map((x) => x.id);
    expect(ids).toContain('nav-tiny');
    expect(ids).not.toContain('nav-cancelled');

    const done = await augDone;
    expect(done.job.state).toBe('succeeded');
    expect(done.job.result).toMatchObject({ dataset: 'nav-dyna', rows: 128 + 256, real_rows: 128, generated_rows: 256, true_mse_rows: 256 });
  });
});

describe('refusals', () => {
  it('unknown_job for ids never issued, over WebSocket and HTTP (404)', async () => {
    for (const op of ['job_status', 'cancel_job']) {
      const r = await c.request({ op, job: 'job-nope' });
      expect(r.error).toMatchObject({ code: 'unknown_job', details: { job: 'job-nope' } });
    }
    const res = await fetch(`${server.httpUrl}/v1/jobs/job-nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as Msg).error.code).toBe('unknown_job');
    const sse = await fetch(`${server.httpUrl}/v1/jobs/job-nope/events`);
    expect(sse.status).toBe(404);
  });

  it('invalid_argument for an unknown kind (listing the kinds) and for bad params (with the path)', async () => {
    const kind = await c.request({ op: 'start_job', kind: 'fly', params: {} });
    expect(kind.error.code).toBe('invalid_argument');
    expect(kind.error.details.known).toEqual(['collect', 'train_persim', 'compare', 'train_mocoda', 'augment_mocoda']);
    const agents = await c.request({ op: 'start_job', kind: 'collect', params: { env_id: 'MountainCar-v0', policy: 'random', agents: 0 } });
    expect(agents.error).toMatchObject({ code: 'invalid_argument', details: { path: 'params.agents' } });
    const few = await c.request({ op: 'start_job', kind: 'collect', params: { env_id: 'MountainCar-v0', policy: 'random', agents: 3 } });
    expect(few.error).toMatchObject({ code: 'invalid_argument', details: { path: 'params.agents' } });
    const policy = await c.request({ op: 'start_job', kind: 'collect', params: { env_id: 'MountainCar-v0', policy: 'greedy', agents: 5 } });
    expect(policy.error).toMatchObject({ code: 'invalid_argument', details: { path: 'params.policy' } });
    const extra = await c.request({ op: 'start_job', kind: 'collect', params: { env_id: 'MountainCar-v0', policy: 'random', agents: 5, speed: 2 } });
    expect(extra.error).toMatchObject({ code: 'invalid_argument', details: { path: 'params.speed' } });
    const env = await c.request({ op: 'start_job', kind: 'collect', params: { env_id: 'Moon-v0', policy: 'random', agents: 5 } });
    expect(env.error.code).toBe('unknown_env');
    const data = await c.request({ op: 'start_job', kind: 'train_persim', params: { dataset: 'nope', model: 'x' } });
    expect(data.error).toMatchObject({ code: 'unknown_dataset', details: { path: 'params.dataset', dataset: 'nope' } });
    expect((await c.ok({ op: 'hello', protocol: '1.2.0' })).limits.max_jobs).toBe(2);
  });
});

describe('HTTP job API', () => {
  it('POST /v1/jobs answers 202, and the event stream ends with job_finished', async () => {
    const res = await fetch(`${server.httpUrl}/v1/jobs`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'compare', params: { model: 'mc-tiny', agent: 1, episodes: 3, seed: 2 } }),
    });
    expect(res.status).toBe(202);
    const { job } = (await res.json()) as { job: Msg };
    const text = await (await fetch(`${server.httpUrl}/v1/jobs/${job.id}/events`)).text();
    const events = text.trim().split('\n\n').map((block) => {
      const lines = block.split('\n');
      return { event: lines[0].replace('event: ', ''), job: JSON.parse(lines[1].replace('data: ', '')) as Msg };
    });
    expect(events[events.length - 1].event).toBe('job_finished');
    expect(events.slice(0, -1).every((e) => e.event === 'job_progress')).toBe(true);
    // The comparison runs in a worker and reports its steps (10 warm-up + 50 open-loop) once it has started.
    const stepped = events.filter((e) => e.job.progress.unit !== '');
    expect(stepped.length).toBeGreaterThanOrEqual(2);
    expect(stepped.every((e) => e.job.progress.unit === 'steps' && e.job.progress.total === 60)).toBe(true);
    expect(events[events.length - 1].job.progress.done).toBe(60);
    const final = events[events.length - 1].job;
    expect(final.state).toBe('succeeded');
    expect(final.result).toMatchObject({ env_id: 'MountainCar-v0', model: 'mc-tiny', agent: 1, episodes: 3, policy: 'square-wave', warmup: 10, horizon: 50 });
    expect(final.result.per_dimension_rmse).toHaveLength(2);
    // A finished job's stream is just its final event.
    const late = await (await fetch(`${server.httpUrl}/v1/jobs/${job.id}/events`)).text();
    expect(late.startsWith('event: job_finished\n')).toBe(true);
    const all = (await (await fetch(`${server.httpUrl}/v1/jobs`)).json()) as { jobs: Msg[] };
    expect(all.jobs[0].id).toBe(job.id);
    const got = (await (await fetch(`${server.httpUrl}/v1/jobs/${job.id}`)).json()) as { job: Msg };
    expect(got.job).toEqual(final);
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    expect(metricValue(metrics, 'twingym_jobs_finished_total{state="succeeded",kind="compare"}')).toBe(1);
    expect(metricValue(metrics, 'twingym_jobs_running')).toBe(0);
  });
});

describe('capacity', () => {
  /** A job that runs until it is cancelled, reporting one unit of progress. */
  const waitJob: JobKind = {
    kind: 'wait',
    description: 'waits until cancelled',
    params: Type.Object({}, { additionalProperties: false }),
    validate: async () => undefined,
    run: (_p, ctx) => new Promise((_resolve, reject) => {
      ctx.progress({ done: 1, total: 2, unit: 'steps' });
      ctx.signal.addEventListener('abort', () => reject(new Error('cancelled')));
    }),
  };

  it('queues beyond max_jobs, answers busy when the queue is full, and cancels a queued job at once', async () => {
    const s = await quietServer({ limits: { maxJobs: 1, maxQueuedJobs: 1 }, jobKinds: [waitJob], modelProviders: [] });
    const w = await RawClient.connect(s.wsUrl);
    try {
      const a = await w.ok({ op: 'start_job', kind: 'wait', params: {} });
      await w.event((e) => e.job.id === a.job.id && e.job.state === 'running');
      const b = await w.ok({ op: 'start_job', kind: 'wait', params: {}, subscribe: false });
      const busy = await w.request({ op: 'start_job', kind: 'wait', params: {} });
      expect(busy.error).toMatchObject({ code: 'busy', details: { running: 1, queued: 1, max_jobs: 1, max_queued: 1 } });
      expect((await w.ok({ op: 'job_status', job: b.job.id })).job.state).toBe('queued');
      expect((await w.ok({ op: 'cancel_job', job: b.job.id })).job.state).toBe('cancelled');
      expect((await w.ok({ op: 'cancel_job', job: a.job.id })).job.state).toBe('cancelled');
      // Nothing was subscribed to b, so only a's events arrived.
      expect(w.events.every((e) => e.job.id === a.job.id)).toBe(true);
      const c2 = await w.ok({ op: 'start_job', kind: 'wait', params: {} });
      await w.event((e) => e.job.id === c2.job.id && e.job.state === 'running');
      await s.close();
      // Shutdown cancels the running job; its subscriber hears it before the socket closes.
      expect((await w.event((e) => e.job.id === c2.job.id && e.event === 'job_finished')).job.state).toBe('cancelled');
    } finally {
      await w.close();
      await s.close();
    }
  });
});
