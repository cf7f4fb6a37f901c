/**
 * The TypeScript client's rollout, plan and MpcPlanner against a real server in this process: rollout values from
 * MountainCar's published formula (REFERENCE.md 1.1), server decisions equal to the reference planner with the same
 * seed, local planning on top of rollout solving MountainCar and a continuous problem near its goal, and per-member
 * averaging checked against separate per-member rollouts of a stand-in ensemble.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDefinition } from '../../envs/registry.js';
import type { Dynamics, TransitionBatch } from '../../src/core/definition.js';
import { meanStepFromMembers } from '../../src/planning/ensemble.js';
import { RandomShooting } from '../../src/planning/random-shooting.js';
import { startServer, type RunningServer } from '../../servers/app.js';
import { MpcPlanner, connect, type Client, type Env } from '../../clients/ts/index.js';

/** REFERENCE.md 1.1 at gravity g. */
function mcStep(x: number, v: number, a: number, g: number): [number, number] {
  let v2 = Math.min(Math.max(v + (a - 1) * 0.001 - g * Math.cos(3 * x), -0.07), 0.07);
  const x2 = Math.min(Math.max(x + v2, -1.2), 0.6);
  if (x2 === -1.2 && v2 < 0) v2 = 0;
  return [x2, v2];
}

/** Two MountainCar members pulling with gravity x 1 and x 1.5; the mean step averages them. */
function twoMembers(): Dynamics {
  const stepMembers = (b: TransitionBatch) => {
    const k = b.n / 2;
    for (let r = 0; r < b.n; r++) {
      const [x, v] = mcStep(b.states[2 * r], b.states[2 * r + 1], b.actions[r], b.contexts[r] * (r < k ? 1 : 1.5));
      b.next[2 * r] = x;
      b.next[2 * r + 1] = v;
    }
  };
  return { kind: 'two', info: {}, members: 2, stepMembers, step: (b) => meanStepFromMembers(stepMembers, 2, b, 2) };
}

let server: RunningServer;
let client: Client;

beforeAll(async () => {
  server = await startServer({
    port: 0, logLevel: 'silent',
    dynamicsProviders: [{ modelsFor: () => ['two'], create: (req, def) => (req.model === 'two' && def.id === 'MountainCar-v0' ? twoMembers() : undefined) }],
  });
  client = await connect(server.wsUrl, { timeoutMs: 60_000 });
});
afterAll(async () => {
  await client?.close();
  await server?.close();
});

describe('Env.rollout', () => {
  it('returns the formula\'s observations, rewards and terminations for each sequence', async () => {
    const env = await client.make('MountainCar-v0', { contexts: { gravity: 0.001 } });
    await env.reset({ options: { state: [-0.5, 0] } });
    const seqs = [[2, 2, 2, 2], [0, 0, 1, 2]];
    const r = await env.rollout({ actions: seqs.flat(), batch: 2, horizon: 4 });
    expect(r.members).toBe(1);
    expect(r.transitions).toBe(8);
    seqs.forEach((seq, b) => {
      let [x, v] = [-0.5, 0];
      seq.forEach((a, t) => {
        [x, v] = mcStep(x, v, a, 0.001);
        const k = b * 4 + t;
        expect([r.obs![2 * k], r.obs![2 * k + 1]]).toEqual([Math.fround(x), Math.fround(v)]);
        expect(r.reward[k]).toBe(-1);
        expect(r.terminated[k]).toBe(0);
      });
    });
    const given = await env.rollout({ actions: [2], batch: 1, horizon: 1, start: [0.3, 0.01], includeObs: false });
    expect(given.obs).toBeUndefined();
    expect(given.reward.length).toBe(1);
  });

  it('rejects beyond the server limit (client.limits) with batch_too_large, and the env still steps', async () => {
    const small = await startServer({ port: 0, logLevel: 'silent', limits: { maxRolloutSteps: 100 } });
    const c = await connect(small.wsUrl);
    try {
      const limits = (await c.hello()).limits;
      expect(c.limits?.max_rollout_steps).toBe(100);
      expect(limits.max_rollout_steps).toBe(100);
      const env = await c.make('MountainCar-v0');
      await env.reset();
      const err = await env.rollout({ actions: new Int32Array(101).fill(1), batch: 101, horizon: 1 }).then(() => null, (e: unknown) => e as { code: string; details: Record<string, unknown> });
      expect(err?.code).toBe('batch_too_large');
      expect(err?.details.max_sequences).toBe(100);
      expect((await env.step(1)).info.episode_step).toBe(1);
    } finally {
      await c.close();
      await small.close();
    }
  });
});

