/**
 * Protocol fuzzing: random bytes, mutated valid frames and random request maps. Whatever arrives, the server must
 * either answer with a reply whose error code is documented, or close with 1007 (undecodable); and afterwards a fresh
 * connection must still get a correct hello.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../protocol/ts/errors.js';
import { encodeFrame } from '../../protocol/ts/frame.js';
import { OPS, RESERVED_OPS } from '../../protocol/ts/messages.js';
import { PROTOCOL_VERSION } from '../../protocol/ts/version.js';
import type { RunningServer } from '../../servers/app.js';
import { OP_FIELDS } from '../../servers/protocol/validators.js';
import { quietServer, tensor } from './helpers.js';
import { RawClient } from './raw-client.js';

const MC = 'MountainCar-v0';
const SENTINEL = 2 ** 40;
let server: RunningServer;
let client: RawClient | null = null;
let closes: number[] = [];
let answered = 0;
let probes = 0;
const codes = new Set<string>();

beforeAll(async () => {
  server = await quietServer({ limits: { maxFrameBytes: 64 * 1024, maxSessionsPerConnection: 8, maxEnvsPerSession: 16 } });
});
afterAll(async () => {
  await client?.close();
  await server.close();
});

/** A connection with a single session (handle 1, reset) and a vector one (handle 2), so session ops reach real code. */
async function connection(): Promise<RawClient> {
  if (client) return client;
  const c = await RawClient.connect(server.wsUrl);
  await c.ok({ op: 'make', env_id: MC });
  await c.ok({ op: 'reset', session: 1, seed: 0 });
  await c.ok({ op: 'make', env_id: MC, num_envs: 2, autoreset: 'same_step' });
  client = c;
  return c;
}

/** Sends one frame and a hello behind it; checks every reply up to the hello's, or that the socket closed with 1007. */
async function probe(frame: Uint8Array): Promise<void> {
  // Fresh sessions now and then: fuzzed close and too_many_sessions would otherwise leave later runs nothing to hit.
  if (++probes % 20 === 0 && client) {
    await client.close();
    client = null;
  }
  const c = await connection();
  c.sendRaw(frame);
  c.send({ id: SENTINEL, op: 'hello', protocol: PROTOCOL_VERSION });
  for (;;) {
    let r;
    try {
      r = await c.next();
    } catch {
      const info = await c.closed();
      closes.push(info.code);
      expect(info.code).toBe(1007);
      client = null;
      return;
    }
    expect(typeof r.ok).toBe('boolean');
    if (r.id === SENTINEL && r.ok) return;
    answered += 1;
    if (!r.ok) {
      expect(Object.keys(ERROR_CODES)).toContain(r.error.code);
      codes.add(r.error.code);
      expect(r.error.code).not.toBe('internal');
      expect(typeof r.error.message).toBe('string');
    }
  }
}

const VALID: Uint8Array[] = [
  encodeFrame({ id: 1, op: 'hello', protocol: '1.0.0' }),
  encodeFrame({ id: 2, op: 'make', env_id: MC, num_envs: 2, contexts: [{ gravity: 0.001 }, { gravity: 0.002 }], seed: 3 }),
  encodeFrame({ id: 3, op: 'reset', session: 2, seed: [1, 2], options: { reset_mask: [true, false], state: [[-0.5, 0], [-0.4, 0]] } }),
  encodeFrame({ id: 4, op: 'step', session: 1, action: tensor('i64', [], [2]) }),
  encodeFrame({ id: 5, op: 'step', session: 2, action: tensor('i32', [2], [0, 2]) }),
  encodeFrame({ id: 6, op: 'set_context', session: 2, contexts: { gravity: 0.003 }, indices: [1] }),
  encodeFrame({ id: 7, op: 'get_state', session: 1, include_rng: false }),
  encodeFrame({ id: 8, op: 'render', session: 2, index: 1 }),
];

const mutated = fc
  .tuple(fc.constantFrom(...VALID), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { minLength: 1, maxLength: 4 }), fc.option(fc.nat()))
  .map(([frame, edits, cut]) => {
    const bytes = [...frame];
    for (const [pos, value, kind] of edits) {
      const at = pos % (bytes.length + 1);
      if (kind === 'set' && at < bytes.length) bytes[at] = value;
      else if (kind === 'insert') bytes.splice(at, 0, value);
      else if (kind === 'delete' && at < bytes.length) bytes.splice(at, 1);
    }
    return new Uint8Array(cut === null ? bytes : bytes.slice(0, cut % (bytes.length + 1)));
  });

const wireTensor = fc.record({
  dtype: fc.constantFrom('f32', 'f64', 'i32', 'i64', 'u8', 'bool', 'f16'),
  shape: fc.array(fc.nat(4), { maxLength: 3 }),
  data: fc.uint8Array({ maxLength: 64 }),
});
const value = fc.oneof(fc.anything({ maxDepth: 2 }), wireTensor, fc.double(), fc.array(fc.double(), { maxLength: 4 }));
const request = fc
  .record(
    {
      id: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.string({ maxLength: 4 })),
      op: fc.oneof(fc.constantFrom(...OPS, ...RESERVED_OPS), fc.string({ maxLength: 8 })),
      session: fc.oneof(fc.nat(3), value),
      action: value,
      seed: value,
      options: fc.oneof(fc.record({ contexts: value, reset_mask: value, state: value }, { requiredKeys: [] }), value),
      contexts: fc.oneof(fc.dictionary(fc.constantFrom('gravity', 'mass'), fc.double()), value),
      state: value,
      env_id: fc.oneof(fc.constant(MC), fc.string({ maxLength: 6 })),
      num_envs: fc.oneof(fc.nat(20), value),
      protocol: fc.oneof(fc.constantFrom('1.0.0', '2.0.0'), fc.string({ maxLength: 6 })),
      index: value,
      indices: value,
    },
    { requiredKeys: [] },
  )
  .map((r) => {
    try {
      return encodeFrame(r);
    } catch {
      return encodeFrame({ id: 0, op: 'hello', protocol: '1.0.0' });
    }
  });

