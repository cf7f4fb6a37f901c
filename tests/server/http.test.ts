/** The HTTP side: health, env listing, the JSON session API with JSON tensors, its errors, and /metrics. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../servers/app.js';
import { asF32, eventually, metricValue, mountainCarStep, quietServer } from './helpers.js';
import { fromJson, toJson } from '../../servers/http/json-tensors.js';
import { RawClient } from './raw-client.js';

const MC = 'MountainCar-v0';
let server: RunningServer;

beforeAll(async () => {
  server = await quietServer({ limits: { maxHttpSessions: 3 } });
});
afterAll(async () => {
  await server.close();
});

type Json = Record<string, any>;

async function call(method: string, path: string, body?: unknown, base = server.httpUrl): Promise<{ status: number; body: Json }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const r = await fetch(`${base}${path}`, init);
  return { status: r.status, body: (await r.json()) as Json };
}

async function create(fields: Json = {}): Promise<string> {
  const r = await call('POST', '/v1/sessions', { env_id: MC, ...fields });
  expect(r.status).toBe(200);
  return r.body.session;
}

describe('health', () => {
  it('healthz and readyz answer', async () => {
    expect(await call('GET', '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await call('GET', '/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('unknown routes answer 404 in the error shape', async () => {
    const r = await call('GET', '/v1/nothing');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('invalid_request');
  });
});

describe('environments', () => {
  it('lists the same envs as the protocol, with JSON tensors', async () => {
    const r = await call('GET', '/v1/envs');
    expect(r.status).toBe(200);
    const c = await RawClient.connect(server.wsUrl);
    const viaWs = (await c.ok({ op: 'list_envs' })).envs.map((e: Json) => e.id);
    await c.close();
    expect(r.body.envs.map((e: Json) => e.id)).toEqual(viaWs);
    const mc = r.body.envs.find((e: Json) => e.id === MC);
    expect(mc.observation_space.low).toEqual({ dtype: 'f32', shape: [2], data: asF32([-1.2, -0.07]) });
  });

  it('describes one env by id, and 404s an unknown one', async () => {
    const r = await call('GET', `/v1/envs/${MC}`);
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(MC);
    expect(r.body.action_space).toEqual({ type: 'discrete', dtype: 'i64', n: 3, start: 0 });
    const missing = await call('GET', '/v1/envs/Pong-v5');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('unknown_env');
  });
});

describe('sessions', () => {
  it('create, reset, step, close with JSON tensors and plain numbers', async () => {
    const made = await call('POST', '/v1/sessions', { env_id: MC, num_envs: 2, contexts: { gravity: 0.001 } });
    expect(made.status).toBe(200);
    const sid = made.body.session;
    expect(typeof sid).toBe('string');
    expect(made.body.observation_space.shape).toEqual([2, 2]);
    expect(made.body.contexts).toEqual([{ gravity: 0.001 }, { gravity: 0.001 }]);
    expect(made.body.metadata.autoreset).toBe('next_step');

    const reset = await call('POST', `/v1/sessions/${sid}/reset`, { options: { state: { dtype: 'f64', shape: [2, 2], data: [-0.5, 0, 0.2, -0.01] } } });
    expect(reset.status).toBe(200);
    expect(reset.body.obs).toEqual({ dtype: 'f32', shape: [2, 2], data: asF32([-0.5, 0, 0.2, -0.01]) });
    expect(reset.body.info.episode_step).toEqual({ dtype: 'i32', shape: [2], data: [0, 0] });

    const s1 = [mountainCarStep(-0.5, 0, 0, 0.001), mountainCarStep(0.2, -0.01, 2, 0.001)];
    const step = await call('POST', `/v1/sessions/${sid}/step`, { action: { dtype: 'i64', shape: [2], data: [0, 2] } });
    expect(step.status).toBe(200);
    expect(step.body.obs).toEqual({ dtype: 'f32', shape: [2, 2], data: asF32(s1.flat()) });
    expect(step.body.reward).toEqual({ dtype: 'f64', shape: [2], data: [-1, -1] });
    expect(step.body.terminated).toEqual({ dtype: 'bool', shape: [2], data: [0, 0] });
    expect(step.body.truncated).toEqual({ dtype: 'bool', shape: [2], data: [0, 0] });

    const s2 = s1.map(([x, v]) => mountainCarStep(x, v, 1, 0.001));
    const plain = await call('POST', `/v1/sessions/${sid}/step`, { action: [1, 1] });
    expect(plain.body.obs.data).toEqual(asF32(s2.flat()));
    const s3 = s2.map(([x, v]) => mountainCarStep(x, v, 2, 0.001));
    const scalar = await call('POST', `/v1/sessions/${sid}/step`, { action: 2 });
    expect(scalar.body.obs.data).toEqual(asF32(s3.flat()));
    expect(scalar.body.info.episode_step.data).toEqual([3, 3]);

    const masked = await call('POST', `/v1/sessions/${sid}/reset`, { seed: 8, options: { reset_mask: [false, true] } });
    expect(masked.body.info.episode_step.data).toEqual([3, 0]);
    expect(masked.body.obs.data.slice(0, 2)).toEqual(asF32(s3[0]));
    const maskedTensor = await call('POST', `/v1/sessions/${sid}/reset`, { options: { reset_mask: { dtype: 'bool', shape: [2], data: [true, false] } } });
    expect(maskedTensor.body.info.episode_step.data).toEqual([0, 0]);

    expect(await call('DELETE', `/v1/sessions/${sid}`)).toEqual({ status: 200, body: { closed: true } });
    expect(await call('DELETE', `/v1/sessions/${sid}`)).toEqual({ status: 200, body: { closed: false } });
    const after = await call('POST', `/v1/sessions/${sid}/step`, { action: 1 });
    expect(after.status).toBe(404);
    expect(after.body.error.code).toBe('unknown_session');
  });

  it('a single session answers plain reward and flags; reset without a body works', async () => {
    const sid = await create({ seed: 5 });
    const reset = await fetch(`${server.httpUrl}/v1/sessions/${sid}/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    const obs = ((await reset.json()) as Json).obs;
    expect(obs.shape).toEqual([2]);
    expect(obs.data[1]).toBe(0);
    const step = await call('POST', `/v1/sessions/${sid}/step`, { action: { dtype: 'i64', shape: [], data: [1] } });
    // The reset obs is the f32 cast of a float64 state, so the hand-computed step agrees to f32 precision only.
    const expected = mountainCarStep(obs.data[0], 0, 1);
    expect(Math.abs(step.body.obs.data[0] - expected[0])).toBeLessThan(1e-6);
    expect(Math.abs(step.body.obs.data[1] - expected[1])).toBeLessThan(1e-6);
    expect(step.body.reward).toBe(-1);
    expect(step.body.terminated).toBe(false);
    expect(step.body.info).toEqual({ episode_step: 1 });
    await call('DELETE', `/v1/sessions/${sid}`);
  });

  it('contexts, snapshots (base64) and render over HTTP', async () => {
    const sid = await create();
    await call('POST', `/v1/sessions/${sid}/reset`, { options: { state: [-0.6, 0.02] } });
    const ctx = await call('POST', `/v1/sessions/${sid}/set_context`, { contexts: { gravity: 0.003 } });
    expect(ctx.body).toEqual({ contexts: [{ gravity: 0.003 }] });
    expect((await call('POST', `/v1/sessions/${sid}/get_context`)).body).toEqual({ contexts: [{ gravity: 0.003 }] });
    const snap = await call('POST', `/v1/sessions/${sid}/get_state`, { include_rng: true });
    expect(typeof snap.body.state).toBe('string');
    const first = await call('POST', `/v1/sessions/${sid}/step`, { action: 0 });
    expect(first.body.obs.data).toEqual(asF32(mountainCarStep(-0.6, 0.02, 0, 0.003)));
    const restored = await call('POST', `/v1/sessions/${sid}/set_state`, { state: snap.body.state });
    expect(restored.body.obs.data).toEqual(asF32([-0.6, 0.02]));
    expect((await call('POST', `/v1/sessions/${sid}/step`, { action: 0 })).body).toEqual(first.body);
    const svg = await call('POST', `/v1/sessions/${sid}/render`, {});
    expect(svg.body.mode).toBe('svg');
    expect(svg.body.data).toContain('<svg');
    await call('DELETE', `/v1/sessions/${sid}`);
  });
});

describe('errors', () => {
  it('maps codes to statuses with the error body, and the session keeps working', async () => {
    const sid = await create();
    await call('POST', `/v1/sessions/${sid}/reset`, { seed: 1 });
    const cases: Array<[unknown, number, string]> = [
      [{ action: 7 }, 400, 'out_of_bounds'],
      [{ action: 'left' }, 400, 'invalid_argument'],
      [{ action: 1, extra: true }, 400, 'unknown_field'],
      [{ action: { dtype: 'i64', shape: [2], data: [1] } }, 400, 'bad_tensor'],
      [{ action: { dtype: 'i64', shape: [], data: ['NaN'] } }, 400, 'bad_tensor'],
      [{ action: { dtype: 'i64', shape: [], data: [1.5] } }, 400, 'bad_tensor'],
      [{ action: { dtype: 'f16', shape: [], data: [1] } }, 400, 'invalid_argument'],
      [{ action: { dtype: 'f32', shape: [], data: [1] } }, 400, 'bad_dtype'],
      [{ action: [1, 2] }, 400, 'bad_shape'],
      ['{"action": ', 400, 'invalid_request'],
      ['[1, 2]', 400, 'invalid_argument'],
    ];
    for (const [body, status, code] of cases) {
      const r = await call('POST', `/v1/sessions/${sid}/step`, body);
      expect({ body, status: r.status, code: r.body.error?.code }).toEqual({ body, status, code });
      expect(r.body.error.message.length).toBeGreaterThan(10);
    }
    const ok = await call('POST', `/v1/sessions/${sid}/step`, { action: 1 });
    expect(ok.body.info.episode_step).toBe(1);
    await call('DELETE', `/v1/sessions/${sid}`);
  });

  it('"NaN" in a JSON tensor reaches the bounds check as NaN', async () => {
    const sid = await create();
    const r = await call('POST', `/v1/sessions/${sid}/reset`, { options: { state: { dtype: 'f32', shape: [2], data: ['NaN', 0] } } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('out_of_bounds');
    await call('DELETE', `/v1/sessions/${sid}`);
  });

  it('non-finite numbers written as strings reach the session as numbers, outside tensors too', async () => {
    const sid = await create();
    await call('POST', `/v1/sessions/${sid}/reset`, { seed: 2 });
    const nan = await call('POST', `/v1/sessions/${sid}/step`, { action: 'NaN' });
    expect([nan.status, nan.body.error.code]).toEqual([400, 'out_of_bounds']);
    const inf = await call('POST', `/v1/sessions/${sid}/set_context`, { contexts: { gravity: 'Infinity' } });
    expect([inf.status, inf.body.error.code, inf.body.error.details.key]).toEqual([400, 'context_out_of_range', 'gravity']);
    const text = await call('POST', '/v1/sessions', { env_id: 'NaN' });
    expect([text.status, text.body.error.code]).toEqual([404, 'unknown_env']);
    await call('DELETE', `/v1/sessions/${sid}`);
  });

  it('missing resources answer 404, a bad op or field 400', async () => {
    expect((await call('POST', '/v1/sessions', { env_id: 'Nope-v0' })).status).toBe(404);
    const r = await call('POST', '/v1/sessions/not-a-session/step', { action: 1 });
    expect([r.status, r.body.error.code]).toEqual([404, 'unknown_session']);
    const sid = await create();
    const op = await call('POST', `/v1/sessions/${sid}/fly`, {});
    expect([op.status, op.body.error.code]).toEqual([400, 'unknown_op']);
    const bad = await call('POST', '/v1/sessions', { env_id: MC, session: 'mine' });
    expect([bad.status, bad.body.error.code, bad.body.error.details.field]).toEqual([400, 'unknown_field', 'session']);
    await call('DELETE', `/v1/sessions/${sid}`);
    expect((await call('DELETE', '/v1/sessions/never-made')).status).toBe(404);
  });

  it('too_many_sessions (429) at the server-wide HTTP limit', async () => {
    const sids = [await create(), await create(), await create()];
    const r = await call('POST', '/v1/sessions', { env_id: MC });
    expect([r.status, r.body.error.code, r.body.error.details.limit]).toEqual([429, 'too_many_sessions', 3]);
    await call('DELETE', `/v1/sessions/${sids[0]}`);
    sids[0] = await create();
    for (const sid of sids) await call('DELETE', `/v1/sessions/${sid}`);
  });

  it('too_many_envs (429) and unknown_env_option (400) on create', async () => {
    expect((await call('POST', '/v1/sessions', { env_id: MC, num_envs: 5000 })).status).toBe(429);
    expect((await call('POST', '/v1/sessions', { env_id: MC, options: { hard: true } })).body.error.code).toBe('unknown_env_option');
  });
});

describe('JSON mapping', () => {
  it('writes tensors as flat numbers and non-finite numbers as strings, bytes as base64', () => {
    const f64 = new Float64Array([1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    const wire = { t: { dtype: 'f64', shape: [2, 2], data: new Uint8Array(f64.buffer) }, r: Number.NaN, b: new Uint8Array([0xff, 0x00, 0x10]), ok: true };
    expect(toJson(wire)).toEqual({ t: { dtype: 'f64', shape: [2, 2], data: [1.5, 'NaN', 'Infinity', '-Infinity'] }, r: 'NaN', b: '/wAQ', ok: true });
  });

  it('reads JSON tensors back to the same bytes', () => {
    const back = fromJson({ t: { dtype: 'f64', shape: [2, 2], data: [1.5, 'NaN', 'Infinity', '-Infinity'] } }) as { t: { data: Uint8Array } };
    const values = new Float64Array(new Uint8Array(back.t.data).buffer);
    expect(Array.from(values)).toEqual([1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });
});

describe('idle expiry', () => {
  it('closes HTTP sessions unused for httpSessionIdleMs', async () => {
    const s = await quietServer({ limits: { httpSessionIdleMs: 100 } });
    try {
      const made = await call('POST', '/v1/sessions', { env_id: MC }, s.httpUrl);
      const sid = made.body.session;
      let last: { status: number; body: Json } | null = null;
      await eventually(async () => {
        last = await call('POST', `/v1/sessions/${sid}/get_context`, {}, s.httpUrl);
        if (last.status === 200) await new Promise((r) => setTimeout(r, 150)); // stay idle long enough to expire
        return last.status === 404;
      }, 'the idle session expired');
      expect(last!.body.error.code).toBe('unknown_session');
      expect(last!.body.error.message).toMatch(/expired/);
      const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
      expect(metricValue(text, 'twingym_sessions_open{transport="http"}')).toBe(0);
    } finally {
      await s.close();
    }
  });
});

describe('metrics', () => {
  it('counts requests by op, errors by code, steps, sessions and connections', async () => {
    const s = await quietServer();
    try {
      const c = await RawClient.connect(s.wsUrl);
      const v = (await c.ok({ op: 'make', env_id: MC, num_envs: 4 })).session;
      await c.ok({ op: 'reset', session: v, seed: 0 });
      for (let i = 0; i < 5; i++) await c.ok({ op: 'step', session: v, action: 1 });
      await c.request({ op: 'step', session: v, action: 3 });
      await c.request({ op: 'fly' });
      const sid = (await call('POST', '/v1/sessions', { env_id: MC }, s.httpUrl)).body.session;
      await call('POST', `/v1/sessions/${sid}/reset`, {}, s.httpUrl);
      await call('POST', `/v1/sessions/${sid}/step`, { action: 0 }, s.httpUrl);
      const r = await fetch(`${s.httpUrl}/metrics`);
      expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await r.text();
      expect(metricValue(text, 'twingym_requests_total{op="step"}')).toBe(7);
      expect(metricValue(text, 'twingym_requests_total{op="make"}')).toBe(2);
      expect(metricValue(text, 'twingym_errors_total{code="out_of_bounds"}')).toBe(1);
      expect(metricValue(text, 'twingym_errors_total{code="unknown_op"}')).toBe(1);
      expect(metricValue(text, 'twingym_env_steps_total')).toBe(5 * 4 + 1);
      expect(metricValue(text, 'twingym_step_duration_seconds_count')).toBe(6);
      expect(metricValue(text, 'twingym_connections_open')).toBe(1);
      expect(metricValue(text, 'twingym_sessions_open{transport="ws"}')).toBe(1);
      expect(metricValue(text, 'twingym_sessions_open{transport="http"}')).toBe(1);
      await c.close();
    } finally {
      await s.close();
    }
  });
});
