/**
 * The client against a real server started in this process (port 0): every listed environment end to end, Gymnasium's
 * seeding rules through the wire, pipelining, errors that leave sessions untouched, snapshots, contexts and render.
 * Expected values come from the environments' published formulas (REFERENCE.md 1.1) and from replaying the same
 * seeds, never from the implementation under test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../servers/app.js';
import {
  BoxSpace, DiscreteSpace, FlatSpace, TwinGymClientError, VectorEnv as VectorEnvClass, connect, type Client, type Env, type EnvSpec, type Space,
  type VectorEnv,
} from '../../clients/ts/index.js';

let server: RunningServer;
let client: Client;
let specs: EnvSpec[];

beforeAll(async () => {
  server = await startServer({ port: 0, logLevel: 'silent' });
  client = await connect(server.wsUrl, { timeoutMs: 30_000 });
  specs = await client.listEnvs();
});
afterAll(async () => {
  await client?.close();
  await server?.close();
});

const rejection = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as TwinGymClientError);

/** A single env action sampled from the space, as the client takes it (number for Discrete, array for Box). */
function sampleAction(space: Space): number | Float32Array {
  const a = space.sample();
  if (typeof a === 'number' || a instanceof Float32Array) return a;
  throw new Error('unexpected action sample type');
}

/** numEnvs actions for a vector env: Int32Array for discrete spaces, Float32Array rows for boxes. */
function sampleBatch(single: Space, n: number): Int32Array | Float32Array {
  if (single instanceof DiscreteSpace) return Int32Array.from({ length: n }, () => single.sample() as number);
  const s = single as BoxSpace;
  const out = new Float32Array(n * s.size);
  for (let i = 0; i < n; i++) out.set(s.sample() as Float32Array, i * s.size);
  return out;
}

describe('handshake and listing', () => {
  it('hello reports protocol 1 and the limits; list_envs lists the four classic environments', async () => {
    const h = await client.hello();
    expect(h.protocol.split('.')[0]).toBe('1');
    expect(h.capabilities).toEqual(expect.arrayContaining(['make', 'reset', 'step', 'get_state', 'set_state', 'render']));
    expect(client.limits?.max_envs_per_session).toBe(4096);
    expect(specs.map((s) => s.id)).toEqual(expect.arrayContaining(['MountainCar-v0', 'CartPole-v0', 'MountainCarContinuous-v0', 'Navigation2D-v0']));
  });
});

