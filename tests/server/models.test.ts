/**
 * Served learned models: list_models, and sessions of the shipped PerSim models and of a tiny model trained into a
 * temporary registry, driven through every session op (reset, step, vector autoreset, snapshots, render, rollout,
 * plan) exactly like the real environment. Expected next states are recomputed from the loaded network (members'
 * mean delta, clipped to the observation bounds), so the serving path is checked against the model itself. Refusals
 * (unknown model, agent out of range, another env, malformed trajectories, context changes) leave the connection usable.
 * Personalisation runs in a worker thread: it fits exactly the codes of an in-process fit, and the event loop keeps
 * running while it fits.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDefinition } from '../../envs/registry.js';
import { collectDataset } from '../../src/data/collect.js';
import { defaultHyper } from '../../src/models/persim/config.js';
import { runPersimTraining } from '../../src/models/persim/job.js';
import { loadPersim, type PersimModel } from '../../src/models/persim/model.js';
import { personalize, type PersonalizationData } from '../../src/models/persim/personalize.js';
import { PersonalizeWorker } from '../../src/models/persim/personalize-worker.js';
import { PersimProvider } from '../../src/models/persim/provider.js';
import { DEFAULT_MODELS_DIR, type RunningServer } from '../../servers/app.js';
import { mountainCarStep, numbers, quietServer, tensor } from './helpers.js';
import { RawClient, type Msg } from './raw-client.js';

const MC = 'MountainCar-v0';
const SHIPPED_MC = 'persim-mountaincar-random';
const SHIPPED_CP = 'persim-cartpole-random';
const SHIPPED_CP_STD = 'persim-cartpole-random-std';
let server: RunningServer;
let c: RawClient;
let registry: string;
let shipped: PersimModel;
let tiny: PersimModel;

beforeAll(async () => {
  registry = await mkdtemp(join(tmpdir(), 'twingym-models-'));
  const dataset = collectDataset({ envId: MC, numAgents: 6, policy: 'random', seed: 5 });
  const out = await runPersimTraining({ dataset, hyper: defaultHyper(MC, { epochs: 2, members: 2, batchSize: 256 }), registryDir: registry, id: 'tiny-mc', evalEpisodes: 0 });
  out.model.dispose();
  server = await quietServer({ modelProviders: [new PersimProvider(DEFAULT_MODELS_DIR), new PersimProvider(registry)] });
  c = await RawClient.connect(server.wsUrl);
  shipped = await loadPersim(DEFAULT_MODELS_DIR, SHIPPED_MC);
  tiny = await loadPersim(registry, 'tiny-mc');
});
afterAll(async () => {
  await c.close();
  await server.close();
  shipped.dispose();
  tiny.dispose();
  await rm(registry, { recursive: true, force: true });
});

/** The mean-mode prediction of a model for one MountainCar state and action, clipped like the real env's bounds. */
function predict(model: PersimModel, agent: number, x: number, v: number, a: number): [number, number] {
  const net = model.network;
  const d = net.predictDeltas(Float64Array.of(x, v), Float64Array.of(a), 1, { agentIds: Int32Array.of(agent) });
  const M = net.hyper.members;
  let dx = 0;
  let dv = 0;
  for (let m = 0; m < M; m++) { dx += d[m * 2] / M; dv += d[m * 2 + 1] / M; }
  return [Math.min(Math.max(x + dx, -1.2), 0.6), Math.min(Math.max(v + dv, -0.07), 0.07)];
}

const f32 = (xs: number[]) => xs.map((x) => Math.fround(x));

/** A real MountainCar trajectory at `gravity` from (-0.55, 0) under a square-wave policy, from REFERENCE.md 1.1's formulas. */
function mcTrajectory(gravity: number, n: number): { obs: number[]; acts: number[]; next: number[] } {
  const obs: number[] = [];
  const next: number[] = [];
  const acts: number[] = [];
  let [x, v] = [-0.55, 0];
  for (let t = 0; t < n; t++) {
    const a = t % 10 < 5 ? 0 : 2;
    const [x2, v2] = mountainCarStep(x, v, a, gravity);
    obs.push(x, v); next.push(x2, v2); acts.push(a);
    [x, v] = [x2, v2];
  }
  return { obs, acts, next };
}

