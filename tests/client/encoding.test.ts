/**
 * How the client puts actions and initial states on the wire, checked on the receiving side of a scripted server:
 * typed arrays travel with their own dtype and exact bytes, plain arrays are converted only without loss, and a value
 * that cannot be an integer is never rounded into one (the server must see it and refuse it).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { connect, encodeFrame, Env, VectorEnv, type Client, type TwinGymClientError } from '../../clients/ts/index.js';
import { decodeTensor, isWireTensorLike, tensorNumbers } from '../../protocol/ts/tensor.js';
import type { MakeReply } from '../../protocol/ts/messages.js';
import { fromVectorJson, type JsonValue } from '../../protocol/ts/vector-json.js';
import { startFakeServer, type FakeServer } from './fake-server.js';

const vectors = (JSON.parse(readFileSync(new URL('../../protocol/vectors/v1.json', import.meta.url), 'utf8')) as { vectors: { name: string; value: JsonValue }[] }).vectors;
const meaning = (name: string) => fromVectorJson(vectors.find((v) => v.name === name)!.value) as Record<string, unknown>;

/** A make reply for a Box-action env, derived from the discrete vector one by swapping in a [-1, 1]^2 Box action space. */
function boxMakeReply(vectorized: boolean, n: number): MakeReply {
  const r = meaning(vectorized ? 'make_reply_vector' : 'make_reply') as unknown as MakeReply;
  const bound = (x: number, shape: number[]) => ({ dtype: 'f32' as const, shape, data: new Uint8Array(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(x).buffer) });
  const single = { type: 'box' as const, dtype: 'f32' as const, shape: [2], low: bound(-1, [2]), high: bound(1, [2]) };
  const batched = { type: 'box' as const, dtype: 'f32' as const, shape: [n, 2], low: bound(-1, [n, 2]), high: bound(1, [n, 2]) };
  return { ...r, num_envs: n, single_action_space: single, action_space: vectorized ? batched : single };
}

let server: FakeServer;
let client: Client;
let last: Record<string, unknown> = {};
/** The reply the scripted server gives: a vector step reply unless a test of single envs switches it. */
let reply = meaning('step_reply_vector_same_step');

beforeAll(async () => {
  // Answers every request with a valid step reply and remembers the request, so tests read exactly what was sent.
  server = await startFakeServer((req, _raw, socket) => {
    last = req;
    socket.send(encodeFrame({ ...reply, id: req.id }));
  });
  client = await connect(server.url);
});
afterAll(async () => {
  await client.close();
  await server.close();
});

function sentAction(): { dtype: string; shape: number[]; values: number[] } | number | unknown[] {
  const a = last.action;
  if (isWireTensorLike(a)) {
    const t = decodeTensor(a);
    return { dtype: t.dtype, shape: t.shape, values: Array.from(tensorNumbers(t)) };
  }
  return a as number | unknown[];
}

describe('vector discrete actions (4 envs)', () => {
  beforeEach(() => { reply = meaning('step_reply_vector_same_step'); });
  const venv = () => new VectorEnv(client, meaning('make_reply_vector') as unknown as MakeReply);

  it('Int32Array and Uint8Array go out as i32 / u8 tensors of shape [4] with the same values', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 4, maxLength: 4 }), fc.boolean(), async (xs, asU8) => {
      const arr = asU8 ? Uint8Array.from(xs.map((x) => Math.abs(x))) : Int32Array.from(xs);
      await venv().step(arr);
      expect(sentAction()).toEqual({ dtype: asU8 ? 'u8' : 'i32', shape: [4], values: Array.from(arr) });
    }), { numRuns: 40 });
  });

  it('integral floats and plain arrays become i32 without loss; a fractional value is sent as f64, unrounded', async () => {
    await venv().step([2, 2, 0, 1]);
    expect(sentAction()).toEqual({ dtype: 'i32', shape: [4], values: [2, 2, 0, 1] });
    await venv().step(new Float64Array([1, 0, 2, 1]));
    expect(sentAction()).toEqual({ dtype: 'i32', shape: [4], values: [1, 0, 2, 1] });
    await venv().step([2, 0.5, 0, 1]);
    expect(sentAction()).toEqual({ dtype: 'f64', shape: [4], values: [2, 0.5, 0, 1] });
    await venv().step(new Float32Array([0, 1.5, 0, 1]));
    expect(sentAction()).toEqual({ dtype: 'f32', shape: [4], values: [0, 1.5, 0, 1] });
  });

  it('one action broadcasts with the single shape; a wrong length keeps its own shape for the server to refuse', async () => {
    await venv().step([1]);
    expect(sentAction()).toEqual({ dtype: 'i32', shape: [], values: [1] });
    await venv().step(new Int32Array(5));
    expect(sentAction()).toEqual({ dtype: 'i32', shape: [5], values: [0, 0, 0, 0, 0] });
  });

  it('reset sends seeds, a boolean reset_mask and a float64 state tensor', async () => {
    await venv().reset({ seed: [1, 2, 3, 4], options: { resetMask: [1, 0, 0, 1], state: new Float32Array([-0.5, 0, -0.4, 0, -0.3, 0, -0.2, 0]) } });
    const opts = last.options as Record<string, unknown>;
    expect(last.seed).toEqual([1, 2, 3, 4]);
    expect(opts.reset_mask).toEqual([true, false, false, true]);
    const t = decodeTensor(opts.state);
    expect([t.dtype, t.shape]).toEqual(['f64', [4, 2]]);
    expect(Array.from(t.values as Float64Array)).toEqual([-0.5, 0, -0.4, 0, -0.3, 0, -0.2, 0].map(Math.fround));
  });
});

describe('Box actions', () => {
  it('a reply of the wrong kind (vector reply to a single env) is a protocol_error naming the op', async () => {
    reply = meaning('step_reply_vector_same_step');
    const env = new Env(client, boxMakeReply(false, 1));
    const e = await env.step([0, 0]).then(() => null, (x: unknown) => x as TwinGymClientError);
    expect(e?.code).toBe('protocol_error');
    expect(e?.op).toBe('step');
    expect(e?.message).toContain('reward is not a number');
    expect(client.isOpen).toBe(true);
  });

  it('vector: Float32Array rows keep their exact float32 bits in an f32 tensor of shape [n, 2]', async () => {
    reply = meaning('step_reply_vector_same_step');
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 }), async (n, pool) => {
      const venv = new VectorEnv(client, boxMakeReply(true, n));
      const a = Float32Array.from(pool.slice(0, 2 * n));
      await venv.step(a);
      expect(sentAction()).toEqual({ dtype: 'f32', shape: [n, 2], values: Array.from(a) });
    }), { numRuns: 40 });
  });

  it('single: a plain array goes out as f64 (exact), a number on a two-element Box is left for the server to refuse', async () => {
    reply = meaning('step_reply');
    const env = new Env(client, boxMakeReply(false, 1));
    await env.step([0.1, -0.3]);
    expect(sentAction()).toEqual({ dtype: 'f64', shape: [2], values: [0.1, -0.3] });
    await env.step(0.5);
    expect(sentAction()).toBe(0.5);
  });

  it('single discrete: a number goes out as a plain msgpack number', async () => {
    reply = meaning('step_reply');
    const env = new Env(client, meaning('make_reply') as unknown as MakeReply);
    await env.step(2);
    expect(sentAction()).toBe(2);
    await env.step([1]);
    expect(sentAction()).toEqual({ dtype: 'i32', shape: [], values: [1] });
  });
});
