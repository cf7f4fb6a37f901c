/** Every op of protocol v1 end to end over a raw WebSocket, against values derived from the environment's formulas. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPS } from '../../protocol/ts/messages.js';
import { PROTOCOL_VERSION } from '../../protocol/ts/version.js';
import type { RunningServer } from '../../servers/app.js';
import { asF32, bools, mountainCarStep, numbers, quietServer, tensor } from './helpers.js';
import { RawClient, type Msg } from './raw-client.js';

const MC = 'MountainCar-v0';
let server: RunningServer;
let c: RawClient;

beforeAll(async () => {
  server = await quietServer();
  c = await RawClient.connect(server.wsUrl);
});
afterAll(async () => {
  await c.close();
  await server.close();
});

async function make(fields: Msg = {}): Promise<Msg> {
  return c.ok({ op: 'make', env_id: MC, ...fields });
}

/** A session reset to exact float64 states, so later observations can be computed by hand. */
async function sessionAt(states: Array<[number, number]>, fields: Msg = {}): Promise<number> {
  const vector = states.length > 1 || fields.vectorized === true;
  const m = await make({ num_envs: states.length, ...fields });
  await c.ok({ op: 'reset', session: m.session, options: { state: vector ? states : states[0] } });
  return m.session as number;
}

describe('hello', () => {
  it('reports the protocol, every implemented op and the limits', async () => {
    const r = await c.ok({ op: 'hello', protocol: PROTOCOL_VERSION, client: 'raw-test' });
    expect(r.protocol).toBe('1.2.0');
    expect(typeof r.server).toBe('string');
    expect([...r.capabilities].sort()).toEqual([...OPS].sort());
    expect(r.limits).toEqual({ max_frame_bytes: 16 * 1024 * 1024, max_sessions_per_connection: 64, max_envs_per_session: 4096, max_rollout_steps: 10_000_000, max_jobs: 2 });
  });

  it('accepts another minor or patch of the same major', async () => {
    const r = await c.ok({ op: 'hello', protocol: '1.7.3' });
    expect(r.protocol).toBe(PROTOCOL_VERSION);
  });
});