describe('every listed environment, single and vector, to the end of an episode', () => {
  it('single: obs of the declared dtype and shape, float rewards, bool flags, episode_step counts, ends by termination or truncation', async () => {
    for (const spec of specs) {
      const env = await client.make(spec.id);
      const obsSpace = env.observationSpace as FlatSpace;
      expect(env.vectorized).toBe(false);
      env.actionSpace.seed(1);
      const r = await env.reset({ seed: 7 });
      expect(r.obs).toBeInstanceOf(Float32Array);
      expect(r.obs.length).toBe(obsSpace.size);
      expect(r.info.episode_step).toBe(0);
      let steps = 0;
      let last;
      do {
        last = await env.step(sampleAction(env.actionSpace));
        steps++;
        expect(last.obs.length).toBe(obsSpace.size);
        expect(Number.isFinite(last.reward)).toBe(true);
        expect(typeof last.terminated).toBe('boolean');
        expect(typeof last.truncated).toBe('boolean');
        expect(last.info.episode_step).toBe(steps);
        expect(last.reward).toBeGreaterThanOrEqual(spec.reward_range[0]);
        expect(last.reward).toBeLessThanOrEqual(spec.reward_range[1]);
      } while (!last.terminated && !last.truncated && steps <= spec.max_episode_steps);
      // Truncation happens exactly at the time limit, never before, and only if the episode did not terminate.
      if (last.truncated) expect(steps).toBe(spec.max_episode_steps);
      else expect(steps).toBeLessThan(spec.max_episode_steps);
      const after = await rejection(env.step(sampleAction(env.actionSpace)));
      expect(after.code).toBe('needs_reset');
      const again = await env.reset();
      expect(again.info.episode_step).toBe(0);
      await env.step(sampleAction(env.actionSpace));
      expect(await env.close()).toBe(true);
    }
  });

  it('vector (next_step autoreset): each env ends at least once, and the step after an end resets it with reward 0', async () => {
    for (const spec of specs) {
      const n = 3;
      // Short time limits keep the random-action episodes of the slow-ending envs brief.
      const venv = await client.makeVec(spec.id, { numEnvs: n, seed: 100, maxEpisodeSteps: 60 });
      expect(venv.autoreset).toBe('next_step');
      expect((venv.observationSpace as FlatSpace).shape).toEqual([n, ...(venv.singleObservationSpace as FlatSpace).shape]);
      venv.singleActionSpace.seed(2);
      await venv.reset();
      const ended = new Uint8Array(n);
      const endedBefore = new Uint8Array(n);
      let prevSteps: Int32Array = new Int32Array(n);
      for (let t = 0; t < 200 && ended.some((e) => e < 2); t++) {
        const s = await venv.step(sampleBatch(venv.singleActionSpace, n));
        expect(s.reward).toBeInstanceOf(Float64Array);
        expect(s.terminated).toBeInstanceOf(Uint8Array);
        for (let i = 0; i < n; i++) {
          if (endedBefore[i]) {
            expect(s.reward[i]).toBe(0);
            expect(s.terminated[i] + s.truncated[i]).toBe(0);
            expect(s.info.episode_step[i]).toBe(0);
            ended[i] = 2;
          } else {
            expect(s.info.episode_step[i]).toBe(prevSteps[i] + 1);
          }
          endedBefore[i] = s.terminated[i] || s.truncated[i];
          if (s.truncated[i]) expect(s.info.episode_step[i]).toBe(60);
        }
        prevSteps = s.info.episode_step;
      }
      expect(Array.from(ended)).toEqual([2, 2, 2]);
      await venv.close();
    }
  });

  it('vector same_step autoreset returns final_obs and final_mask beside the new first observation', async () => {
    const venv = await client.makeVec('CartPole-v0', { numEnvs: 4, seed: 3, autoreset: 'same_step' });
    await venv.reset();
    let seen = false;
    for (let t = 0; t < 300 && !seen; t++) {
      const s = await venv.step(new Int32Array([0, 0, 0, 0]));
      expect(s.info.final_mask).toBeInstanceOf(Uint8Array);
      for (let i = 0; i < 4; i++) {
        expect(s.info.final_mask![i]).toBe(s.terminated[i] | s.truncated[i]);
        if (!s.info.final_mask![i]) continue;
        seen = true;
        // Pushing left until the pole falls: the final observation is past a limit; the new first one is near 0.
        const fo = s.info.final_obs!.subarray(4 * i, 4 * i + 4);
        expect(Math.abs(fo[0]) > 2.4 || Math.abs(fo[2]) > 0.20943951).toBe(true);
        for (let k = 0; k < 4; k++) expect(Math.abs(s.obs[4 * i + k])).toBeLessThanOrEqual(0.05);
        expect(s.info.episode_step[i]).toBe(0);
      }
    }
    expect(seen).toBe(true);
    await venv.close();
  });
});

describe('make variants', () => {
  it('makeVec with one env is still a vector env; make with vectorized: true returns a VectorEnv', async () => {
    const one = await client.makeVec('MountainCar-v0', { numEnvs: 1, seed: 4 });
    expect(one.vectorized).toBe(true);
    expect((one.observationSpace as FlatSpace).shape).toEqual([1, 2]);
    await one.reset();
    const s = await one.step([2]);
    expect(s.reward).toBeInstanceOf(Float64Array);
    expect(Array.from(s.reward)).toEqual([-1]);
    expect(Array.from(s.info.episode_step)).toEqual([1]);
    const two = await client.make('CartPole-v0', { vectorized: true, numEnvs: 2 });
    expect(two).toBeInstanceOf(VectorEnvClass);
    expect(two.numEnvs).toBe(2);
    await one.close();
    await two.close();
  });
});

