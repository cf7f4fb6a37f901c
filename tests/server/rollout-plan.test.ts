/**
 * rollout and plan over a raw WebSocket: the wire result equals the same rollout or decision computed in process, bit
 * for bit; per-member rollouts of an ensemble served by a provider; limits refused with batch_too_large while the
 * session and its planner stay as they were; and MountainCar solved by plan + step over the protocol.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDefinition } from '../../envs/registry.js';
import { decodeTensor, encodeTensor } from '../../protocol/ts/tensor.js';
import type { Dynamics, EnvDefinition, TransitionBatch } from '../../src/core/definition.js';
import { Rng } from '../../src/core/rng.js';
import { Cem } from '../../src/planning/cem.js';
import { meanStepFromMembers } from '../../src/planning/ensemble.js';
import { RandomShooting } from '../../src/planning/random-shooting.js';
import { rollout } from '../../src/planning/rollout.js';
import type { RunningServer } from '../../servers/app.js';
import { numbers, quietServer, tensor } from './helpers.js';
import { RawClient, type Msg } from './raw-client.js';

const mc = makeDefinition('MountainCar-v0');
const mcc = makeDefinition('MountainCarContinuous-v0');

/** A 2-member MountainCar "ensemble": member m pulls with gravity x (1 + 0.5 m); its step is the member mean. */
function fakeMountainCarEnsemble(): Dynamics {
  const stepMembers = (b: TransitionBatch) => {
    const k = b.n / 2;
    for (let r = 0; r < b.n; r++) {
      const g = b.contexts[r] * (r < k ? 1 : 1.5);
      const x = b.states[2 * r];
      let v = Math.min(Math.max(b.states[2 * r + 1] + (b.actions[r] - 1) * 0.001 - g * Math.cos(3 * x), -0.07), 0.07);
      const x2 = Math.min(Math.max(x + v, -1.2), 0.6);
      if (x2 === -1.2 && v < 0) v = 0;
      b.next[2 * r] = x2;
      b.next[2 * r + 1] = v;
    }
  };
  return { kind: 'fake-ensemble', info: { model: 'fake-mc' }, members: 2, stepMembers, step: (b) => meanStepFromMembers(stepMembers, 2, b, 2) };
}

let server: RunningServer;
let small: RunningServer;
let c: RawClient;
let s: RawClient;

beforeAll(async () => {
  server = await quietServer({
    dynamicsProviders: [{
      modelsFor: (env) => (env === 'MountainCar-v0' ? ['fake-mc'] : []),
      create: (req, def) => (req.model === 'fake-mc' && def.id === 'MountainCar-v0' ? fakeMountainCarEnsemble() : undefined),
    }],
  });
  small = await quietServer({ limits: { maxRolloutSteps: 1000, maxFrameBytes: 64 * 1024 } });
  c = await RawClient.connect(server.wsUrl);
  s = await RawClient.connect(small.wsUrl);
});
afterAll(async () => {
  await c.close();
  await s.close();
  await server.close();
  await small.close();
});

/** Bytes of a wire tensor, for bit-for-bit comparison. */
function bytesOf(t: unknown): number[] {
  return Array.from((t as { data: Uint8Array }).data);
}

/** Deterministic random action sequences of a space. */
function sequences(def: EnvDefinition, B: number, H: number, seed: number): Float64Array {
  const rng = Rng.fromSeed(seed);
  const { low, high, integral } = def.actionSpace;
  return Float64Array.from({ length: B * H * def.actionSpace.size }, (_, i) => {
    const k = i % def.actionSpace.size;
    return integral ? rng.integer(low[k], high[k]) : rng.uniform(low[k], high[k]);
  });
}

async function madeAt(client: RawClient, envId: string, state: number[] | number[][], fields: Msg = {}): Promise<number> {
  const m = await client.ok({ op: 'make', env_id: envId, ...fields });
  await client.ok({ op: 'reset', session: m.session, options: { state } });
  return m.session as number;
}

