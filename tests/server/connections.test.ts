/**
 * Connection-level behaviour: frames that close the socket (and with which code), request ordering under pipelining,
 * isolation between connections, cleanup on disconnect, the connection limit and graceful shutdown.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../protocol/ts/frame.js';
import type { Dynamics, EnvDefinition } from '../../src/core/definition.js';
import type { DynamicsProvider } from '../../servers/dynamics.js';
import type { RunningServer } from '../../servers/app.js';
import { eventually, metricValue, quietServer } from './helpers.js';
import { RawClient, type Msg } from './raw-client.js';

const MC = 'MountainCar-v0';
let server: RunningServer;
let disposed = 0;

/** True dynamics that count their disposals, to see that a disconnect frees them. */
const countingProvider: DynamicsProvider = {
  modelsFor: () => ['counting'],
  create(request, definition: EnvDefinition): Dynamics | undefined {
    if (request.model !== 'counting') return undefined;
    const truth = definition.trueDynamics();
    return { kind: 'counting', info: {}, step: (b) => truth.step(b), dispose: () => { disposed += 1; } };
  },
};

beforeAll(async () => {
  server = await quietServer({ limits: { maxFrameBytes: 2048, maxConnections: 4 }, dynamicsProviders: [countingProvider] });
});
afterAll(async () => {
  await server.close();
});

async function metrics(): Promise<string> {
  return (await fetch(`${server.httpUrl}/metrics`)).text();
}

describe('frames that close the connection', () => {
  it('an undecodable frame closes with 1007 and a reason', async () => {
    const c = await RawClient.connect(server.wsUrl);
    await c.ok({ op: 'hello', protocol: '1.0.0' });
    c.sendRaw(new Uint8Array([0x82, 0xa2, 0x69])); // a map header promising more than the frame holds
    const closed = await c.closed();
    expect(closed.code).toBe(1007);
    expect(closed.reason).toMatch(/undecodable/);
  });

  it('trailing bytes after one msgpack value are undecodable too', async () => {
    const c = await RawClient.connect(server.wsUrl);
    const frame = encodeFrame({ id: 1, op: 'hello', protocol: '1.0.0' });
    c.sendRaw(new Uint8Array([...frame, 0x01]));
    expect((await c.closed()).code).toBe(1007);
  });

  it('a text frame closes with 1003', async () => {
    const c = await RawClient.connect(server.wsUrl);
    c.sendRaw('{"id": 1, "op": "hello"}');
    const closed = await c.closed();
    expect(closed.code).toBe(1003);
    expect(closed.reason).toMatch(/binary/);
  });

  it('a frame over 4 x max_frame_bytes closes with 1009', async () => {
    const c = await RawClient.connect(server.wsUrl);
    c.sendRaw(new Uint8Array(4 * 2048 + 1));
    expect((await c.closed()).code).toBe(1009);
  });

  it('a frame at exactly max_frame_bytes is processed normally', async () => {
    const c = await RawClient.connect(server.wsUrl);
    const base = encodeFrame({ id: 1, op: 'hello', protocol: '1.0.0', client: '' }).byteLength;
    // str8 holds up to 255 bytes and str16 adds 2 header bytes: pad so that the whole frame is exactly 2048 bytes.
    const frame = encodeFrame({ id: 1, op: 'hello', protocol: '1.0.0', client: 'x'.repeat(2048 - base - 2) });
    expect(frame.byteLength).toBe(2048);
    c.sendRaw(frame);
    expect(await c.next()).toMatchObject({ id: 1, ok: true });
    await c.close();
  });
});

describe('ordering', () => {
  it('answers 50 pipelined requests in order, errors included', async () => {
    const c = await RawClient.connect(server.wsUrl);
    const session = (await c.ok({ op: 'make', env_id: MC })).session;
    await c.ok({ op: 'reset', session, seed: 1 });
    const sent: Msg[] = [];
    for (let i = 0; i < 50; i++) {
      const id = 1000 + i;
      const req = i % 7 === 3 ? { id, op: 'step', session, action: 9 } : i % 11 === 5 ? { id, op: 'nope' } : { id, op: 'step', session, action: i % 3 };
      sent.push(req);
      c.send(req);
    }
    let steps = 0;
    for (const req of sent) {
      const r = await c.next();
      expect(r.id).toBe(req.id);
      if (req.op === 'nope') expect(r.error.code).toBe('unknown_op');
      else if (req.action === 9) expect(r.error.code).toBe('out_of_bounds');
      else expect(r.info.episode_step).toBe(++steps);
    }
    expect(steps).toBe(50 - 7 - 4);
    await c.close();
  });
});