describe('seeding through the wire (check_env)', () => {
  it('reset(seed) / reset() / reset(seed) / reset() repeat; another seed changes the stream', async () => {
    const env = await client.make('CartPole-v0');
    const o1 = Array.from((await env.reset({ seed: 123 })).obs);
    const o2 = Array.from((await env.reset()).obs);
    const o3 = Array.from((await env.reset({ seed: 123 })).obs);
    const o4 = Array.from((await env.reset()).obs);
    expect(o3).toEqual(o1);
    expect(o4).toEqual(o2);
    expect(o2).not.toEqual(o1);
    expect(Array.from((await env.reset({ seed: 124 })).obs)).not.toEqual(o1);
    await env.close();
  });

  it('two identically seeded runs give identical results, and truncated is not set after one step', async () => {
    const run = async () => {
      const env = await client.make('CartPole-v0', { seed: 9 });
      const out: number[] = Array.from((await env.reset()).obs);
      for (let t = 0; t < 15; t++) {
        const s = await env.step(t % 3 === 0 ? 0 : 1);
        if (t === 0) expect(s.truncated).toBe(false);
        out.push(...s.obs, s.reward, Number(s.terminated), Number(s.truncated));
        if (s.terminated) break;
      }
      await env.close();
      return out;
    };
    expect(await run()).toEqual(await run());
  });

  it('vector env i is seeded with seed + i, and an explicit list seeds each env', async () => {
    const venv = await client.makeVec('MountainCar-v0', { numEnvs: 3 });
    const r = await venv.reset({ seed: 42 });
    const listed = await venv.reset({ seed: [44, 42, 43] });
    const single = await client.make('MountainCar-v0');
    for (let i = 0; i < 3; i++) {
      const o = (await single.reset({ seed: 42 + i })).obs;
      expect(Array.from(r.obs.subarray(2 * i, 2 * i + 2))).toEqual(Array.from(o));
    }
    expect(Array.from(listed.obs)).toEqual([...r.obs.subarray(4, 6), ...r.obs.subarray(0, 2), ...r.obs.subarray(2, 4)]);
    // MountainCar's first observation is x ~ U(-0.6, -0.4), v = 0.
    for (let i = 0; i < 3; i++) {
      expect(r.obs[2 * i]).toBeGreaterThanOrEqual(Math.fround(-0.6));
      expect(r.obs[2 * i]).toBeLessThanOrEqual(Math.fround(-0.4));
      expect(r.obs[2 * i + 1]).toBe(0);
    }
    await venv.close();
    await single.close();
  });

  it('reset_mask resets only the selected envs and returns every observation', async () => {
    const venv = await client.makeVec('CartPole-v0', { numEnvs: 3, seed: 5 });
    await venv.reset();
    const s = await venv.step(new Int32Array([1, 1, 1]));
    const r = await venv.reset({ seed: 77, options: { resetMask: [false, true, false] } });
    expect(Array.from(r.info.episode_step)).toEqual([1, 0, 1]);
    expect(Array.from(r.obs.subarray(0, 4))).toEqual(Array.from(s.obs.subarray(0, 4)));
    expect(Array.from(r.obs.subarray(8, 12))).toEqual(Array.from(s.obs.subarray(8, 12)));
    const single = await client.make('CartPole-v0');
    // With a scalar seed, env 1 gets 77 + 1.
    expect(Array.from(r.obs.subarray(4, 8))).toEqual(Array.from((await single.reset({ seed: 78 })).obs));
    await venv.close();
    await single.close();
  });
});

describe('pipelining', () => {
  it('100 step promises issued at once equal 100 sequential steps from the same seed', async () => {
    const actions = Array.from({ length: 100 }, (_, t) => ((t * 7) % 5 < 2 ? 0 : 2));
    const a = await client.make('MountainCar-v0');
    await a.reset({ seed: 31 });
    const promises = actions.map((x) => a.step(x));
    expect(client.inFlight).toBeGreaterThan(1);
    const piped = await Promise.all(promises);
    const b = await client.make('MountainCar-v0');
    await b.reset({ seed: 31 });
    const sequential = [];
    for (const x of actions) sequential.push(await b.step(x));
    const flat = (rs: typeof piped) => rs.map((r) => [...r.obs, r.reward, r.terminated, r.truncated, r.info.episode_step]);
    expect(flat(piped)).toEqual(flat(sequential));
    expect(piped.map((r) => r.info.episode_step)).toEqual(Array.from({ length: 100 }, (_, t) => t + 1));
    await a.close();
    await b.close();
  });

  it('pipelined vector steps across autoresets match sequential ones', async () => {
    const mk = async () => { const v = await client.makeVec('CartPole-v0', { numEnvs: 8, seed: 11 }); await v.reset(); return v; };
    const acts = Array.from({ length: 150 }, (_, t) => Int32Array.from({ length: 8 }, (_, i) => (t + i) % 2));
    const a = await mk();
    const piped = await Promise.all(acts.map((x) => a.step(x)));
    const b = await mk();
    const seq = [];
    for (const x of acts) seq.push(await b.step(x));
    const flat = (rs: typeof piped) => rs.map((r) => [...r.obs, ...r.reward, ...r.terminated, ...r.truncated, ...r.info.episode_step]);
    expect(flat(piped)).toEqual(flat(seq));
    expect(piped.some((r) => r.terminated.some((x) => x === 1))).toBe(true);
    await a.close();
    await b.close();
  });
});