describe('rollout over the protocol', () => {
  it('equals the in-process rollout bit for bit (discrete actions from the current state)', async () => {
    const session = await madeAt(c, 'MountainCar-v0', [-0.52, 0.004], { contexts: { gravity: 0.0015 } });
    const B = 64;
    const H = 40;
    const actions = sequences(mc, B, H, 1);
    const r = await c.ok({ op: 'rollout', session, actions: tensor('i64', [B, H], Array.from(actions)) });
    const local = rollout({ definition: mc, dynamics: mc.trueDynamics(), batch: B, horizon: H, start: Float64Array.of(-0.52, 0.004), actions, contexts: Float64Array.of(0.0015) });
    expect(r.obs.shape).toEqual([B, H, 2]);
    expect(r.obs.dtype).toBe('f32');
    expect(bytesOf(r.obs)).toEqual(bytesOf(encodeTensor('f32', [B, H, 2], local.observations!)));
    expect(bytesOf(r.reward)).toEqual(bytesOf(encodeTensor('f64', [B, H], local.rewards)));
    expect(r.terminated.dtype).toBe('bool');
    expect(bytesOf(r.terminated)).toEqual(Array.from(local.terminated));
    expect(r.members).toBe(1);
    expect(r.transitions).toBe(B * H);
  });

  it('equals the in-process rollout for continuous actions, given starts per sequence and a context override', async () => {
    const session = await madeAt(c, 'MountainCarContinuous-v0', [[-0.5, 0], [-0.4, 0.01], [-0.6, 0]], { num_envs: 3 });
    const B = 2;
    const H = 25;
    const actions = Float64Array.from(sequences(mcc, B, H, 2), (x) => Math.fround(x));
    const starts = [[-0.3, 0.02], [0.1, -0.01]];
    const r = await c.ok({
      op: 'rollout', session, env: 2, start: starts, contexts: { power: 0.002 },
      actions: encodeTensor('f32', [B, H, 1], actions),
    });
    const local = rollout({
      definition: mcc, dynamics: mcc.trueDynamics(), batch: B, horizon: H, start: Float64Array.from(starts.flat()), actions,
      contexts: Float64Array.of(0.0025, 0.002),
    });
    expect(r.obs.shape).toEqual([B, H, 2]);
    expect(bytesOf(r.obs)).toEqual(bytesOf(encodeTensor('f32', [B, H, 2], local.observations!)));
    expect(bytesOf(r.reward)).toEqual(bytesOf(encodeTensor('f64', [B, H], local.rewards)));
  });

  it('leaves the session exactly as it was', async () => {
    const session = await madeAt(c, 'MountainCar-v0', [-0.5, 0], { seed: 3 });
    const before = await c.ok({ op: 'get_state', session });
    await c.ok({ op: 'rollout', session, actions: [[2, 2, 2, 2], [0, 0, 0, 0]], contexts: { gravity: 0.0001 } });
    const after = await c.ok({ op: 'get_state', session });
    expect(Array.from(after.state as Uint8Array)).toEqual(Array.from(before.state as Uint8Array));
    expect((await c.ok({ op: 'get_context', session })).contexts).toEqual([{ gravity: 0.0025 }]);
  });

  it('per_member on an ensemble: one trajectory per member with a leading member axis, as in process', async () => {
    const m = await c.ok({ op: 'make', env_id: 'MountainCar-v0', dynamics: { model: 'fake-mc' } });
    await c.ok({ op: 'reset', session: m.session, options: { state: [-0.45, 0.01] } });
    const B = 5;
    const H = 12;
    const actions = sequences(mc, B, H, 3);
    const r = await c.ok({ op: 'rollout', session: m.session, actions: tensor('u8', [B, H], Array.from(actions)), per_member: true, include_obs: false });
    const local = rollout({ definition: mc, dynamics: fakeMountainCarEnsemble(), batch: B, horizon: H, start: Float64Array.of(-0.45, 0.01), actions, contexts: Float64Array.of(0.0025), perMember: true });
    expect(r.members).toBe(2);
    expect(r.obs).toBeUndefined();
    expect(r.reward.shape).toEqual([2, B, H]);
    expect(bytesOf(r.reward)).toEqual(bytesOf(encodeTensor('f64', [2 * B * H], local.rewards)));
    const withObs = await c.ok({ op: 'rollout', session: m.session, actions: tensor('u8', [B, H], Array.from(actions)), per_member: true });
    expect(withObs.obs.shape).toEqual([2, B, H, 2]);
    expect(bytesOf(withObs.obs)).toEqual(bytesOf(encodeTensor('f32', [2 * B * H * 2], local.observations!)));
    // The members really differ, so the member axis carries information.
    const obs = numbers(withObs.obs);
    expect(obs.slice(0, B * H * 2)).not.toEqual(obs.slice(B * H * 2));
    const mean = await c.ok({ op: 'rollout', session: m.session, actions: tensor('u8', [B, H], Array.from(actions)) });
    expect(mean.reward.shape).toEqual([B, H]);
  });

  it('refuses malformed requests with the documented codes', async () => {
    const session = await madeAt(c, 'MountainCar-v0', [-0.5, 0]);
    const fresh = (await c.ok({ op: 'make', env_id: 'MountainCar-v0' })).session;
    const err = async (fields: Msg) => {
      const r = await c.request({ op: 'rollout', ...fields });
      expect(r.ok).toBe(false);
      return r.error;
    };
    expect((await err({ session, actions: tensor('i64', [2], [2, 2]) })).code).toBe('bad_shape');
    expect((await err({ session, actions: [2, 2] })).details.path).toBe('actions');
    expect((await err({ session, actions: tensor('f32', [1, 2], [2, 2]) })).code).toBe('bad_dtype');
    const oob = await err({ session, actions: [[2, 2], [1, 3]] });
    expect(oob.code).toBe('out_of_bounds');
    expect(oob.details).toMatchObject({ sequence: 1, step: 1, value: 3 });
    expect((await err({ session, env: 1, actions: [[2]] })).details.path).toBe('env');
    expect((await err({ session: fresh, actions: [[2]] })).code).toBe('not_reset');
    expect((await err({ session, actions: [[2]], start: [0.7, 0] })).code).toBe('out_of_bounds');
    expect((await err({ session, actions: [[2]], contexts: { g: 1 } })).code).toBe('unknown_context_key');
    expect((await err({ session, actions: [[2]], horizon: 3 })).code).toBe('unknown_field');
  });
});