/** The same trajectory as personalize takes it. */
function asData(t: { obs: number[]; acts: number[]; next: number[] }): PersonalizationData {
  return { n: t.acts.length, observations: Float64Array.from(t.obs), actions: Float64Array.from(t.acts), nextObservations: Float64Array.from(t.next) };
}

describe('list_models', () => {
  it('lists the shipped models and the trained one, filtered by env', async () => {
    const all = (await c.ok({ op: 'list_models' })).models as Msg[];
    expect(all.map((m) => m.id).sort()).toEqual([SHIPPED_CP, SHIPPED_CP_STD, SHIPPED_MC, 'tiny-mc']);
    const mc = all.find((m) => m.id === SHIPPED_MC)!;
    expect(mc).toMatchObject({ kind: 'persim', env_id: MC, env_options: {}, members: 5, agents: 100, test_agents: [0, 1, 2, 3, 4], context_names: ['gravity'] });
    expect(typeof mc.created).toBe('string');
    expect(mc.metadata.rank).toBe(3);
    const only = (await c.ok({ op: 'list_models', env_id: 'CartPole-v0' })).models as Msg[];
    expect(only.map((m) => m.id)).toEqual([SHIPPED_CP, SHIPPED_CP_STD]);
    expect((await c.request({ op: 'list_models', env_id: 'Moon-v0' })).error.code).toBe('unknown_env');
    const envs = (await c.ok({ op: 'list_envs' })).envs as Msg[];
    expect(envs.find((e) => e.id === MC)!.dynamics).toEqual(['true', SHIPPED_MC, 'tiny-mc']);
    expect(envs.find((e) => e.id === 'CartPole-v0')!.dynamics).toEqual(['true', SHIPPED_CP, SHIPPED_CP_STD]);
  });
});