describe('errors surface as TwinGymClientError and leave the session as it was', () => {
  it('out_of_bounds, bad_dtype, bad_shape, then the env steps exactly like one that never saw the bad requests', async () => {
    const a = await client.makeVec('MountainCar-v0', { numEnvs: 2, seed: 8 });
    const b = await client.makeVec('MountainCar-v0', { numEnvs: 2, seed: 8 });
    await a.reset();
    await b.reset();
    await a.step(new Int32Array([2, 0]));
    await b.step(new Int32Array([2, 0]));
    const oob = await rejection(a.step(new Int32Array([0, 3])));
    expect(oob).toBeInstanceOf(TwinGymClientError);
    expect(oob.code).toBe('out_of_bounds');
    expect(oob.details.env).toBe(1);
    expect(oob.details.value).toBe(3);
    const dtype = await rejection(a.step(new Float32Array([0.5, 1])));
    expect(dtype.code).toBe('bad_dtype');
    const shape = await rejection(a.step(new Int32Array([0, 1, 2])));
    expect(shape.code).toBe('bad_shape');
    expect(shape.details.expected).toEqual([2]);
    const ctx = await rejection(a.setContext({ gravity: 1 }));
    expect(ctx.code).toBe('context_out_of_range');
    const key = await rejection(a.setContext({ g: 0.001 }));
    expect(key.code).toBe('unknown_context_key');
    const sa = await a.step(new Int32Array([1, 2]));
    const sb = await b.step(new Int32Array([1, 2]));
    expect(Array.from(sa.obs)).toEqual(Array.from(sb.obs));
    expect(Array.from(sa.info.episode_step)).toEqual([2, 2]);
    expect(await a.getContext()).toEqual([{ gravity: 0.0025 }, { gravity: 0.0025 }]);
    await a.close();
    await b.close();
  });

  it('unknown_env, unknown_env_option, not_reset, unknown_session after close; the connection keeps working', async () => {
    expect((await rejection(client.make('mountaincar-v0'))).code).toBe('unknown_env');
    expect((await rejection(client.make('MountainCar-v0', { options: { task: 'x' } }))).code).toBe('unknown_env_option');
    const env = await client.make('MountainCar-v0');
    expect((await rejection(env.step(1))).code).toBe('not_reset');
    await env.close();
    const gone = await rejection(env.step(1));
    expect(gone.code).toBe('unknown_session');
    expect(gone.op).toBe('step');
    expect((await client.listEnvs()).length).toBe(specs.length);
  });

  it('a Box env takes Float32Array and bare-number actions and refuses an action outside [-1, 1]', async () => {
    const env = await client.make('MountainCarContinuous-v0');
    await env.reset({ seed: 1 });
    const ref = await client.make('MountainCarContinuous-v0');
    await ref.reset({ seed: 1 });
    const x = await env.step(0.5);
    const y = await ref.step(new Float32Array([0.5]));
    expect(Array.from(x.obs)).toEqual(Array.from(y.obs));
    const e = await rejection(env.step(new Float32Array([2])));
    expect(e.code).toBe('out_of_bounds');
    await env.close();
    await ref.close();
  });
});