describe('list_envs', () => {
  it('describes MountainCar-v0 with its spaces, context and limits', async () => {
    const r = await c.ok({ op: 'list_envs' });
    const ids = r.envs.map((e: Msg) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const mc = r.envs.find((e: Msg) => e.id === MC);
    expect(mc.observation_space.type).toBe('box');
    expect(mc.observation_space.dtype).toBe('f32');
    expect(mc.observation_space.shape).toEqual([2]);
    expect(numbers(mc.observation_space.low)).toEqual(asF32([-1.2, -0.07]));
    expect(numbers(mc.observation_space.high)).toEqual(asF32([0.6, 0.07]));
    expect(mc.action_space).toEqual({ type: 'discrete', dtype: 'i64', n: 3, start: 0 });
    expect(mc.context.params).toEqual([expect.objectContaining({ name: 'gravity', default: 0.0025, low: 0.0001, high: 0.0035 })]);
    expect(mc.max_episode_steps).toBe(500);
    expect(mc.reward_range).toEqual([-1, 0]);
    expect(mc.render_modes).toEqual(['svg']);
    // The default server serves the shipped PerSim models (models/ of the repository).
    expect(mc.dynamics).toEqual(['true', 'persim-mountaincar-random']);
  });
});

describe('make', () => {
  it('makes a single session with default metadata', async () => {
    const r = await make();
    expect(r.env_id).toBe(MC);
    expect(r.num_envs).toBe(1);
    expect(r.vectorized).toBe(false);
    expect(r.observation_space.shape).toEqual([2]);
    expect(r.single_observation_space).toEqual(r.observation_space);
    expect(r.action_space).toEqual({ type: 'discrete', dtype: 'i64', n: 3, start: 0 });
    expect(r.contexts).toEqual([{ gravity: 0.0025 }]);
    expect(r.metadata).toEqual({
      render_modes: ['svg'], autoreset: 'disabled', reward_range: [-1, 0], max_episode_steps: 500, dynamics: { kind: 'true' }, options: {},
    });
  });

  it('makes a vector session with batched spaces, per-env contexts and a time limit override', async () => {
    const r = await make({ num_envs: 3, contexts: [{ gravity: 0.001 }, { gravity: 0.002 }, { gravity: 0.003 }], max_episode_steps: 7 });
    expect(r.vectorized).toBe(true);
    expect(r.observation_space.shape).toEqual([3, 2]);
    expect(numbers(r.observation_space.low)).toEqual(asF32([-1.2, -0.07, -1.2, -0.07, -1.2, -0.07]));
    expect(r.action_space.type).toBe('multi_discrete');
    expect(r.action_space.shape).toEqual([3]);
    expect(numbers(r.action_space.nvec)).toEqual([3, 3, 3]);
    expect(r.single_action_space).toEqual({ type: 'discrete', dtype: 'i64', n: 3, start: 0 });
    expect(r.contexts).toEqual([{ gravity: 0.001 }, { gravity: 0.002 }, { gravity: 0.003 }]);
    expect(r.metadata.autoreset).toBe('next_step');
    expect(r.metadata.max_episode_steps).toBe(7);
  });

  it('issues increasing handles on one connection', async () => {
    const a = await make();
    const b = await make();
    expect(b.session).toBe(a.session + 1);
  });

  it('a vectorized session of one env batches its tensors', async () => {
    const m = await make({ num_envs: 1, vectorized: true });
    expect(m.observation_space.shape).toEqual([1, 2]);
    const r = await c.ok({ op: 'reset', session: m.session, seed: 3 });
    expect(r.obs.shape).toEqual([1, 2]);
    expect(r.info.episode_step.shape).toEqual([1]);
  });
});

describe('reset', () => {
  it('follows Gymnasium seeding: reset(seed) re-seeds, reset() continues the stream', async () => {
    const { session } = await make();
    const o1 = numbers((await c.ok({ op: 'reset', session, seed: 123 })).obs);
    const o2 = numbers((await c.ok({ op: 'reset', session })).obs);
    const o3 = numbers((await c.ok({ op: 'reset', session, seed: 123 })).obs);
    const o4 = numbers((await c.ok({ op: 'reset', session, seed: null })).obs);
    const o5 = numbers((await c.ok({ op: 'reset', session, seed: 124 })).obs);
    expect(o3).toEqual(o1);
    expect(o4).toEqual(o2);
    expect(o2).not.toEqual(o1);
    expect(o5).not.toEqual(o1);
    for (const o of [o1, o2, o5]) {
      expect(o[0]).toBeGreaterThanOrEqual(Math.fround(-0.6));
      expect(o[0]).toBeLessThanOrEqual(Math.fround(-0.4));
      expect(o[1]).toBe(0);
    }
  });

  it('answers obs of the space dtype and episode_step 0', async () => {
    const { session } = await make();
    const r = await c.ok({ op: 'reset', session, seed: 1 });
    expect(r.obs.dtype).toBe('f32');
    expect(r.obs.shape).toEqual([2]);
    expect(r.obs.data.byteLength).toBe(8);
    expect(r.info).toEqual({ episode_step: 0 });
  });

  it('seeds vector env i with seed + i, or with an explicit list', async () => {
    const v = await make({ num_envs: 3 });
    const rows = numbers((await c.ok({ op: 'reset', session: v.session, seed: 10 })).obs);
    const listed = numbers((await c.ok({ op: 'reset', session: v.session, seed: [12, 10, 11] })).obs);
    for (let i = 0; i < 3; i++) {
      const s = await make();
      const single = numbers((await c.ok({ op: 'reset', session: s.session, seed: 10 + i })).obs);
      expect(rows.slice(2 * i, 2 * i + 2)).toEqual(single);
    }
    expect(listed.slice(0, 2)).toEqual(rows.slice(4, 6));
    expect(listed.slice(2, 4)).toEqual(rows.slice(0, 2));
  });

  it('uses make.seed for a first reset without a seed', async () => {
    const a = await make({ seed: 77 });
    const b = await make();
    const oa = numbers((await c.ok({ op: 'reset', session: a.session })).obs);
    const ob = numbers((await c.ok({ op: 'reset', session: b.session, seed: 77 })).obs);
    expect(oa).toEqual(ob);
  });

  it('applies options.contexts and reads them back', async () => {
    const { session } = await make({ num_envs: 2 });
    await c.ok({ op: 'reset', session, seed: 0, options: { contexts: { gravity: 0.0005 } } });
    expect((await c.ok({ op: 'get_context', session })).contexts).toEqual([{ gravity: 0.0005 }, { gravity: 0.0005 }]);
  });

  it('resets only the masked envs and returns obs for every env', async () => {
    const session = await sessionAt([[-0.5, 0], [-0.45, 0.01], [-0.3, -0.02]]);
    await c.ok({ op: 'step', session, action: [1, 1, 1] });
    const stepped = await c.ok({ op: 'step', session, action: [2, 2, 2] });
    const before = numbers(stepped.obs);
    const r = await c.ok({ op: 'reset', session, seed: 5, options: { reset_mask: [false, true, false] } });
    const after = numbers(r.obs);
    expect(r.obs.shape).toEqual([3, 2]);
    expect(numbers(r.info.episode_step)).toEqual([2, 0, 2]);
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
    expect(after.slice(4, 6)).toEqual(before.slice(4, 6));
    expect(after[3]).toBe(0);
    const viaTensor = await c.ok({ op: 'reset', session, options: { reset_mask: tensor('bool', [3], [1, 0, 0]) } });
    expect(numbers(viaTensor.info.episode_step)).toEqual([0, 0, 2]);
    expect(numbers(viaTensor.obs).slice(4, 6)).toEqual(before.slice(4, 6));
  });

  it('starts from options.state', async () => {
    const { session } = await make();
    const r = await c.ok({ op: 'reset', session, options: { state: tensor('f64', [2], [-0.55, 0.012]) } });
    expect(numbers(r.obs)).toEqual(asF32([-0.55, 0.012]));
  });
});

describe('step', () => {
  it('follows the transition for a plain number, a scalar tensor and a one-element array', async () => {
    const session = await sessionAt([[-0.5, 0.01]]);
    let s = mountainCarStep(-0.5, 0.01, 2);
    let r = await c.ok({ op: 'step', session, action: 2 });
    expect(numbers(r.obs)).toEqual(asF32(s));
    expect(r.reward).toBe(-1);
    expect(r.terminated).toBe(false);
    expect(r.truncated).toBe(false);
    expect(r.info).toEqual({ episode_step: 1 });
    s = mountainCarStep(s[0], s[1], 0);
    r = await c.ok({ op: 'step', session, action: tensor('i64', [], [0]) });
    expect(numbers(r.obs)).toEqual(asF32(s));
    s = mountainCarStep(s[0], s[1], 1);
    r = await c.ok({ op: 'step', session, action: tensor('i32', [], [1]) });
    expect(numbers(r.obs)).toEqual(asF32(s));
    s = mountainCarStep(s[0], s[1], 2);
    r = await c.ok({ op: 'step', session, action: [2] });
    expect(numbers(r.obs)).toEqual(asF32(s));
    expect(r.info.episode_step).toBe(4);
  });

  it('steps vector sessions with tensors, nested arrays and a broadcast scalar', async () => {
    const start: Array<[number, number]> = [[-0.5, 0], [0.3, 0.05]];
    const session = await sessionAt(start);
    let s = [mountainCarStep(-0.5, 0, 0), mountainCarStep(0.3, 0.05, 2)];
    let r = await c.ok({ op: 'step', session, action: tensor('i64', [2], [0, 2]) });
    expect(numbers(r.obs)).toEqual(asF32(s.flat()));
    expect(r.obs.shape).toEqual([2, 2]);
    expect(r.reward.dtype).toBe('f64');
    expect(numbers(r.reward)).toEqual([-1, -1]);
    expect(bools(r.terminated)).toEqual({ dtype: 'bool', shape: [2], flags: [0, 0] });
    expect(bools(r.truncated)).toEqual({ dtype: 'bool', shape: [2], flags: [0, 0] });
    expect(r.info.episode_step.dtype).toBe('i32');
    expect(numbers(r.info.episode_step)).toEqual([1, 1]);
    s = s.map(([x, v]) => mountainCarStep(x, v, 1));
    r = await c.ok({ op: 'step', session, action: [1, 1] });
    expect(numbers(r.obs)).toEqual(asF32(s.flat()));
    s = s.map(([x, v]) => mountainCarStep(x, v, 2));
    r = await c.ok({ op: 'step', session, action: 2 });
    expect(numbers(r.obs)).toEqual(asF32(s.flat()));
  });

  it('terminates at the goal with reward 0', async () => {
    const session = await sessionAt([[0.49, 0.05]]);
    const r = await c.ok({ op: 'step', session, action: 2 });
    const [x, v] = mountainCarStep(0.49, 0.05, 2);
    expect(x).toBeGreaterThanOrEqual(0.5);
    expect(v).toBeGreaterThanOrEqual(0);
    expect(r.terminated).toBe(true);
    expect(r.truncated).toBe(false);
    expect(r.reward).toBe(0);
  });

  it('truncates at max_episode_steps', async () => {
    const session = await sessionAt([[-0.5, 0]], { max_episode_steps: 2 });
    expect((await c.ok({ op: 'step', session, action: 1 })).truncated).toBe(false);
    const r = await c.ok({ op: 'step', session, action: 1 });
    expect(r.truncated).toBe(true);
    expect(r.terminated).toBe(false);
  });

  it('next_step autoreset: the step after an ending resets, ignores its action and pays 0', async () => {
    const session = await sessionAt([[-0.5, 0], [-0.4, 0]], { max_episode_steps: 1 });
    const r1 = await c.ok({ op: 'step', session, action: [1, 1] });
    expect(bools(r1.truncated)).toEqual({ dtype: 'bool', shape: [2], flags: [1, 1] });
    // The resetting step ignores its action entirely, even one outside the action space.
    const r2 = await c.ok({ op: 'step', session, action: [7, 7] });
    expect(numbers(r2.reward)).toEqual([0, 0]);
    expect(bools(r2.terminated)).toEqual({ dtype: 'bool', shape: [2], flags: [0, 0] });
    expect(numbers(r2.info.episode_step)).toEqual([0, 0]);
    const o = numbers(r2.obs);
    for (const i of [0, 1]) {
      expect(o[2 * i]).toBeGreaterThanOrEqual(Math.fround(-0.6));
      expect(o[2 * i]).toBeLessThanOrEqual(Math.fround(-0.4));
      expect(o[2 * i + 1]).toBe(0);
    }
  });

  it('same_step autoreset: final_obs holds the ending observation, obs the new episode', async () => {
    const session = await sessionAt([[-0.5, 0], [-0.4, 0.01]], { max_episode_steps: 1, autoreset: 'same_step' });
    const r = await c.ok({ op: 'step', session, action: [0, 2] });
    expect(bools(r.info.final_mask)).toEqual({ dtype: 'bool', shape: [2], flags: [1, 1] });
    expect(r.info.final_obs.dtype).toBe('f32');
    expect(numbers(r.info.final_obs)).toEqual(asF32([...mountainCarStep(-0.5, 0, 0), ...mountainCarStep(-0.4, 0.01, 2)]));
    expect(numbers(r.truncated)).toEqual([1, 1]);
    expect(numbers(r.info.episode_step)).toEqual([0, 0]);
    const o = numbers(r.obs);
    expect([o[1], o[3]]).toEqual([0, 0]);
  });
});

describe('close', () => {
  it('is idempotent for issued handles and refuses handles never issued', async () => {
    const { session } = await make();
    expect((await c.ok({ op: 'close', session })).closed).toBe(true);
    expect((await c.ok({ op: 'close', session })).closed).toBe(false);
    const step = await c.request({ op: 'step', session, action: 1 });
    expect(step.error.code).toBe('unknown_session');
    const never = await c.request({ op: 'close', session: 9999 });
    expect(never.error.code).toBe('unknown_session');
  });
});

describe('contexts', () => {
  it('reads back what set_context applied, per env with indices', async () => {
    const { session } = await make({ num_envs: 3 });
    expect((await c.ok({ op: 'get_context', session })).contexts).toEqual([{ gravity: 0.0025 }, { gravity: 0.0025 }, { gravity: 0.0025 }]);
    const all = await c.ok({ op: 'set_context', session, contexts: { gravity: 0.001 } });
    expect(all.contexts).toEqual([{ gravity: 0.001 }, { gravity: 0.001 }, { gravity: 0.001 }]);
    const some = await c.ok({ op: 'set_context', session, contexts: [{ gravity: 0.0002 }, { gravity: 0.0003 }], indices: [2, 0] });
    expect(some.contexts).toEqual([{ gravity: 0.0003 }, { gravity: 0.001 }, { gravity: 0.0002 }]);
    expect((await c.ok({ op: 'get_context', session })).contexts).toEqual(some.contexts);
  });

  it('a changed context changes the next observation as the formula says', async () => {
    const a = await sessionAt([[-0.8, 0.02]]);
    const b = await sessionAt([[-0.8, 0.02]]);
    await c.ok({ op: 'set_context', session: b, contexts: { gravity: 0.0001 } });
    const oa = numbers((await c.ok({ op: 'step', session: a, action: 1 })).obs);
    const ob = numbers((await c.ok({ op: 'step', session: b, action: 1 })).obs);
    expect(oa).toEqual(asF32(mountainCarStep(-0.8, 0.02, 1, 0.0025)));
    expect(ob).toEqual(asF32(mountainCarStep(-0.8, 0.02, 1, 0.0001)));
    expect(ob[1]).not.toBe(oa[1]);
  });
});

describe('state snapshots', () => {
  it('set_state replays bit for bit, autoresets (which draw random numbers) included', async () => {
    const { session } = await make({ num_envs: 2, max_episode_steps: 3 });
    await c.ok({ op: 'reset', session, seed: 2024 });
    await c.ok({ op: 'step', session, action: [0, 2] });
    const before = await c.ok({ op: 'step', session, action: [2, 0] });
    const snap = await c.ok({ op: 'get_state', session });
    expect(snap.state).toBeInstanceOf(Uint8Array);
    const actions = [[1, 2], [0, 0], [2, 1], [2, 2], [1, 0], [0, 1], [2, 0]];
    const first: Msg[] = [];
    for (const action of actions) first.push(await c.ok({ op: 'step', session, action }));
    const restored = await c.ok({ op: 'set_state', session, state: snap.state });
    expect(restored.obs).toEqual(before.obs);
    for (let k = 0; k < actions.length; k++) {
      const again = await c.ok({ op: 'step', session, action: actions[k] });
      const { id: _a, ...x } = again;
      const { id: _b, ...y } = first[k];
      expect(x).toEqual(y);
    }
    // The replay crossed at least one autoreset, so the generators were part of what was restored.
    expect(first.some((r) => numbers(r.truncated).some((t) => t === 1))).toBe(true);
  });

  it('a snapshot without generators moves the state to another session', async () => {
    const a = await sessionAt([[-0.7, 0.015]]);
    await c.ok({ op: 'step', session: a, action: 2 });
    const snap = await c.ok({ op: 'get_state', session: a, include_rng: false });
    const b = await make();
    const r = await c.ok({ op: 'set_state', session: b.session, state: snap.state });
    const [x1, v1] = mountainCarStep(-0.7, 0.015, 2);
    expect(numbers(r.obs)).toEqual(asF32([x1, v1]));
    const next = await c.ok({ op: 'step', session: b.session, action: 0 });
    expect(numbers(next.obs)).toEqual(asF32(mountainCarStep(x1, v1, 0)));
    expect(next.info.episode_step).toBe(2);
  });
});

describe('render', () => {
  it('returns an SVG document of the current state', async () => {
    const session = await sessionAt([[-0.5, 0]]);
    const r = await c.ok({ op: 'render', session });
    expect(r.mode).toBe('svg');
    expect(r.data).toMatch(/<svg[\s>]/);
    expect(r.data.trim().endsWith('</svg>')).toBe(true);
    const v = await sessionAt([[-0.5, 0], [0.2, 0]]);
    const r0 = await c.ok({ op: 'render', session: v, index: 0, mode: 'svg' });
    const r1 = await c.ok({ op: 'render', session: v, index: 1 });
    expect(r1.data).not.toBe(r0.data);
  });
});