describe.each([
  ['the shipped model', SHIPPED_MC, () => shipped, 0, 0.0001],
  ['a freshly trained model', 'tiny-mc', () => tiny, 1, 0.0005],
] as const)('a learned MountainCar session of %s', (_what, model, loaded, agent, gravity) => {
  it('reports the agent\'s context and steps with the model\'s mean prediction', async () => {
    const m = await c.ok({ op: 'make', env_id: MC, dynamics: { model, agent } });
    expect(m.contexts).toHaveLength(1);
    expect(m.contexts[0].gravity).toBeCloseTo(gravity, 12);
    expect(m.metadata.dynamics).toEqual({ kind: 'persim', model, agent, members: loaded().network.hyper.members, mode: 'mean' });
    expect((await c.ok({ op: 'get_context', session: m.session })).contexts[0].gravity).toBeCloseTo(gravity, 12);
    const r = await c.ok({ op: 'reset', session: m.session, options: { state: [-0.5, 0] } });
    expect(numbers(r.obs)).toEqual(f32([-0.5, 0]));
    let [x, v] = [-0.5, 0];
    for (const a of [2, 2, 0, 1]) {
      const s = await c.ok({ op: 'step', session: m.session, action: a });
      [x, v] = predict(loaded(), agent, x, v, a);
      expect(numbers(s.obs)[0]).toBeCloseTo(Math.fround(x), 6);
      expect(numbers(s.obs)[1]).toBeCloseTo(Math.fround(v), 6);
      expect(s.reward).toBe(-1);
    }
    // The learned step is not the real one (the model is an approximation, however close).
    const real = mountainCarStep(-0.5, 0, 2, gravity);
    expect(predict(loaded(), agent, -0.5, 0, 2)).not.toEqual(real);
    await c.ok({ op: 'close', session: m.session });
  });

  it('snapshots, renders, rolls out and plans like a real session', async () => {
    const m = await c.ok({ op: 'make', env_id: MC, dynamics: { model, agent }, seed: 4 });
    await c.ok({ op: 'reset', session: m.session });
    const snap = await c.ok({ op: 'get_state', session: m.session });
    const steps: number[][] = [];
    for (const a of [2, 2, 2]) steps.push(numbers((await c.ok({ op: 'step', session: m.session, action: a })).obs));
    await c.ok({ op: 'set_state', session: m.session, state: snap.state });
    const roll = await c.ok({ op: 'rollout', session: m.session, actions: tensor('i64', [1, 3], [2, 2, 2]) });
    expect(numbers(roll.obs)).toEqual(steps.flat());
    expect(numbers(roll.reward)).toEqual([-1, -1, -1]);
    const again = numbers((await c.ok({ op: 'step', session: m.session, action: 2 })).obs);
    expect(again).toEqual(steps[0]);
    const svg = await c.ok({ op: 'render', session: m.session });
    expect(svg.data).toContain('<svg');
    const p = await c.ok({ op: 'plan', session: m.session, settings: { candidates: 16, horizon: 4 }, seed: 1 });
    expect([0, 1, 2]).toContain(numbers(p.action)[0]);
    expect(p.planner).toBe('random_shooting');
    expect(p.transitions).toBe(16 * 4 * loaded().network.hyper.members);
    await c.ok({ op: 'close', session: m.session });
  });

  it('serves vector sessions with autoreset', async () => {
    const m = await c.ok({ op: 'make', env_id: MC, dynamics: { model, agent }, num_envs: 3, max_episode_steps: 2, seed: 9 });
    expect(m.contexts.map((x: Msg) => x.gravity)).toEqual([gravity, gravity, gravity].map((g) => expect.closeTo(g, 12)));
    expect(m.metadata.autoreset).toBe('next_step');
    await c.ok({ op: 'reset', session: m.session });
    await c.ok({ op: 'step', session: m.session, action: [0, 1, 2] });
    const end = await c.ok({ op: 'step', session: m.session, action: [0, 1, 2] });
    expect(numbers(end.truncated)).toEqual([1, 1, 1]);
    const restart = await c.ok({ op: 'step', session: m.session, action: [0, 1, 2] });
    expect(numbers(restart.reward)).toEqual([0, 0, 0]);
    expect(numbers(restart.info.episode_step)).toEqual([0, 0, 0]);
    await c.ok({ op: 'close', session: m.session });
  });
});