describe('state snapshots', () => {
  it('restoring a snapshot replays steps and resets bit-identically', async () => {
    const env = await client.make('CartPole-v0');
    await env.reset({ seed: 12 });
    let atSnapshot = (await env.step(0)).obs;
    for (let t = 1; t < 5; t++) atSnapshot = (await env.step(t % 2)).obs;
    const snap = await env.getState();
    expect(snap).toBeInstanceOf(Uint8Array);
    const play = async () => {
      const out: number[] = [];
      for (let t = 0; t < 40; t++) {
        const s = await env.step(t % 3 === 0 ? 1 : 0);
        out.push(...s.obs, s.reward, Number(s.terminated), Number(s.truncated), s.info.episode_step);
        if (s.terminated || s.truncated) out.push(...(await env.reset()).obs);
      }
      return out;
    };
    const first = await play();
    const restoredObs = await env.setState(snap);
    const second = await play();
    expect(second).toEqual(first);
    expect(restoredObs).toBeInstanceOf(Float32Array);
    expect(Array.from(restoredObs)).toEqual(Array.from(atSnapshot));
    await env.close();
  });

  it('includeRng: false restores states but keeps the current generator', async () => {
    const env = await client.make('CartPole-v0');
    await env.reset({ seed: 50 });
    await env.step(1);
    const withRng = await env.getState();
    const withoutRng = await env.getState({ includeRng: false });
    const stepAfterSnapshot = Array.from((await env.step(0)).obs);
    const first = Array.from((await env.reset()).obs);
    await env.setState(withRng);
    expect(Array.from((await env.step(0)).obs)).toEqual(stepAfterSnapshot);
    expect(Array.from((await env.reset()).obs)).toEqual(first);
    // The generator has now drawn `first`; a restore without it leaves it there, so the next reset draws anew.
    await env.setState(withoutRng);
    expect(Array.from((await env.step(0)).obs)).toEqual(stepAfterSnapshot);
    const second = Array.from((await env.reset()).obs);
    expect(second).not.toEqual(first);
    await env.setState(withRng);
    expect(Array.from((await env.reset()).obs)).toEqual(first);
    expect(Array.from((await env.reset()).obs)).toEqual(second);
    await env.close();
  });

  it('a snapshot of one env id is refused by another with bad_state', async () => {
    const a = await client.make('CartPole-v0');
    await a.reset({ seed: 1 });
    const b = await client.make('MountainCar-v0');
    await b.reset({ seed: 1 });
    const e = await rejection(b.setState(await a.getState()));
    expect(e.code).toBe('bad_state');
    await b.step(1);
    await a.close();
    await b.close();
  });
});

describe('contexts', () => {
  /** MountainCar's step from rest at x with action 1 (no push), by REFERENCE.md 1.1. */
  const fromRest = (x: number, g: number) => {
    const v = Math.min(Math.max(-g * Math.cos(3 * x), -0.07), 0.07);
    return [Math.fround(x + v), Math.fround(v)];
  };

  it('make applies contexts, get_context reads them back, set_context changes the next step', async () => {
    const env = await client.make('MountainCar-v0', { contexts: { gravity: 0.001 } });
    expect(env.initialContexts).toEqual([{ gravity: 0.001 }]);
    expect(await env.getContext()).toEqual({ gravity: 0.001 });
    await env.reset({ options: { state: [-0.5, 0] } });
    expect(Array.from((await env.step(1)).obs)).toEqual(fromRest(-0.5, 0.001));
    expect(await env.setContext({ gravity: 0.0035 })).toEqual({ gravity: 0.0035 });
    await env.reset({ options: { state: [-0.5, 0] } });
    expect(Array.from((await env.step(1)).obs)).toEqual(fromRest(-0.5, 0.0035));
    await env.reset({ options: { state: [-0.9, 0], contexts: { gravity: 0.0001 } } });
    expect(await env.getContext()).toEqual({ gravity: 0.0001 });
    expect(Array.from((await env.step(1)).obs)).toEqual(fromRest(-0.9, 0.0001));
    await env.close();
  });

  it('per-env contexts in a vector env give per-env dynamics; indices change only the chosen envs', async () => {
    const venv = await client.makeVec('MountainCar-v0', { numEnvs: 3, contexts: [{ gravity: 0.0001 }, { gravity: 0.002 }, { gravity: 0.0035 }] });
    await venv.reset({ options: { state: [-0.5, 0] } });
    const s = await venv.step(new Int32Array([1, 1, 1]));
    expect(Array.from(s.obs)).toEqual([...fromRest(-0.5, 0.0001), ...fromRest(-0.5, 0.002), ...fromRest(-0.5, 0.0035)]);
    const back = await venv.setContext([{ gravity: 0.0005 }], [1]);
    expect(back).toEqual([{ gravity: 0.0001 }, { gravity: 0.0005 }, { gravity: 0.0035 }]);
    await venv.close();
  });

  it('CartPole reads back all four parameters, defaults filled in', async () => {
    const env = await client.make('CartPole-v0', { contexts: { force_mag: 18, length: 0.15 } });
    const c = await env.getContext();
    expect(c.force_mag).toBe(18);
    expect(c.length).toBe(0.15);
    expect(Object.keys(c).sort()).toEqual(['force_mag', 'length', 'masscart', 'masspole']);
    await env.close();
  });
});

