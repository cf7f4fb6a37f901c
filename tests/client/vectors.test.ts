/**
 * The client against protocol/vectors/v1.json: (1) its codec decodes every frame to the vector's meaning and
 * re-encodes that meaning losslessly; (2) a scripted server answers the client's calls with the vectors' reply frames
 * and checks that the client's own requests mean exactly the vectors' requests (ids aside), so every request builder
 * and every reply parser of the client is pinned to the shared bytes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CLIENT_NAME, connect, decodeFrame, encodeFrame, TwinGymClientError, type Client } from '../../clients/ts/index.js';
import { BoxSpace, DiscreteSpace, MultiDiscreteSpace } from '../../clients/ts/spaces.js';
import { fromHex, fromVectorJson, sameMeaning, toVectorJson, type JsonValue } from '../../protocol/ts/vector-json.js';
import { startFakeServer, type FakeServer } from './fake-server.js';

interface Vector { name: string; op: string | null; kind: 'request' | 'reply' | 'error_reply'; description: string; hex: string; value: JsonValue }
const file = JSON.parse(readFileSync(new URL('../../protocol/vectors/v1.json', import.meta.url), 'utf8')) as { protocol: string; vectors: Vector[] };
const byName = new Map(file.vectors.map((v) => [v.name, v]));
function vec(name: string): Vector {
  const v = byName.get(name);
  if (!v) throw new Error(`no vector ${name}`);
  return v;
}
const meaning = (name: string) => vec(name).value as { [k: string]: JsonValue };

/** Little-endian float32 / int32 elements of a hex string, read with DataView (independent of the client's decoder). */
function f32s(hex: string): number[] {
  const b = fromHex(hex);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.length / 4 }, (_, i) => dv.getFloat32(4 * i, true));
}
function i32s(hex: string): number[] {
  const b = fromHex(hex);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.length / 4 }, (_, i) => dv.getInt32(4 * i, true));
}
function binHex(v: JsonValue, ...path: string[]): string {
  let x = v as { [k: string]: JsonValue };
  for (const p of path) x = x[p] as { [k: string]: JsonValue };
  return x.$bin as string;
}

describe('shared vectors: codec', () => {
  it('the file is for protocol 1.x and holds requests, replies, error replies and events', () => {
    expect(file.protocol.split('.')[0]).toBe('1');
    const kinds = new Set(file.vectors.map((v) => v.kind));
    expect([...kinds].sort()).toEqual(['error_reply', 'event', 'reply', 'request']);
  });
  for (const v of file.vectors) {
    it(`${v.name}: decode(hex) means value, and decode(encode(value)) means value`, () => {
      const decoded = decodeFrame(fromHex(v.hex));
      expect(sameMeaning(toVectorJson(decoded), v.value)).toBe(true);
      const again = decodeFrame(encodeFrame(fromVectorJson(v.value)));
      expect(sameMeaning(toVectorJson(again), v.value)).toBe(true);
    });
  }
});

/** One exchange: the vector the client's request must mean, and the vector to answer with (or a custom answer). */
interface Exchange { request: string; patch?: { [k: string]: JsonValue }; reply: string }