describe('limits', () => {
  it('refuses a rollout beyond max_rollout_steps with batch_too_large naming the limit and the split, and the session still steps', async () => {
    const session = await madeAt(s, 'MountainCar-v0', [-0.5, 0]);
    const before = await s.ok({ op: 'get_state', session });
    const r = await s.request({ op: 'rollout', session, actions: tensor('i64', [11, 100], new Array(1100).fill(1)) });
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('batch_too_large');
    expect(r.error.details).toMatchObject({ steps: 1100, limit: 1000, max_sequences: 10 });
    expect(r.error.message).toContain('max_rollout_steps 1000');
    expect(r.error.message).toContain('at most 10 sequences');
    const after = await s.ok({ op: 'get_state', session });
    expect(Array.from(after.state as Uint8Array)).toEqual(Array.from(before.state as Uint8Array));
    const st = await s.ok({ op: 'step', session, action: 2 });
    expect(st.info.episode_step).toBe(1);
    // Exactly at the limit is fine.
    expect((await s.ok({ op: 'rollout', session, actions: tensor('i64', [10, 100], new Array(1000).fill(1)), include_obs: false })).transitions).toBe(1000);
  });

  it('refuses observations that would not fit a frame, and serves the same rollout without them', async () => {
    // 1000 transitions of 2 f32 observations are 8000 bytes: within 64 KiB, beyond 4 KiB.
    const session = await madeAt(s, 'MountainCarContinuous-v0', [-0.5, 0]);
    const ok = await s.ok({ op: 'rollout', session, actions: encodeTensor('f32', [10, 100, 1], new Float32Array(1000)) });
    expect(ok.obs.shape).toEqual([10, 100, 2]);
    const tiny = await quietServer({ limits: { maxFrameBytes: 4096 } });
    const t = await RawClient.connect(tiny.wsUrl);
    try {
      const sess = await madeAt(t, 'MountainCarContinuous-v0', [-0.5, 0]);
      const r = await t.request({ op: 'rollout', session: sess, actions: encodeTensor('f32', [10, 100, 1], new Float32Array(1000)) });
      expect(r.error.code).toBe('batch_too_large');
      expect(r.error.message).toContain('include_obs false');
      const without = await t.ok({ op: 'rollout', session: sess, actions: encodeTensor('f32', [10, 100, 1], new Float32Array(1000)), include_obs: false });
      expect(without.reward.shape).toEqual([10, 100]);
    } finally {
      await t.close();
      await tiny.close();
    }
  });

  it('refuses a plan beyond max_rollout_steps, and the session still steps', async () => {
    const session = await madeAt(s, 'MountainCar-v0', [-0.5, 0]);
    const r = await s.request({ op: 'plan', session, seed: 1 });
    expect(r.error.code).toBe('batch_too_large');
    expect(r.error.details).toMatchObject({ steps: 50_000, limit: 1000, max_sequences: 20 });
    expect(r.error.message).toContain('settings.candidates');
    expect((await s.ok({ op: 'step', session, action: 0 })).info.episode_step).toBe(1);
    const d = await s.ok({ op: 'plan', session, seed: 1, settings: { candidates: 20, horizon: 50 } });
    expect(d.transitions).toBe(1000);
  });
});