/** Values that are often nearly right for a field, so that requests get past the schema into the handlers. */
function plausible(field: string): fc.Arbitrary<unknown> {
  const num = fc.oneof(fc.nat(3), fc.double(), fc.integer({ min: -2, max: 5 }));
  const tensorOf = fc.record({
    dtype: fc.constantFrom('f32', 'f64', 'i32', 'i64', 'u8', 'bool'),
    shape: fc.constantFrom([], [1], [2], [2, 2], [3]),
    values: fc.array(fc.integer({ min: -1, max: 3 }), { minLength: 0, maxLength: 4 }),
  }).map(({ dtype, shape, values }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const vals = Array.from({ length: n }, (_, i) => values[i] ?? 0);
    return tensor(dtype as 'f32', shape, vals);
  });
  const context = fc.dictionary(fc.constantFrom('gravity', 'gravty'), fc.oneof(fc.double({ min: 0, max: 0.004 }), fc.double()), { maxKeys: 2 });
  switch (field) {
    case 'session': return fc.oneof(fc.constantFrom(1, 2, 3), fc.nat(10));
    case 'action': return fc.oneof(num, fc.array(num, { maxLength: 3 }), tensorOf, fc.array(fc.array(num, { maxLength: 2 }), { maxLength: 2 }));
    case 'seed': return fc.oneof(fc.nat(), fc.array(fc.nat(), { maxLength: 3 }), fc.constant(null), fc.integer());
    case 'contexts': return fc.oneof(context, fc.array(context, { maxLength: 3 }));
    case 'options': return fc.oneof(
      fc.record({ contexts: context, reset_mask: fc.oneof(fc.array(fc.boolean(), { maxLength: 3 }), tensorOf), state: fc.oneof(tensorOf, fc.array(num, { maxLength: 3 })) }, { requiredKeys: [] }),
      fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.string({ maxLength: 3 }), fc.double(), fc.boolean())),
    );
    case 'indices': return fc.array(fc.nat(3), { maxLength: 3 });
    case 'index': return fc.nat(3);
    case 'num_envs': return fc.oneof(fc.nat(20), fc.constant(100));
    case 'env_id': return fc.constantFrom(MC, 'CartPole-v0', 'Navigation2D-v0', 'Nope-v1');
    case 'state': return fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constant(encodeFrame({ format: 'twingym-session-state', version: 1 })));
    case 'dynamics': return fc.oneof(fc.constant('true'), fc.record({ model: fc.string({ maxLength: 4 }) }));
    case 'autoreset': return fc.constantFrom('next_step', 'same_step', 'disabled', 'sometimes');
    case 'protocol': return fc.constantFrom('1.0.0', '1.2.3', '2.0.0', 'x');
    case 'mode': return fc.constantFrom('svg', 'png');
    case 'job': return fc.constantFrom('job-000000000000', 'nope', '');
    case 'kind': return fc.constantFrom('collect', 'train_persim', 'compare', 'fly');
    case 'params': return fc.dictionary(fc.constantFrom('env_id', 'policy', 'agents', 'dataset', 'model'), fc.oneof(fc.string({ maxLength: 3 }), fc.nat(3)), { maxKeys: 3 });
    case 'model': return fc.constantFrom('nope', 'x');
    default: return fc.oneof(fc.boolean(), fc.nat(5), fc.string({ maxLength: 4 }));
  }
}

const shaped = fc.constantFrom(...OPS).chain((op) => {
  const fields = [...OP_FIELDS[op]].filter((f) => f !== 'id' && f !== 'op');
  return fc
    .record(Object.fromEntries(fields.map((f) => [f, plausible(f)])), { requiredKeys: [] })
    .map((r) => encodeFrame({ id: 77, op, ...r }));
});

describe('fuzzing', () => {
  it('op-shaped requests with nearly right values', async () => {
    await fc.assert(fc.asyncProperty(shaped, probe), { numRuns: 600, seed: 4 });
  });

  it('random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), probe), { numRuns: 250, seed: 1 });
  });

  it('mutated valid frames', async () => {
    await fc.assert(fc.asyncProperty(mutated, probe), { numRuns: 400, seed: 2 });
  });

  it('random request maps', async () => {
    await fc.assert(fc.asyncProperty(request, probe), { numRuns: 500, seed: 3 });
  });

  it('the server still answers hello correctly afterwards', async () => {
    // The runs above must have exercised both outcomes: replies to bad requests, and closes for undecodable frames.
    expect(answered).toBeGreaterThan(100);
    expect(closes.length).toBeGreaterThan(10);
    for (const code of ['invalid_request', 'unknown_op', 'unknown_field', 'invalid_argument', 'out_of_bounds', 'unknown_session', 'bad_shape', 'bad_dtype', 'bad_state', 'too_many_envs']) {
      expect(codes).toContain(code);
    }
    const c = await RawClient.connect(server.wsUrl);
    const r = await c.ok({ op: 'hello', protocol: PROTOCOL_VERSION });
    expect(r.protocol).toBe(PROTOCOL_VERSION);
    expect([...r.capabilities].sort()).toEqual([...OPS].sort());
    const m = await c.ok({ op: 'make', env_id: MC });
    expect(m.session).toBe(1);
    await c.close();
  });
});