describe('shared vectors: client requests and reply parsing', () => {
  let server: FakeServer | undefined;
  let client: Client | undefined;
  let script: Exchange[] = [];
  const mismatches: string[] = [];

  afterEach(async () => {
    await client?.close();
    await server?.close();
    client = undefined;
    server = undefined;
  });

  async function start(): Promise<Client> {
    server = await startFakeServer((req, _raw, socket) => {
      const step = script.shift();
      if (!step) { mismatches.push(`unexpected request ${JSON.stringify(toVectorJson(req))}`); return; }
      const expected = { ...meaning(step.request), ...step.patch, id: req.id as number };
      const got = toVectorJson(req);
      if (!sameMeaning(got, expected)) mismatches.push(`${step.request}: sent ${JSON.stringify(got)}`);
      const reply = { ...meaning(step.reply) };
      if (reply.id !== null) reply.id = req.id as number;
      socket.send(encodeFrame(fromVectorJson(reply)));
    });
    client = await connect(server.url);
    return client;
  }

  it('single-session conversation: hello, list, make, reset, step, state, render, errors, close', async () => {
    script = [
      { request: 'hello_request', patch: { client: CLIENT_NAME }, reply: 'hello_reply' },
      { request: 'list_envs_request', reply: 'list_envs_reply' },
      { request: 'make_request_minimal', reply: 'make_reply' },
      { request: 'reset_request_seed', reply: 'reset_reply' },
      { request: 'reset_request_keep_generator', reply: 'reset_reply' },
      { request: 'reset_request_state', reply: 'reset_reply' },
      { request: 'step_request_discrete_int', reply: 'step_reply' },
      { request: 'step_request_discrete_int', reply: 'step_reply_terminated' },
      { request: 'step_request_discrete_int', reply: 'step_reply_truncated' },
      { request: 'get_state_request_no_rng', reply: 'get_state_reply' },
      { request: 'set_state_request', reply: 'set_state_reply' },
      { request: 'render_request', reply: 'render_reply' },
      { request: 'step_request_discrete_int', reply: 'error_unknown_session' },
      { request: 'close_request', reply: 'close_reply' },
    ];
    const c = await start();
    const hello = await c.hello();
    expect(hello.limits.max_frame_bytes).toBe(16 * 1024 * 1024);
    expect(c.limits?.max_envs_per_session).toBe(4096);
    const envs = await c.listEnvs();
    expect(envs.map((e) => e.id)).toEqual(['MountainCar-v0']);

    const env = await c.make('MountainCar-v0');
    expect(env.session).toBe(1);
    expect(env.vectorized).toBe(false);
    const obsSpace = env.observationSpace as BoxSpace;
    expect(obsSpace).toBeInstanceOf(BoxSpace);
    expect(Array.from(obsSpace.low)).toEqual([Math.fround(-1.2), Math.fround(-0.07)]);
    expect(Array.from(obsSpace.high)).toEqual([Math.fround(0.6), Math.fround(0.07)]);
    expect(env.actionSpace).toBeInstanceOf(DiscreteSpace);
    expect((env.actionSpace as DiscreteSpace).n).toBe(3);
    expect(env.initialContexts).toEqual([{ gravity: 0.0025 }]);

    const r1 = await env.reset({ seed: 123 });
    expect(r1.obs).toBeInstanceOf(Float32Array);
    expect(Array.from(r1.obs)).toEqual(f32s(binHex(meaning('reset_reply'), 'obs', 'data')));
    expect(r1.info.episode_step).toBe(0);
    await env.reset();
    await env.reset({ options: { state: [-0.5, 0], contexts: { gravity: 0.001 } } });

    const s1 = await env.step(2);
    expect(Array.from(s1.obs)).toEqual(f32s(binHex(meaning('step_reply'), 'obs', 'data')));
    expect(s1.reward).toBe(-1);
    expect(typeof s1.reward).toBe('number');
    expect([s1.terminated, s1.truncated, s1.info.episode_step]).toEqual([false, false, 1]);
    const s2 = await env.step(2);
    expect([s2.reward, s2.terminated, s2.truncated, s2.info.episode_step]).toEqual([0, true, false, 97]);
    const s3 = await env.step(2);
    expect([s3.reward, s3.terminated, s3.truncated, s3.info.episode_step]).toEqual([-1, false, true, 500]);

    const state = await env.getState({ includeRng: false });
    expect(state).toEqual(fromHex(binHex(meaning('get_state_reply'), 'state')));
    const restored = await env.setState(fromHex(binHex(meaning('set_state_request'), 'state')));
    expect(Array.from(restored)).toEqual(f32s(binHex(meaning('set_state_reply'), 'obs', 'data')));
    const drawing = await env.render();
    expect(drawing.mode).toBe('svg');
    expect(drawing.data.startsWith('<svg')).toBe(true);

    const err = await env.step(2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwinGymClientError);
    expect((err as TwinGymClientError).code).toBe('unknown_session');
    expect((err as TwinGymClientError).details).toEqual({ session: 9 });
    expect((err as TwinGymClientError).op).toBe('step');

    expect(await env.close()).toBe(true);
    const before = server!.received.length;
    expect(await env.close()).toBe(false);
    expect(server!.received.length).toBe(before);
    expect(script).toEqual([]);
    expect(mismatches).toEqual([]);
  });

  it('vector conversation, pipelined: make, masked reset, same_step step, contexts, render, non-finite values, errors', async () => {
    script = [
      { request: 'make_request_vector', reply: 'make_reply_vector' },
      { request: 'reset_request_seed_list_mask', reply: 'reset_reply_vector_mask' },
      { request: 'step_request_u8', reply: 'step_reply_vector_same_step' },
      { request: 'get_context_request', reply: 'get_context_reply' },
      { request: 'set_context_request_indices', reply: 'set_context_reply' },
      { request: 'set_context_request', reply: 'set_context_reply' },
      { request: 'render_request_index', reply: 'render_reply' },
      { request: 'step_request_u8', reply: 'step_reply_learned_nonfinite' },
      { request: 'step_request_u8', reply: 'error_bad_dtype' },
      { request: 'step_request_vector_array', patch: { action: { dtype: 'i32', shape: [4], data: { $bin: '02000000020000000000000001000000' } } }, reply: 'error_invalid_request' },
    ];
    const c = await start();
    const contexts = [{ gravity: 0.0001 }, { gravity: 0.001 }, { gravity: 0.0025 }, { gravity: 0.0035 }];
    const venv = await c.makeVec('MountainCar-v0', { numEnvs: 4, dynamics: 'true', contexts, seed: 42, maxEpisodeSteps: 200, autoreset: 'same_step' });
    expect(venv.numEnvs).toBe(4);
    expect(venv.autoreset).toBe('same_step');
    expect(venv.actionSpace).toBeInstanceOf(MultiDiscreteSpace);
    expect(Array.from((venv.actionSpace as MultiDiscreteSpace).nvec)).toEqual([3, 3, 3, 3]);
    expect(venv.singleActionSpace).toBeInstanceOf(DiscreteSpace);
    expect((venv.observationSpace as BoxSpace).shape).toEqual([4, 2]);

    // Everything below is issued before any reply is awaited.
    const reset = venv.reset({ seed: [1000, 2000, 3000, 4000], options: { resetMask: [false, true, false, true] } });
    const step = venv.step(new Uint8Array([1, 1, 1, 1]));
    const ctx = venv.getContext();
    const ctx2 = venv.setContext([{ gravity: 0.0005 }, { gravity: 0.003 }], [0, 3]);
    const ctx3 = venv.setContext({ gravity: 0.002 });
    const render = venv.render({ index: 3, mode: 'svg' });
    const wild = venv.step(new Uint8Array([1, 1, 1, 1]));
    const bad = venv.step(new Uint8Array([1, 1, 1, 1])).catch((e: unknown) => e);
    const invalid = venv.step([2, 2, 0, 1]).catch((e: unknown) => e);
    expect(c.inFlight).toBe(9);

    const r = await reset;
    expect(Array.from(r.info.episode_step)).toEqual(i32s(binHex(meaning('reset_reply_vector_mask'), 'info', 'episode_step', 'data')));
    expect(Array.from(r.info.episode_step)).toEqual([37, 0, 52, 0]);
    expect(r.obs.length).toBe(8);

    const s = await step;
    const sv = meaning('step_reply_vector_same_step');
    expect(s.obs).toBeInstanceOf(Float32Array);
    expect(Array.from(s.obs)).toEqual(f32s(binHex(sv, 'obs', 'data')));
    expect(s.reward).toBeInstanceOf(Float64Array);
    expect(Array.from(s.reward)).toEqual([-1, 0, -1, -1]);
    expect(Array.from(s.terminated)).toEqual([0, 1, 0, 0]);
    expect(Array.from(s.truncated)).toEqual([0, 0, 1, 0]);
    expect(Array.from(s.info.final_mask!)).toEqual([0, 1, 1, 0]);
    expect(s.info.final_obs).toBeInstanceOf(Float32Array);
    expect(Array.from(s.info.final_obs!)).toEqual(f32s(binHex(sv, 'info', 'final_obs', 'data')));
    expect(Array.from(s.info.episode_step)).toEqual([64, 0, 0, 12]);

    expect(await ctx).toEqual(contexts);
    expect(await ctx2).toEqual([{ gravity: 0.0005 }, { gravity: 0.001 }, { gravity: 0.0025 }, { gravity: 0.003 }]);
    await ctx3;
    expect((await render).data).toContain('</svg>');

    const w = await wild;
    expect(Number.isNaN(w.obs[0])).toBe(true);
    expect([w.obs[1], w.obs[2]]).toEqual([Infinity, -Infinity]);
    expect(w.reward[0]).toBe(-Infinity);

    const e1 = (await bad) as TwinGymClientError;
    expect(e1).toBeInstanceOf(TwinGymClientError);
    expect(e1.code).toBe('bad_dtype');
    expect(e1.details.expected).toEqual(['i32', 'i64', 'u8', 'bool']);
    // A nil-id error reply belongs to the oldest request in flight.
    const e2 = (await invalid) as TwinGymClientError;
    expect(e2.code).toBe('invalid_request');
    expect(script).toEqual([]);
    expect(mismatches).toEqual([]);
  });
});
