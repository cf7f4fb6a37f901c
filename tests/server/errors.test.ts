/**
 * Every error code a client can provoke, over the wire. Each case checks the code, the echoed id and that the message
 * says something; then that the connection still answers and that the session is byte-for-byte what it was before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../protocol/ts/frame.js';
import { ERROR_CODES } from '../../protocol/ts/errors.js';
import { RESERVED_OPS } from '../../protocol/ts/messages.js';
import type { Dynamics, EnvDefinition } from '../../src/core/definition.js';
import type { DynamicsProvider } from '../../servers/dynamics.js';
import type { RunningServer } from '../../servers/app.js';
import { quietServer, tensor } from './helpers.js';
import { RawClient, type Msg } from './raw-client.js';

const MC = 'MountainCar-v0';
let server: RunningServer;
let c: RawClient;
let live: number; // a reset single session every case checks afterwards
let failNextStep = false;
let disposed = 0;

/** A learned-model stand-in: the true dynamics, except that it can be told to throw a plain Error (a server bug). */
const flakyProvider: DynamicsProvider = {
  modelsFor: (envId) => (envId === MC ? ['flaky'] : []),
  create(request, definition: EnvDefinition): Dynamics | undefined {
    if (request.model !== 'flaky') return undefined;
    const truth = definition.trueDynamics();
    return {
      kind: 'test-flaky',
      info: { model: 'flaky' },
      step(batch) {
        if (failNextStep) throw new Error('simulated model failure');
        truth.step(batch);
      },
      dispose() {
        disposed += 1;
      },
    };
  },
};

beforeAll(async () => {
  server = await quietServer({ limits: { maxSessionsPerConnection: 6, maxEnvsPerSession: 8, maxFrameBytes: 4096 }, dynamicsProviders: [flakyProvider], modelProviders: [] });
  c = await RawClient.connect(server.wsUrl);
  live = (await c.ok({ op: 'make', env_id: MC })).session;
  await c.ok({ op: 'reset', session: live, seed: 9 });
});
afterAll(async () => {
  await c.close();
  await server.close();
});

async function snapshot(session: number): Promise<Uint8Array> {
  return (await c.ok({ op: 'get_state', session })).state;
}

/**
 * Sends `request`, expects error `code` echoing the id, then checks that the live session (and `session`, if given) is
 * unchanged and that the live session still steps.
 */
async function expectError(request: Msg, code: keyof typeof ERROR_CODES, session?: number): Promise<Msg> {
  const liveBefore = await snapshot(live);
  const before = session !== undefined ? await snapshot(session) : undefined;
  const id = c.send(request);
  const r = await c.next();
  expect(r.ok).toBe(false);
  expect(r.id).toBe('id' in request ? request.id : id);
  expect(r.error.code).toBe(code);
  expect(typeof r.error.message).toBe('string');
  expect(r.error.message.length).toBeGreaterThan(10);
  expect(typeof r.error.details).toBe('object');
  if (session !== undefined) expect(await snapshot(session)).toEqual(before);
  expect(await snapshot(live)).toEqual(liveBefore);
  const stepped = await c.ok({ op: 'step', session: live, action: 1 });
  expect(stepped.info.episode_step).toBeGreaterThan(0);
  return r.error;
}

describe('request shape', () => {
  it('invalid_request for frames that are not requests, with id nil when it cannot be read', async () => {
    for (const [frame, id] of [
      [[1, 2, 3], null],
      [{ op: 'hello', protocol: '1.0.0' }, null],
      [{ id: -1, op: 'hello' }, null],
      [{ id: 1.5, op: 'hello' }, null],
      [{ id: 'seven', op: 'hello' }, null],
      [{ id: 41 }, 41],
      [{ id: 42, op: 7 }, 42],
      ['just a string', null],
    ] as const) {
      c.sendRaw(encodeFrame(frame));
      const r = await c.next();
      expect(r).toMatchObject({ id, ok: false, error: { code: 'invalid_request' } });
    }
    expect((await c.ok({ op: 'step', session: live, action: 0 })).ok).toBe(true);
  });

  it('unknown_op, with details.reserved for the reserved names', async () => {
    const e = await expectError({ id: 500, op: 'fly' }, 'unknown_op');
    expect(e.details).toMatchObject({ op: 'fly', reserved: false });
    for (const op of RESERVED_OPS) {
      const r = await expectError({ op, session: live }, 'unknown_op');
      expect(r.details.reserved).toBe(true);
    }
  });

  it('unknown_field names the field, at the top level and nested', async () => {
    expect((await expectError({ op: 'hello', protocol: '1.0.0', colour: 'red' }, 'unknown_field')).details.field).toBe('colour');
    expect((await expectError({ op: 'reset', session: live, options: { sead: 1 } }, 'unknown_field', live)).details.field).toBe('options.sead');
  });

  it('invalid_argument names the path', async () => {
    expect((await expectError({ op: 'make', env_id: 5 }, 'invalid_argument')).details.path).toBe('env_id');
    expect((await expectError({ op: 'step', session: live, action: 'left' }, 'invalid_argument', live)).details.path).toBe('action');
    expect((await expectError({ op: 'reset', session: live, seed: -3 }, 'invalid_argument', live)).details.path).toBe('seed');
    expect((await expectError({ op: 'step', session: 'one', action: 1 }, 'invalid_argument')).details.path).toBe('session');
    expect((await expectError({ op: 'step', session: live, action: [[1], [2, 3]] }, 'invalid_argument', live)).details.path).toBe('action');
    expect((await expectError({ op: 'make', env_id: MC, autoreset: 'same_step' }, 'invalid_argument')).details.path).toBe('autoreset');
  });
});

