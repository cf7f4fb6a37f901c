/**
 * The client's transport against a scripted server: pipelining (requests leave before replies arrive), in-order
 * matching, time-outs, close codes, protocol violations, and authentication on connect.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createServer, type AddressInfo } from 'node:net';
import { connect, encodeFrame, TwinGymClientError, type Client } from '../../clients/ts/index.js';
import { startFakeServer, type FakeServer } from './fake-server.js';

let server: FakeServer | undefined;
let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

const closeReply = (id: unknown, closed: boolean) => encodeFrame({ id, ok: true, closed });
const rejection = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as TwinGymClientError);

describe('pipelining', () => {
  it('sends 100 requests before any reply and resolves each with its own reply, in order', async () => {
    const held: { id: number; session: number }[] = [];
    server = await startFakeServer((req, _raw, socket) => {
      held.push({ id: req.id as number, session: req.session as number });
      // Replies are withheld until every request has arrived: only a pipelining client can get here.
      if (held.length === 100) for (const h of held) socket.send(closeReply(h.id, h.session % 2 === 0));
    });
    client = await connect(server.url);
    const ps = Array.from({ length: 100 }, (_, i) => client!.request('close', { session: i + 1 }));
    expect(client.inFlight).toBe(100);
    const replies = await Promise.all(ps);
    expect(replies.map((r) => r.closed)).toEqual(Array.from({ length: 100 }, (_, i) => (i + 1) % 2 === 0));
    expect(server.received.map((r) => r.id)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(client.inFlight).toBe(0);
  });

  it('keeps matching correctly after the pending ring grows past its initial capacity twice', async () => {
    server = await startFakeServer((req, _raw, socket) => socket.send(closeReply(req.id, req.session === 7)));
    client = await connect(server.url);
    for (let round = 0; round < 3; round++) {
      const ps = Array.from({ length: 300 }, (_, i) => client!.request('close', { session: i }));
      const r = await Promise.all(ps);
      expect(r.filter((x) => x.closed).length).toBe(1);
      expect(r[7].closed).toBe(true);
    }
  });
});

describe('failures', () => {
  it('a reply out of order is a protocol_error that rejects every pending request and closes the connection', async () => {
    let n = 0;
    server = await startFakeServer((req, _raw, socket) => {
      if (++n === 2) socket.send(closeReply(req.id, true)); // answers the second before the first
    });
    client = await connect(server.url);
    const a = rejection(client.request('close', { session: 1 }));
    const b = rejection(client.request('close', { session: 2 }));
    const [ea, eb] = await Promise.all([a, b]);
    expect(ea.code).toBe('protocol_error');
    expect(eb.code).toBe('protocol_error');
    expect(ea.op).toBe('close');
    const later = await rejection(client.request('list_envs', {}));
    expect(['protocol_error', 'connection_closed']).toContain(later.code);
  });

  it('a server close (1007) rejects pending requests with connection_closed naming the code and reason', async () => {
    server = await startFakeServer((_req, _raw, socket) => socket.close(1007, 'bad msgpack'));
    client = await connect(server.url);
    const e = await rejection(client.request('list_envs', {}));
    expect(e.code).toBe('connection_closed');
    expect(e.details.close_code).toBe(1007);
    expect(e.details.reason).toBe('bad msgpack');
    expect(e.message).toContain('could not decode');
    expect(client.isOpen).toBe(false);
    const after = await rejection(client.request('list_envs', {}));
    expect(after.code).toBe('connection_closed');
  });

  it('a text frame from the server is a protocol_error', async () => {
    server = await startFakeServer((_req, _raw, socket) => socket.send('{"id":1}'));
    client = await connect(server.url);
    const e = await rejection(client.request('list_envs', {}));
    expect(e.code).toBe('protocol_error');
    expect(e.message).toContain('text frame');
  });

  it('a time-out rejects only the late request; its late reply is discarded and the next request still matches', async () => {
    let first: { id: unknown; send: (b: Uint8Array) => void } | undefined;
    server = await startFakeServer((req, _raw, socket) => {
      if (!first) { first = { id: req.id, send: (b) => socket.send(b) }; return; }
      // The late reply to the first request goes out just before the reply to the second.
      first.send(closeReply(first.id, true));
      socket.send(closeReply(req.id, false));
    });
    client = await connect(server.url, { timeoutMs: 150 });
    const e = await rejection(client.request('close', { session: 1 }));
    expect(e.code).toBe('timeout');
    expect(e.details.timeout_ms).toBe(150);
    const second = await client.request('close', { session: 2 });
    expect(second.closed).toBe(false);
    expect(client.isOpen).toBe(true);
  });

  it('events without an id go to onEvent and do not disturb reply matching', async () => {
    server = await startFakeServer((req, _raw, socket) => {
      socket.send(encodeFrame({ event: 'progress', job: 'j1', fraction: 0.5 }));
      socket.send(closeReply(req.id, true));
    });
    client = await connect(server.url);
    const events: unknown[] = [];
    client.onEvent((e) => events.push(e));
    expect((await client.request('close', { session: 1 })).closed).toBe(true);
    expect(events).toEqual([{ event: 'progress', job: 'j1', fraction: 0.5 }]);
  });

  it('client.close rejects in-flight requests and is idempotent', async () => {
    server = await startFakeServer(() => {});
    client = await connect(server.url);
    const p = rejection(client.request('list_envs', {}));
    await client.close();
    await client.close();
    const e = await p;
    expect(e.code).toBe('connection_closed');
    expect(e.details.close_code).toBe(1000);
  });
});

describe('connect', () => {
  it('sends the token as a bearer header; a wrong token is refused with code unauthorized', async () => {
    const wss = new WebSocketServer({
      host: '127.0.0.1', port: 0,
      verifyClient: (info, cb) => cb(info.req.headers.authorization === 'Bearer s3cret', 401, 'Unauthorized'),
    });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/v1/ws`;
    try {
      const bad = await rejection(connect(url, { token: 'wrong' }));
      expect(bad.code).toBe('unauthorized');
      const none = await rejection(connect(url));
      expect(none.code).toBe('unauthorized');
      const ok = await connect(url, { token: 's3cret' });
      expect(ok.isOpen).toBe(true);
      await ok.close();
    } finally {
      await new Promise<void>((r) => wss.close(() => r()));
    }
  });

  it('a refused port gives connection_failed', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const e = await rejection(connect(`ws://127.0.0.1:${port}/v1/ws`));
    expect(e.code).toBe('connection_failed');
    expect(e.details.url).toContain(String(port));
  });
});