describe('render and close', () => {
  it('render returns an SVG document for single and vector envs', async () => {
    const env = await client.make('MountainCar-v0');
    await env.reset({ seed: 1 });
    const r = await env.render();
    expect(r.mode).toBe('svg');
    expect(r.data).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    const venv = await client.makeVec('CartPole-v0', { numEnvs: 2, contexts: [{ length: 0.15 }, { length: 0.85 }] });
    await venv.reset({ seed: 1 });
    const r1 = await venv.render({ index: 1 });
    expect(r1.data).toContain('<svg');
    expect(r1.data).not.toEqual((await venv.render({ index: 0 })).data);
    expect((await rejection(venv.render({ index: 2 }))).code).toBe('invalid_argument');
    await env.close();
    await venv.close();
  });

  it('close is idempotent, and closing a client frees its envs without a round trip', async () => {
    const c2 = await connect(server.wsUrl);
    const env: Env = await c2.make('MountainCar-v0');
    const venv: VectorEnv = await c2.makeVec('MountainCar-v0', { numEnvs: 2 });
    expect(await env.close()).toBe(true);
    expect(await env.close()).toBe(false);
    await c2.close();
    expect(await venv.close()).toBe(false);
    expect((await rejection(c2.listEnvs())).code).toBe('connection_closed');
  });
});

describe('limits, close codes and auth against the real server', () => {
  it('frame_too_large keeps the connection; beyond 4x the server closes with 1009 and pending requests say so', async () => {
    const small = await startServer({ port: 0, logLevel: 'silent', limits: { maxFrameBytes: 4096 } });
    try {
      const c = await connect(small.wsUrl);
      const venv = await c.makeVec('MountainCar-v0', { numEnvs: 2 });
      await venv.reset({ seed: 1 });
      const tooBig = await rejection(venv.step(new Int32Array(2000)));
      expect(tooBig.code).toBe('frame_too_large');
      expect((await venv.step(new Int32Array([1, 1]))).obs.length).toBe(4);
      const waiting = rejection(venv.step(new Int32Array(8000)));
      const e = await waiting;
      expect(e.code).toBe('connection_closed');
      expect(e.details.close_code).toBe(1009);
      expect(c.isOpen).toBe(false);
    } finally {
      await small.close();
    }
  });

  it('a token-protected server refuses a client without the token and serves one with it', async () => {
    const secured = await startServer({ port: 0, logLevel: 'silent', token: 'tok-123' });
    try {
      expect((await rejection(connect(secured.wsUrl))).code).toBe('unauthorized');
      expect((await rejection(connect(secured.wsUrl, { token: 'nope' }))).code).toBe('unauthorized');
      const c = await connect(secured.wsUrl, { token: 'tok-123' });
      expect((await c.listEnvs()).length).toBeGreaterThan(0);
      await c.close();
    } finally {
      await secured.close();
    }
  });

  it('a server shutdown rejects pending requests with connection_closed (1001)', async () => {
    const s = await startServer({ port: 0, logLevel: 'silent' });
    const c = await connect(s.wsUrl);
    await c.listEnvs();
    await s.close();
    const e = await rejection(c.listEnvs());
    expect(e.code).toBe('connection_closed');
    expect(e.details.close_code).toBe(1001);
  });
});