describe('tensors and actions', () => {
  it('bad_dtype for a float tensor on a discrete space', async () => {
    const e = await expectError({ op: 'step', session: live, action: tensor('f32', [], [1]) }, 'bad_dtype', live);
    expect(e.details.expected).toEqual(['i32', 'i64', 'u8', 'bool']);
  });

  it('bad_shape for the wrong number of actions', async () => {
    const v = (await c.ok({ op: 'make', env_id: MC, num_envs: 2 })).session;
    await c.ok({ op: 'reset', session: v, seed: 1 });
    const e = await expectError({ op: 'step', session: v, action: tensor('i64', [3], [0, 1, 2]) }, 'bad_shape', v);
    expect(e.details.expected).toEqual([2]);
    await expectError({ op: 'step', session: live, action: [[1, 2]] }, 'bad_shape', live);
    await c.ok({ op: 'close', session: v });
  });

  it('bad_tensor when the bytes disagree with the shape', async () => {
    const t = { dtype: 'i64', shape: [2], data: new Uint8Array(8) };
    await expectError({ op: 'step', session: live, action: t }, 'bad_tensor', live);
  });

  it('out_of_bounds for actions outside the space, NaN and non-integers included', async () => {
    const e = await expectError({ op: 'step', session: live, action: 3 }, 'out_of_bounds', live);
    expect(e.details).toMatchObject({ index: 0, value: 3 });
    await expectError({ op: 'step', session: live, action: Number.NaN }, 'out_of_bounds', live);
    await expectError({ op: 'step', session: live, action: 1.5 }, 'out_of_bounds', live);
    await expectError({ op: 'step', session: live, action: tensor('i32', [], [-1]) }, 'out_of_bounds', live);
    await expectError({ op: 'reset', session: live, options: { state: [5, 0] } }, 'out_of_bounds', live);
  });
});

describe('session state', () => {
  it('not_reset before the first reset', async () => {
    const s = (await c.ok({ op: 'make', env_id: MC })).session;
    await expectError({ op: 'step', session: s, action: 1 }, 'not_reset', s);
    await expectError({ op: 'render', session: s }, 'not_reset', s);
    await c.ok({ op: 'close', session: s });
  });

  it('needs_reset after a single episode ended', async () => {
    const s = (await c.ok({ op: 'make', env_id: MC, max_episode_steps: 1 })).session;
    await c.ok({ op: 'reset', session: s, seed: 3 });
    expect((await c.ok({ op: 'step', session: s, action: 1 })).truncated).toBe(true);
    await expectError({ op: 'step', session: s, action: 1 }, 'needs_reset', s);
    await c.ok({ op: 'reset', session: s });
    expect((await c.ok({ op: 'step', session: s, action: 1 })).info.episode_step).toBe(1);
    await c.ok({ op: 'close', session: s });
  });

  it('unknown_session for handles never issued', async () => {
    expect((await expectError({ op: 'step', session: 777, action: 1 }, 'unknown_session')).details.session).toBe(777);
    await expectError({ op: 'get_context', session: 0 }, 'unknown_session');
  });

  it('unknown_context_key and context_out_of_range leave the contexts as they were', async () => {
    const e = await expectError({ op: 'set_context', session: live, contexts: { gravty: 0.001 } }, 'unknown_context_key', live);
    expect(e.details.key).toBe('gravty');
    const r = await expectError({ op: 'set_context', session: live, contexts: { gravity: 0.5 } }, 'context_out_of_range', live);
    expect(r.details).toMatchObject({ key: 'gravity', low: 0.0001, high: 0.0035 });
    await expectError({ op: 'set_context', session: live, contexts: { gravity: Number.NaN } }, 'context_out_of_range', live);
    await expectError({ op: 'make', env_id: MC, contexts: { mass: 1 } }, 'unknown_context_key');
    expect((await c.ok({ op: 'get_context', session: live })).contexts).toEqual([{ gravity: 0.0025 }]);
  });

  it('bad_state for bytes that are not a snapshot of this kind of session', async () => {
    await expectError({ op: 'set_state', session: live, state: new Uint8Array([1, 2, 3, 4]) }, 'bad_state', live);
    const v = (await c.ok({ op: 'make', env_id: MC, num_envs: 2 })).session;
    await c.ok({ op: 'reset', session: v, seed: 1 });
    const other = (await c.ok({ op: 'get_state', session: v })).state;
    const e = await expectError({ op: 'set_state', session: live, state: other }, 'bad_state', live);
    expect(e.message).toContain('2 envs');
    await c.ok({ op: 'close', session: v });
  });

  it('unsupported for a render mode the env lacks', async () => {
    expect((await expectError({ op: 'render', session: live, mode: 'rgb_array' }, 'unsupported', live)).details.render_modes).toEqual(['svg']);
  });
});