describe('learned-session semantics', () => {
  it('refuses context changes with unsupported, and the session is unchanged', async () => {
    const m = await c.ok({ op: 'make', env_id: MC, dynamics: { model: SHIPPED_MC, agent: 3 } });
    await c.ok({ op: 'reset', session: m.session, seed: 1 });
    const before = await c.ok({ op: 'get_state', session: m.session });
    const set = await c.request({ op: 'set_context', session: m.session, contexts: { gravity: 0.001 } });
    expect(set.error).toMatchObject({ code: 'unsupported', details: { dynamics: 'persim', model: SHIPPED_MC, path: 'contexts' } });
    const reset = await c.request({ op: 'reset', session: m.session, options: { contexts: { gravity: 0.001 } } });
    expect(reset.error).toMatchObject({ code: 'unsupported', details: { path: 'options.contexts' } });
    const roll = await c.request({ op: 'rollout', session: m.session, actions: [[1]], contexts: { gravity: 0.001 } });
    expect(roll.error).toMatchObject({ code: 'unsupported', details: { path: 'contexts' } });
    const make = await c.request({ op: 'make', env_id: MC, dynamics: { model: SHIPPED_MC, agent: 3 }, contexts: { gravity: 0.001 } });
    expect(make.error).toMatchObject({ code: 'unsupported', details: { path: 'contexts' } });
    expect((await c.ok({ op: 'get_state', session: m.session })).state).toEqual(before.state);
    expect((await c.ok({ op: 'get_context', session: m.session })).contexts).toEqual([{ gravity: 0.0025 }]);
    await c.ok({ op: 'close', session: m.session });
  });

  it('sample mode draws members reproducibly from the session seed', async () => {
    const run = async () => {
      const m = await c.ok({ op: 'make', env_id: MC, dynamics: { model: SHIPPED_MC, agent: 2, mode: 'sample' }, num_envs: 4 });
      expect(m.metadata.dynamics.mode).toBe('sample');
      await c.ok({ op: 'reset', session: m.session, seed: 21 });
      const out: number[] = [];
      for (let i = 0; i < 5; i++) out.push(...numbers((await c.ok({ op: 'step', session: m.session, action: [0, 2, 1, 2] })).obs));
      await c.ok({ op: 'close', session: m.session });
      return out;
    };
    expect(await run()).toEqual(await run());
  });

  it('personalises a new agent from a trajectory', async () => {
    // A real MountainCar trajectory at gravity 0.001.
    const { obs, acts, next } = mcTrajectory(0.001, 40);
    const trajectory = { observations: tensor('f64', [40, 2], obs), actions: tensor('i64', [40], acts), next_observations: tensor('f64', [40, 2], next) };
    const m = await c.ok({ op: 'make', env_id: MC, dynamics: { model: SHIPPED_MC, trajectory } });
    expect(m.metadata.dynamics).toEqual({ kind: 'persim', model: SHIPPED_MC, personalized: true, members: 5, mode: 'mean' });
    expect(m.contexts).toEqual([{ gravity: 0.0025 }]);
    await c.ok({ op: 'reset', session: m.session, options: { state: [-0.55, 0] } });
    const s = await c.ok({ op: 'step', session: m.session, action: 0 });
    // The personalised simulator tracks the real step closely (PerSim's MountainCar errors are ~1e-3).
    const real = mountainCarStep(-0.55, 0, 0, 0.001);
    expect(Math.abs(numbers(s.obs)[0] - real[0])).toBeLessThan(5e-3);
    await c.ok({ op: 'close', session: m.session });
  });
});

describe('personalisation off the main thread', () => {
  it('fits exactly the codes of an in-process fit, and the made session steps with them', async () => {
    const t = mcTrajectory(0.0015, 30);
    const expected = personalize(shipped.network, asData(t));
    const worker = new PersonalizeWorker();
    try {
      const fitted = await worker.fit({ registryDir: DEFAULT_MODELS_DIR, model: SHIPPED_MC, data: asData(t) });
      expect(Array.from(fitted.codes)).toEqual(Array.from(expected.codes));
      expect(fitted.finalLoss).toBe(expected.finalLoss);
      expect(fitted.finalLoss).toBeLessThan(fitted.initialLoss);
      await expect(worker.fit({ registryDir: DEFAULT_MODELS_DIR, model: 'nope', data: asData(t) })).rejects.toThrow(/no model "nope"/);
    } finally {
      await worker.dispose();
    }

    const trajectory = { observations: tensor('f64', [30, 2], t.obs), actions: tensor('i64', [30], t.acts), next_observations: tensor('f64', [30, 2], t.next) };
    const m = await c.ok({ op: 'make', env_id: MC, dynamics: { model: SHIPPED_MC, trajectory } });
    await c.ok({ op: 'reset', session: m.session, options: { state: [-0.3, 0.01] } });
    const s = await c.ok({ op: 'step', session: m.session, action: 2 });
    // The members' mean delta for the in-process codes, clipped to the bounds (as predict() does for agent ids).
    const d = shipped.network.predictDeltas(Float64Array.of(-0.3, 0.01), Float64Array.of(2), 1, { codes: expected.codes });
    const M = shipped.network.hyper.members;
    let [dx, dv] = [0, 0];
    for (let k = 0; k < M; k++) { dx += d[k * 2] / M; dv += d[k * 2 + 1] / M; }
    expect(numbers(s.obs)[0]).toBeCloseTo(Math.fround(-0.3 + dx), 6);
    expect(numbers(s.obs)[1]).toBeCloseTo(Math.fround(Math.min(Math.max(0.01 + dv, -0.07), 0.07)), 6);
    await c.ok({ op: 'close', session: m.session });
  });

  it('keeps the event loop responsive during a personalising make', async () => {
    const provider = new PersimProvider(DEFAULT_MODELS_DIR);
    const data = asData(mcTrajectory(0.002, 40));
    let last = performance.now();
    let stall = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - last);
      last = now;
    }, 5);
    const t0 = performance.now();
    try {
      const made = await provider.create({ model: SHIPPED_MC, trajectory: data }, makeDefinition(MC));
      expect(made!.dynamics.info).toMatchObject({ personalized: true, model: SHIPPED_MC });
    } finally {
      clearInterval(timer);
      await provider.dispose();
    }
    // The make took over a second (starting the thread, then 300 Adam steps), and an in-process fit blocks for all of
    // the steps; here a 5 ms timer kept firing throughout. The bound leaves room for the scheduling noise of a loaded
    // machine (2 cores shared with other test files), which has shown gaps of ~65 ms with an idle event loop.
    expect(performance.now() - t0).toBeGreaterThan(1000);
    expect(stall).toBeLessThan(250);
  });
});

