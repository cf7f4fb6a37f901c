/**
 * Every environment the registry holds, served end to end: make (single and vector), reset, a step with an action in
 * the middle of the action space, render, and a snapshot round trip. Whatever envs are registered take part.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../servers/app.js';
import { numbers, quietServer, tensor } from './helpers.js';
import { RawClient, type Msg } from './raw-client.js';

let server: RunningServer;
let c: RawClient;
let envs: Msg[];

beforeAll(async () => {
  server = await quietServer();
  c = await RawClient.connect(server.wsUrl);
  envs = (await c.ok({ op: 'list_envs' })).envs;
});
afterAll(async () => {
  await c.close();
  await server.close();
});

/** A valid action for one env: the first value of discrete spaces, the midpoint (0 when unbounded) of boxes. */
function middleAction(space: Msg): { dtype: 'i64' | 'f32' | 'f64' | 'u8' | 'i32'; shape: number[]; values: number[] } {
  switch (space.type) {
    case 'discrete':
      return { dtype: 'i64', shape: [], values: [space.start] };
    case 'multi_discrete':
      return { dtype: 'i64', shape: space.shape, values: numbers(space.start) };
    case 'multi_binary':
      return { dtype: 'u8', shape: space.shape, values: new Array(space.shape.reduce((a: number, b: number) => a * b, 1)).fill(0) };
    case 'box': {
      const low = numbers(space.low);
      const high = numbers(space.high);
      const values = low.map((l, i) => (Number.isFinite(l) && Number.isFinite(high[i]) ? (l + high[i]) / 2 : Number.isFinite(l) ? l : Number.isFinite(high[i]) ? high[i] : 0));
      return { dtype: space.dtype, shape: space.shape, values };
    }
    default:
      throw new Error(`no flat action space: ${space.type}`);
  }
}

describe('every registered environment', () => {
  it('includes MountainCar-v0', () => {
    expect(envs.map((e) => e.id)).toContain('MountainCar-v0');
  });

  it('makes, resets, steps, renders and snapshots each env over the wire', async () => {
    for (const env of envs) {
      const single = await c.ok({ op: 'make', env_id: env.id, seed: 11 });
      const obsShape = env.observation_space.shape as number[];
      const reset = await c.ok({ op: 'reset', session: single.session });
      expect(reset.obs.dtype).toBe(env.observation_space.dtype);
      expect(reset.obs.shape).toEqual(obsShape);
      const a = middleAction(env.action_space);
      const step = await c.ok({ op: 'step', session: single.session, action: tensor(a.dtype, a.shape, a.values) });
      expect(step.obs.shape).toEqual(obsShape);
      expect(typeof step.reward).toBe('number');
      expect(Number.isFinite(step.reward)).toBe(true);
      expect(step.reward).toBeGreaterThanOrEqual(env.reward_range[0]);
      expect(step.reward).toBeLessThanOrEqual(env.reward_range[1]);
      expect(typeof step.terminated).toBe('boolean');
      expect(step.truncated).toBe(false);
      const svg = await c.ok({ op: 'render', session: single.session });
      expect(svg.data).toContain('<svg');
      const snap = await c.ok({ op: 'get_state', session: single.session });
      const next1 = await c.ok({ op: 'step', session: single.session, action: tensor(a.dtype, a.shape, a.values) });
      await c.ok({ op: 'set_state', session: single.session, state: snap.state });
      const next2 = await c.ok({ op: 'step', session: single.session, action: tensor(a.dtype, a.shape, a.values) });
      expect(numbers(next2.obs)).toEqual(numbers(next1.obs));
      await c.ok({ op: 'close', session: single.session });

      const vector = await c.ok({ op: 'make', env_id: env.id, num_envs: 3 });
      const vr = await c.ok({ op: 'reset', session: vector.session, seed: 5 });
      expect(vr.obs.shape).toEqual([3, ...obsShape]);
      const vs = await c.ok({ op: 'step', session: vector.session, action: tensor(a.dtype, a.shape, a.values) });
      expect(vs.obs.shape).toEqual([3, ...obsShape]);
      expect(vs.reward.shape).toEqual([3]);
      expect(numbers(vs.terminated).length).toBe(3);
      expect(numbers(vs.info.episode_step)).toEqual([1, 1, 1]);
      await c.ok({ op: 'close', session: vector.session });
    }
  });
});