describe('make', () => {
  it('unknown_env lists the known ids', async () => {
    const e = await expectError({ op: 'make', env_id: 'MountainCar-v9' }, 'unknown_env');
    expect(e.details.known).toContain(MC);
  });

  it('unknown_env_option', async () => {
    expect((await expectError({ op: 'make', env_id: MC, options: { turbo: true } }, 'unknown_env_option')).details.option).toBe('turbo');
  });

  it('unknown_dynamics for a model nobody provides', async () => {
    const e = await expectError({ op: 'make', env_id: MC, dynamics: { model: 'persim-nope' } }, 'unknown_dynamics');
    expect(e.details.known).toEqual(['true', 'flaky']);
  });

  it('too_many_envs beyond max_envs_per_session', async () => {
    expect((await expectError({ op: 'make', env_id: MC, num_envs: 9 }, 'too_many_envs')).details.limit).toBe(8);
    const ok = await c.ok({ op: 'make', env_id: MC, num_envs: 8 });
    await c.ok({ op: 'close', session: ok.session });
  });

  it('too_many_sessions at the per-connection limit, and room again after a close', async () => {
    const made: number[] = [];
    let refused: Msg | null = null;
    for (let i = 0; i < 10 && !refused; i++) {
      const r = await c.request({ op: 'make', env_id: MC });
      if (r.ok) made.push(r.session);
      else refused = r;
    }
    expect(refused?.error.code).toBe('too_many_sessions');
    expect(refused?.error.details.limit).toBe(6);
    await expectError({ op: 'make', env_id: MC }, 'too_many_sessions');
    await c.ok({ op: 'close', session: made.pop() });
    const again = await c.ok({ op: 'make', env_id: MC });
    made.push(again.session);
    for (const s of made) await c.ok({ op: 'close', session: s });
  });
});

describe('hello', () => {
  it('unsupported_version for another major, and the connection stays open', async () => {
    const e = await expectError({ op: 'hello', protocol: '2.0.0' }, 'unsupported_version');
    expect(e.details.server_protocol).toBe('1.2.0');
    await expectError({ op: 'hello', protocol: 'latest' }, 'unsupported_version');
    expect((await c.ok({ op: 'hello', protocol: '1.0.0' })).protocol).toBe('1.2.0');
  });
});

describe('frames', () => {
  it('frame_too_large between 1x and 4x max_frame_bytes, with the id read from the frame', async () => {
    const big = { id: 4242, op: 'step', session: live, action: tensor('i64', [600], new Array(600).fill(1)) };
    const bytes = encodeFrame(big);
    expect(bytes.byteLength).toBeGreaterThan(4096);
    expect(bytes.byteLength).toBeLessThan(4 * 4096);
    const before = await snapshot(live);
    c.sendRaw(bytes);
    const r = await c.next();
    expect(r).toMatchObject({ id: 4242, ok: false, error: { code: 'frame_too_large', details: { limit: 4096 } } });
    expect(await snapshot(live)).toEqual(before);
    c.sendRaw(new Uint8Array(5000).fill(0xc1)); // not msgpack at all: still a reply, with id nil
    expect(await c.next()).toMatchObject({ id: null, ok: false, error: { code: 'frame_too_large' } });
    expect((await c.ok({ op: 'step', session: live, action: 2 })).ok).toBe(true);
  });
});

describe('learned-dynamics providers', () => {
  it('list_envs and make report the provider, and a failing model is an internal error that leaves the session intact', async () => {
    const mc = (await c.ok({ op: 'list_envs' })).envs.find((e: Msg) => e.id === MC);
    expect(mc.dynamics).toEqual(['true', 'flaky']);
    const m = await c.ok({ op: 'make', env_id: MC, dynamics: { model: 'flaky' } });
    expect(m.metadata.dynamics).toEqual({ kind: 'test-flaky', model: 'flaky' });
    await c.ok({ op: 'reset', session: m.session, seed: 4 });
    failNextStep = true;
    let e: Msg;
    try {
      e = await expectError({ op: 'step', session: m.session, action: 2 }, 'internal', m.session);
    } finally {
      failNextStep = false;
    }
    expect(e.details.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await c.ok({ op: 'step', session: m.session, action: 2 })).info.episode_step).toBe(1);
    const disposedBefore = disposed;
    await c.ok({ op: 'close', session: m.session });
    expect(disposed).toBe(disposedBefore + 1);
  });
});