describe('Env.plan and MpcPlanner on the server', () => {
  it('a server decision equals the reference planner with the same seed', async () => {
    const env = await client.make('MountainCar-v0');
    await env.reset({ options: { state: [-0.45, 0.002] } });
    const d = await env.plan({ settings: { candidates: 100, horizon: 20, positionBonus: { weight: 0.01 } }, seed: 6 });
    const mc = makeDefinition('MountainCar-v0');
    const local = new RandomShooting({ definition: mc, dynamics: mc.trueDynamics() }, { candidates: 100, horizon: 20, positionBonus: { weight: 0.01, index: 0 } }, 6)
      .plan(Float64Array.of(-0.45, 0.002), Float64Array.of(0.0025));
    expect(d.action).toBe(local.action[0]);
    expect(Array.from(d.sequence)).toEqual(Array.from(local.sequence));
    expect(d.predictedReturn).toBe(local.predictedReturn);
    expect(d.planner).toBe('random_shooting');
  });

  it('plan + step reaches the goal of MountainCar-v0', async () => {
    const env = await client.make('MountainCar-v0');
    await env.reset({ seed: 2 });
    const mpc = new MpcPlanner(env, { settings: { positionBonus: { weight: 0.01 } }, seed: 3 });
    expect(await runEpisode(env, mpc)).toBe(true);
  });
});

/** Plans and steps until the episode ends; true when it ended by termination (the goal). */
async function runEpisode(env: Env, mpc: MpcPlanner, first?: Float32Array): Promise<boolean> {
  let obs: Float32Array | undefined = first;
  for (;;) {
    const d = await mpc.act(obs);
    const st = await env.step(d.action);
    obs = st.obs;
    if (st.terminated) return true;
    if (st.truncated) return false;
  }
}

describe('MpcPlanner planning locally on top of rollout', () => {
  it('random shooting reaches the goal of MountainCar-v0 (one rollout per decision)', async () => {
    const env = await client.make('MountainCar-v0');
    const { obs } = await env.reset({ seed: 2 });
    const mpc = new MpcPlanner(env, { where: 'local', settings: { positionBonus: { weight: 0.01 } }, seed: 3 });
    expect(await runEpisode(env, mpc, obs)).toBe(true);
  });

  it('averages the members\' own returns of the chosen sequence', async () => {
    const env = await client.make('MountainCar-v0', { dynamics: { model: 'two' } });
    await env.reset({ options: { state: [-0.5, 0.01] } });
    const mpc = new MpcPlanner(env, { where: 'local', settings: { candidates: 50, horizon: 30 }, seed: 1 });
    const d = await mpc.act();
    const check = await env.rollout({ actions: d.sequence, batch: 1, horizon: 30, perMember: true, includeObs: false });
    expect(check.members).toBe(2);
    const member = (m: number) => check.reward.slice(m * 30, (m + 1) * 30).reduce((a, b) => a + b, 0);
    expect(d.predictedReturn).toBeCloseTo((member(0) + member(1)) / 2, 12);
    expect(d.transitions).toBe(50 * 30 * 2);
  });

  it('CEM near the goal of MountainCarContinuous-v0 plans to reach it (return near +100) and is seeded', async () => {
    const env = await client.make('MountainCarContinuous-v0');
    await env.reset({ options: { state: [0.3, 0.04] } });
    const settings = { candidates: 60, horizon: 10, iterations: 3, elites: 10 };
    const a = await new MpcPlanner(env, { where: 'local', settings, seed: 9 }).act();
    const b = await new MpcPlanner(env, { where: 'local', settings, seed: 9 }).act();
    expect(a.planner).toBe('cem');
    expect(Array.from(a.sequence)).toEqual(Array.from(b.sequence));
    // Reaching x >= 0.45 pays 100 minus a small action cost: only a plan that reaches the goal scores above 90.
    expect(a.predictedReturn).toBeGreaterThan(90);
    const act = a.action as Float32Array;
    expect(act.length).toBe(1);
    expect(Math.abs(act[0])).toBeLessThanOrEqual(1);
    expect(a.transitions).toBe(60 * 10 * 3);
  });
});