describe('refusals leave the connection usable', () => {
  const trajectory = (o: Msg, a: Msg, n: Msg) => ({ observations: o, actions: a, next_observations: n });
  const good = () => tensor('f64', [2, 2], [-0.5, 0, -0.5, 0]);

  it.each([
    ['an unknown model', { env_id: MC, dynamics: { model: 'nope', agent: 0 } }, 'unknown_dynamics', {}],
    ['a model of another env', { env_id: MC, dynamics: { model: SHIPPED_CP, agent: 0 } }, 'unknown_dynamics', { model_env: 'CartPole-v0' }],
    ['an agent out of range', { env_id: MC, dynamics: { model: SHIPPED_MC, agent: 100 } }, 'invalid_argument', { path: 'agent', agents: 100 }],
    ['neither agent nor trajectory', { env_id: MC, dynamics: { model: SHIPPED_MC } }, 'invalid_argument', { path: 'agent' }],
    ['observations of the wrong width', { env_id: MC, dynamics: { model: SHIPPED_MC, trajectory: trajectory(tensor('f64', [2, 3], [0, 0, 0, 0, 0, 0]), [0, 1], good()) } }, 'bad_shape', { path: 'dynamics.trajectory.observations' }],
    ['actions of another length', { env_id: MC, dynamics: { model: SHIPPED_MC, trajectory: trajectory(good(), [0, 1, 2], good()) } }, 'bad_shape', { path: 'dynamics.trajectory.actions' }],
    ['float actions for a Discrete space', { env_id: MC, dynamics: { model: SHIPPED_MC, trajectory: trajectory(good(), tensor('f32', [2], [0, 1]), good()) } }, 'bad_dtype', { path: 'dynamics.trajectory.actions' }],
    ['a NaN observation', { env_id: MC, dynamics: { model: SHIPPED_MC, trajectory: trajectory(tensor('f64', [2, 2], [Number.NaN, 0, 0, 0]), [0, 1], good()) } }, 'invalid_argument', { path: 'dynamics.trajectory.observations' }],
    ['a trajectory without rows', { env_id: MC, dynamics: { model: SHIPPED_MC, trajectory: trajectory(tensor('f64', [0, 2], []), tensor('i64', [0], []), tensor('f64', [0, 2], [])) } }, 'bad_shape', {}],
    ['an unknown dynamics field', { env_id: MC, dynamics: { model: SHIPPED_MC, agent: 0, agnet: 1 } }, 'invalid_argument', { path: 'dynamics' }],
  ])('%s', async (_what, request, code, details) => {
    const r = await c.request({ op: 'make', ...request });
    expect(r.error.code).toBe(code);
    expect(r.error.details).toMatchObject(details);
    expect(r.error.message.length).toBeGreaterThan(20);
    const ok = await c.ok({ op: 'make', env_id: MC, dynamics: { model: SHIPPED_MC, agent: 1 } });
    await c.ok({ op: 'close', session: ok.session });
  });
});

