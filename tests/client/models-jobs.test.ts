/**
 * The client's protocol 1.2 surface against a real server: listing and making learned models (a trained agent, and a
 * new agent from a trajectory given as flat typed arrays), compare, and jobs (runJob, waitJob through events and
 * through polling, cancelJob, unknown_job as a typed error). Expected contexts are PerSim's published test agents.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, DEFAULT_MODELS_DIR, type RunningServer } from '../../servers/app.js';
import { PersimProvider } from '../../src/models/persim/provider.js';
import { connect, isUnknownJob, TwinGymClientError, type Client, type JobInfo } from '../../clients/ts/index.js';

let server: RunningServer;
let client: Client;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'twingym-client-jobs-'));
  const models = join(root, 'models');
  server = await startServer({
    port: 0, logLevel: 'silent', places: { modelsDir: models, datasetsDir: join(root, 'data') },
    modelProviders: [new PersimProvider(DEFAULT_MODELS_DIR), new PersimProvider(models)],
  });
  client = await connect(server.wsUrl, { timeoutMs: 30_000 });
});
afterAll(async () => {
  await client?.close();
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

const rejection = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as TwinGymClientError);

describe('learned models', () => {
  it('lists models and makes a trained agent\'s simulator with its true context', async () => {
    const models = await client.listModels('CartPole-v0');
    expect(models.map((m) => m.id)).toEqual(['persim-cartpole-random', 'persim-cartpole-random-std']);
    expect(models[0]).toMatchObject({ env_id: 'CartPole-v0', members: 5, test_agents: [0, 1, 2, 3, 4] });
    // PerSim's CartPole test agent 3 (id 2): force_mag 18, length 0.5.
    const env = await client.make('CartPole-v0', { dynamics: { model: 'persim-cartpole-random', agent: 2 } });
    expect(env.initialContexts[0]).toMatchObject({ force_mag: 18, length: 0.5 });
    expect(env.metadata.dynamics).toMatchObject({ kind: 'persim', model: 'persim-cartpole-random', agent: 2, members: 5, mode: 'mean' });
    const { obs } = await env.reset({ seed: 3 });
    expect(obs).toHaveLength(4);
    const step = await env.step(1);
    expect(step.reward).toBe(1);
    const refused = await rejection(env.setContext({ length: 0.8 }));
    expect(refused.code).toBe('unsupported');
    expect(refused.details).toMatchObject({ dynamics: 'persim', model: 'persim-cartpole-random' });
    await env.close();
  });

  it('personalises from flat typed arrays with n, and refuses them without n', async () => {
    const observations = Float64Array.of(-0.5, 0, -0.4985, 0.0015, -0.4956, 0.0029);
    const nextObservations = Float64Array.of(-0.4985, 0.0015, -0.4956, 0.0029, -0.4913, 0.0043);
    const actions = Int32Array.of(2, 2, 2);
    const env = await client.make('MountainCar-v0', { dynamics: { model: 'persim-mountaincar-random', trajectory: { n: 3, observations, actions, nextObservations }, mode: 'sample' } });
    expect(env.metadata.dynamics).toMatchObject({ personalized: true, mode: 'sample' });
    expect(env.initialContexts).toEqual([{ gravity: 0.0025 }]);
    await env.close();
    const e = await rejection(client.make('MountainCar-v0', { dynamics: { model: 'persim-mountaincar-random', trajectory: { observations, actions, nextObservations } } }));
    expect(e.code).toBe('invalid_argument');
  });

  it('compares a trained agent with the real system', async () => {
    const r = await client.compare('persim-mountaincar-random', 1, { episodes: 4, seed: 2 });
    expect(r).toMatchObject({ env_id: 'MountainCar-v0', model: 'persim-mountaincar-random', agent: 1, episodes: 4, policy: 'square-wave', warmup: 10, horizon: 50 });
    expect(r.per_dimension_rmse).toHaveLength(2);
    // The overall RMSE pools both dimensions: it lies between the per-dimension ones.
    expect(r.rmse.mean).toBeGreaterThan(0);
    expect(Math.min(...r.per_dimension_rmse)).toBeLessThan(Math.max(...r.per_dimension_rmse));
  });
});

describe('jobs', () => {
  it('runJob collects, and waitJob follows a training through its events', async () => {
    const collected = await client.runJob('collect', { env_id: 'MountainCar-v0', policy: 'pure-eps-20', agents: 20, steps: 50, seed: 1, dataset: 'd1' });
    expect(collected).toMatchObject({ dataset: 'd1', rows: 1000, agents: 20 });
    const job = await client.startJob('train_persim', { dataset: 'd1', model: 'client-tiny', epochs: 3, members: 2, eval_episodes: 0 });
    const seen: JobInfo[] = [];
    const final = await client.waitJob(job.id, { onProgress: (j) => seen.push(j), pollMs: 60_000 });
    expect(final.state).toBe('succeeded');
    expect(final.result).toMatchObject({ model: 'client-tiny' });
    // With polling effectively off, the epochs arrived as events, in order, ending with the final state.
    const epochs = seen.map((j) => j.progress.done);
    expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
    expect(seen[seen.length - 1].state).toBe('succeeded');
    expect((await client.listModels('MountainCar-v0')).map((m) => m.id)).toContain('client-tiny');
    const env = await client.make('MountainCar-v0', { dynamics: { model: 'client-tiny', agent: 4 } });
    expect(env.initialContexts[0].gravity).toBeCloseTo(0.0035, 12);
    await env.close();
  });

  it('waitJob polls a job this connection did not subscribe to; cancelJob stops a training', async () => {
    const other = await connect(server.wsUrl);
    try {
      const job = await other.startJob('train_persim', { dataset: 'd1', model: 'never', epochs: 5000, members: 2, eval_episodes: 0 }, { subscribe: false });
      const waiting = client.waitJob(job.id, { pollMs: 50 });
      const running = await new Promise<JobInfo>((resolve) => {
        const check = () => void client.jobStatus(job.id).then((j) => (j.state === 'running' && j.progress.done >= 1 ? resolve(j) : setTimeout(check, 50)));
        check();
      });
      expect(running.state).toBe('running');
      await other.cancelJob(job.id);
      const final = await waiting;
      expect(final.state).toBe('cancelled');
      expect((await client.listJobs()).find((j) => j.id === job.id)?.state).toBe('cancelled');
      const failed = await rejection(client.runJob('train_persim', { dataset: 'missing', model: 'x' }));
      expect(failed.code).toBe('unknown_dataset');
    } finally {
      await other.close();
    }
  });

  it('unknown job ids are a typed error', async () => {
    const e = await rejection(client.jobStatus('job-none'));
    expect(isUnknownJob(e)).toBe(true);
    expect(e.details).toMatchObject({ job: 'job-none' });
    expect(isUnknownJob(await rejection(client.cancelJob('job-none')))).toBe(true);
    expect(isUnknownJob(await rejection(client.waitJob('job-none')))).toBe(true);
  });
});
