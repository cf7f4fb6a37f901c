/** Token auth (DECISIONS.md 11) and the refusal to serve other machines without one. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerConfigError, startServer, type RunningServer } from '../../servers/app.js';
import { isLoopbackHost } from '../../servers/options.js';
import { quietServer } from './helpers.js';
import { RawClient } from './raw-client.js';

const TOKEN = 's3cret-token';
let server: RunningServer;

beforeAll(async () => {
  server = await quietServer({ token: TOKEN });
});
afterAll(async () => {
  await server.close();
});

describe('WebSocket upgrade', () => {
  it('is refused with 401 and an unauthorized body without the token or with a wrong one', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }];
    for (const headers of attempts) {
      const err = await RawClient.connect(server.wsUrl, headers).then(() => null, (e: { status: number; body: string }) => e);
      expect(err?.status).toBe(401);
      expect(JSON.parse(err!.body).error.code).toBe('unauthorized');
    }
    const wrongQuery = await RawClient.connect(`${server.wsUrl}?token=nope`).then(() => null, (e: { status: number }) => e);
    expect(wrongQuery?.status).toBe(401);
  });

  it('is accepted with the bearer header or the token query parameter', async () => {
    const a = await RawClient.connect(server.wsUrl, { authorization: `Bearer ${TOKEN}` });
    expect((await a.ok({ op: 'hello', protocol: '1.0.0' })).protocol).toBe('1.2.0');
    const b = await RawClient.connect(`${server.wsUrl}?token=${encodeURIComponent(TOKEN)}`);
    expect((await b.ok({ op: 'list_envs' })).envs.length).toBeGreaterThan(0);
    await a.close();
    await b.close();
  });
});

describe('HTTP', () => {
  it('answers 401 with the protocol error shape on guarded routes', async () => {
    for (const path of ['/v1/envs', '/metrics', '/v1/envs/MountainCar-v0']) {
      const r = await fetch(`${server.httpUrl}${path}`);
      expect(r.status).toBe(401);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    const post = await fetch(`${server.httpUrl}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' }, body: '{"env_id":"MountainCar-v0"}' });
    expect(post.status).toBe(401);
    // The query parameter is for WebSocket clients only; HTTP routes need the header.
    expect((await fetch(`${server.httpUrl}/v1/envs?token=${TOKEN}`)).status).toBe(401);
  });

  it('serves guarded routes with the header, and probes without it', async () => {
    const r = await fetch(`${server.httpUrl}/v1/envs`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.httpUrl}/readyz`)).status).toBe(200);
  });
});

describe('binding', () => {
  it('refuses a non-loopback host without a token, before listening', async () => {
    await expect(startServer({ host: '0.0.0.0', port: 0, logLevel: 'silent' })).rejects.toThrow(ServerConfigError);
    await expect(startServer({ host: '0.0.0.0', port: 0, logLevel: 'silent' })).rejects.toThrow(/token/);
  });

  it('tells loopback names from others', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.2', 'example.com', '128.0.0.1']) expect(isLoopbackHost(h)).toBe(false);
  });

  it('rejects when the port is taken, and the running server is unaffected', async () => {
    await expect(startServer({ port: server.port, logLevel: 'silent' })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect((await fetch(`${server.httpUrl}/healthz`)).status).toBe(200);
  });

  it('refuses invalid limits with a message naming them', async () => {
    await expect(startServer({ port: 0, logLevel: 'silent', limits: { maxFrameBytes: 0 } })).rejects.toThrow(/maxFrameBytes/);
    await expect(startServer({ port: 70000, logLevel: 'silent' })).rejects.toThrow(/port/);
  });
});