describe('CartPole and HTTP', () => {
  it('serves the shipped CartPole model over HTTP, rollout and plan included', async () => {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${server.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Msg };
    };
    const m = await post('/v1/sessions', { env_id: 'CartPole-v0', dynamics: { model: SHIPPED_CP, agent: 1 } });
    expect(m.status).toBe(200);
    expect(m.body.contexts[0]).toMatchObject({ force_mag: 10, length: 0.5 });
    const sid = m.body.session as string;
    const r = await post(`/v1/sessions/${sid}/reset`, { options: { state: [0, 0, 0.02, 0] } });
    expect(r.body.obs.data).toEqual(f32([0, 0, 0.02, 0]));
    const roll = await post(`/v1/sessions/${sid}/rollout`, { actions: [[1, 1, 1], [0, 0, 0]] });
    expect(roll.status).toBe(200);
    expect(roll.body.obs.shape).toEqual([2, 3, 4]);
    // Pushing right speeds the cart up to the right, pushing left to the left, in the learned model too.
    expect(roll.body.obs.data[4 * 2 + 1]).toBeGreaterThan(0);
    expect(roll.body.obs.data[12 + 4 * 2 + 1]).toBeLessThan(0);
    const plan = await post(`/v1/sessions/${sid}/plan`, { settings: { candidates: 8, horizon: 3 }, seed: 2 });
    expect(plan.status).toBe(200);
    expect([0, 1]).toContain(plan.body.action.data[0]);
    const set = await post(`/v1/sessions/${sid}/set_context`, { contexts: { length: 0.9 } });
    expect(set.status).toBe(400);
    expect(set.body.error.code).toBe('unsupported');
    // Nested arrays (here over HTTP, with a JSON tensor beside them) are accepted as well as tensors.
    const traj = await post('/v1/sessions', {
      env_id: MC, dynamics: { model: SHIPPED_MC, trajectory: { observations: { dtype: 'f64', shape: [1, 2], data: [-0.5, 0] }, actions: [2], next_observations: [[-0.4985, 0.0015]] } },
    });
    expect(traj.status).toBe(200);
    expect(traj.body.metadata.dynamics.personalized).toBe(true);

    const models = (await (await fetch(`${server.httpUrl}/v1/models?env_id=CartPole-v0`)).json()) as Msg;
    expect(models.models.map((x: Msg) => x.id)).toEqual([SHIPPED_CP, SHIPPED_CP_STD]);
    const one = await fetch(`${server.httpUrl}/v1/models/${SHIPPED_MC}`);
    expect(((await one.json()) as Msg).env_id).toBe(MC);
    const none = await fetch(`${server.httpUrl}/v1/models/nope`);
    expect(none.status).toBe(404);
    expect(((await none.json()) as Msg).error.code).toBe('unknown_dynamics');
    const cmp = await post('/v1/compare', { model: SHIPPED_CP, agent: 1, episodes: 3, seed: 1 });
    expect(cmp.status).toBe(200);
    expect(cmp.body).toMatchObject({ env_id: 'CartPole-v0', model: SHIPPED_CP, agent: 1, policy: 'angle-pd-eps-25', warmup: 10, horizon: 50 });
    expect(cmp.body.per_dimension_rmse).toHaveLength(4);
    expect(cmp.body.rmse.mean).toBeGreaterThan(0);
  });
});