describe('plan over the protocol', () => {
  it('random shooting equals the in-process planner with the same seed, warm start included', async () => {
    const session = await madeAt(c, 'MountainCar-v0', [-0.5, 0]);
    const settings = { candidates: 200, horizon: 30, position_bonus: { weight: 0.01 } };
    const local = new RandomShooting({ definition: mc, dynamics: mc.trueDynamics() }, { candidates: 200, horizon: 30, positionBonus: { weight: 0.01, index: 0 } }, 17);
    let state: Float64Array = Float64Array.of(-0.5, 0);
    for (let k = 0; k < 4; k++) {
      const d = await c.ok({ op: 'plan', session, settings, ...(k === 0 ? { seed: 17 } : {}) });
      const l = local.plan(state, Float64Array.of(0.0025));
      expect(d.planner).toBe('random_shooting');
      expect(d.warm_started).toBe(k > 0);
      expect(d.action.dtype).toBe('i64');
      expect(d.action.shape).toEqual([]);
      expect(numbers(d.action)).toEqual(Array.from(l.action));
      expect(numbers(d.sequence)).toEqual(Array.from(l.sequence));
      expect(d.predicted_return).toBe(l.predictedReturn);
      expect(d.score).toBe(l.score);
      await c.ok({ op: 'step', session, action: numbers(d.action)[0] });
      // The local planner follows the session's float64 state (the f32 observations would differ).
      state = nextState(state, l.action[0]);
    }
  });

  it('CEM equals the in-process planner with the same seed', async () => {
    const session = await madeAt(c, 'MountainCarContinuous-v0', [-0.5, 0]);
    const settings = { candidates: 50, horizon: 10, elites: 10 };
    const local = new Cem({ definition: mcc, dynamics: mcc.trueDynamics() }, { candidates: 50, horizon: 10, elites: 10 }, 4);
    const d = await c.ok({ op: 'plan', session, planner: 'cem', settings, seed: 4 });
    const l = local.plan(Float64Array.of(-0.5, 0), Float64Array.of(0.0025, 0.0015));
    expect(d.action.dtype).toBe('f32');
    expect(d.action.shape).toEqual([1]);
    expect(bytesOf(d.action)).toEqual(bytesOf(encodeTensor('f32', [1], l.action)));
    expect(d.predicted_return).toBe(l.predictedReturn);
    expect(decodeTensor(d.sequence).shape).toEqual([10, 1]);
    expect(d.transitions).toBe(50 * 10 * 6);
  });

  it('uses the warm start only after exactly one step, and a refused plan keeps the planner as it was', async () => {
    const session = await madeAt(c, 'MountainCar-v0', [-0.5, 0]);
    const settings = { candidates: 30, horizon: 10 };
    const first = await c.ok({ op: 'plan', session, settings, seed: 2 });
    expect(first.warm_started).toBe(false);
    const again = await c.ok({ op: 'plan', session, settings });
    expect(again.warm_started).toBe(false);
    await c.ok({ op: 'step', session, action: numbers(again.action)[0] });
    const bad = await c.request({ op: 'plan', session, settings: { ...settings, elites: 3 } });
    expect(bad.error.code).toBe('invalid_argument');
    expect(bad.error.details.path).toBe('settings.elites');
    const unsupported = await c.request({ op: 'plan', session, planner: 'cem' });
    expect(unsupported.error.code).toBe('unsupported');
    // The same sequence of decisions in process: plan, plan (cold, no step between), step, plan (warm).
    const local = new RandomShooting({ definition: mc, dynamics: mc.trueDynamics() }, { candidates: 30, horizon: 10 }, 2);
    local.plan(Float64Array.of(-0.5, 0), Float64Array.of(0.0025));
    const l2 = local.plan(Float64Array.of(-0.5, 0), Float64Array.of(0.0025), false);
    expect(numbers(again.sequence)).toEqual(Array.from(l2.sequence));
    const next = nextState(Float64Array.of(-0.5, 0), l2.action[0]);
    const warm = await c.ok({ op: 'plan', session, settings });
    expect(warm.warm_started).toBe(true);
    expect(numbers(warm.sequence)).toEqual(Array.from(local.plan(next, Float64Array.of(0.0025)).sequence));
  });

  it('plan + step reaches the goal of the true MountainCar-v0 within the time limit', async () => {
    const m = await c.ok({ op: 'make', env_id: 'MountainCar-v0' });
    await c.ok({ op: 'reset', session: m.session, seed: 5 });
    let terminated = false;
    let truncated = false;
    let first = true;
    while (!terminated && !truncated) {
      const d = await c.ok({ op: 'plan', session: m.session, settings: { position_bonus: { weight: 0.01 } }, ...(first ? { seed: 8 } : {}) });
      first = false;
      const st = await c.ok({ op: 'step', session: m.session, action: d.action });
      terminated = st.terminated;
      truncated = st.truncated;
    }
    expect(terminated).toBe(true);
  });
});

/** MountainCar's next float64 state at the default gravity (REFERENCE.md 1.1), to follow a session in process. */
function nextState(state: Float64Array, action: number): Float64Array {
  const x = state[0];
  let v = Math.min(Math.max(state[1] + (action - 1) * 0.001 - 0.0025 * Math.cos(3 * x), -0.07), 0.07);
  const x2 = Math.min(Math.max(x + v, -1.2), 0.6);
  if (x2 === -1.2 && v < 0) v = 0;
  return Float64Array.of(x2, v);
}