describe('isolation and cleanup', () => {
  it('two connections cannot see each other\'s sessions', async () => {
    const a = await RawClient.connect(server.wsUrl);
    const b = await RawClient.connect(server.wsUrl);
    const sa = (await a.ok({ op: 'make', env_id: MC })).session;
    await a.ok({ op: 'reset', session: sa, seed: 3 });
    for (const op of ['step', 'close', 'get_state', 'get_context', 'render']) {
      const r = await b.request({ op, session: sa, ...(op === 'step' ? { action: 1 } : {}) });
      expect(r.error.code).toBe('unknown_session');
    }
    const sb = (await b.ok({ op: 'make', env_id: MC })).session;
    expect(sb).toBe(sa); // handles are per connection
    expect((await a.ok({ op: 'step', session: sa, action: 1 })).info.episode_step).toBe(1);
    await a.close();
    await b.close();
  });

  it('a dropped connection frees its sessions and disposes their dynamics', async () => {
    await eventually(async () => metricValue(await metrics(), 'twingym_sessions_open{transport="ws"}') === 0, 'no ws sessions open at start');
    const c = await RawClient.connect(server.wsUrl);
    const before = disposed;
    for (let i = 0; i < 3; i++) await c.ok({ op: 'make', env_id: MC, dynamics: { model: 'counting' } });
    expect(metricValue(await metrics(), 'twingym_sessions_open{transport="ws"}')).toBe(3);
    c.ws.terminate(); // no close handshake: the server sees the TCP connection drop
    await eventually(() => disposed === before + 3, 'dynamics disposed after the drop');
    await eventually(async () => metricValue(await metrics(), 'twingym_sessions_open{transport="ws"}') === 0, 'session gauge back to 0');
  });

  it('refuses connections beyond max_connections with close code 4503, and admits again after one leaves', async () => {
    const clients: RawClient[] = [];
    await eventually(async () => metricValue(await metrics(), 'twingym_connections_open') === 0, 'no connections at start');
    for (let i = 0; i < 4; i++) clients.push(await RawClient.connect(server.wsUrl));
    const extra = await RawClient.connect(server.wsUrl);
    const closed = await extra.closed();
    expect(closed.code).toBe(4503);
    expect(closed.reason).toMatch(/connection limit/);
    await clients.pop()!.close();
    await eventually(async () => metricValue(await metrics(), 'twingym_connections_open') === 3, 'one connection left');
    const again = await RawClient.connect(server.wsUrl);
    expect((await again.ok({ op: 'hello', protocol: '1.0.0' })).ok).toBe(true);
    for (const c of [...clients, again]) await c.close();
  });

  it('upgrades on any other path get 404', async () => {
    const url = server.wsUrl.replace('/v1/ws', '/v2/ws');
    await expect(RawClient.connect(url)).rejects.toMatchObject({ status: 404 });
  });
});

describe('graceful shutdown', () => {
  it('readyz answers 503 while closing, WebSockets close with 1001, sessions are freed', async () => {
    const s = await quietServer({ dynamicsProviders: [countingProvider] });
    const c = await RawClient.connect(s.wsUrl);
    await c.ok({ op: 'make', env_id: MC, dynamics: { model: 'counting' } });
    // A peer that completed the upgrade but never answers the close handshake keeps shutdown in progress for a while.
    const port = s.port;
    const stubborn = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => {
      stubborn.once('connect', () => {
        stubborn.write(`GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      stubborn.once('data', () => resolve());
    });
    expect((await fetch(`${s.httpUrl}/readyz`)).status).toBe(200);
    const before = disposed;
    const closing = s.close();
    const closed = await c.closed();
    expect(closed.code).toBe(1001);
    const ready = await fetch(`${s.httpUrl}/readyz`);
    expect(ready.status).toBe(503);
    const late = await RawClient.connect(s.wsUrl).then(() => null, (e: { status: number; body: string }) => e);
    expect(late?.status).toBe(503);
    expect(JSON.parse(late!.body).error.code).toBe('busy');
    expect((await fetch(`${s.httpUrl}/healthz`)).status).toBe(200);
    await closing;
    stubborn.destroy();
    expect(disposed).toBe(before + 1);
    await expect(fetch(`${s.httpUrl}/healthz`)).rejects.toThrow();
  });
});
