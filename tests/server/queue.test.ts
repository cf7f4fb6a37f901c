/**
 * The per-connection queue: when a handler answers asynchronously (as learned-model ops will), later requests wait, so
 * replies and effects still follow arrival order. A dispatcher that delays some replies stands in for those handlers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { resolveServerOptions } from '../../servers/options.js';
import { Dispatcher, type ReplyValue } from '../../servers/protocol/dispatch.js';
import type { OpContext } from '../../servers/protocol/op-context.js';
import { createServerState } from '../../servers/protocol/server-state.js';
import { DynamicsResolver } from '../../servers/dynamics.js';
import { JobManager } from '../../servers/jobs/manager.js';
import { Connection } from '../../servers/ws/connection.js';
import { RawClient } from './raw-client.js';

const log = Fastify({ logger: { level: 'silent' } }).log;
const silentObserver = { request() {}, error() {}, stepLatency() {}, internal() {} };

/** Delays the replies of requests whose id is a multiple of 3, longest for the earliest, to tempt reordering. */
class DelayingDispatcher extends Dispatcher {
  override dispatch(request: unknown, ctx: OpContext): ReplyValue | Promise<ReplyValue> {
    const id = (request as { id: number }).id;
    const reply = super.dispatch(request, ctx);
    if (id === 13) return Promise.reject(new Error('simulated bug in an async handler'));
    if (id % 3 !== 0) return reply;
    return new Promise((resolve) => setTimeout(() => resolve(reply), Math.max(1, 30 - id)));
  }
}

let httpServer: http.Server;
let wss: WebSocketServer;
let url: string;

beforeAll(async () => {
  const options = resolveServerOptions({});
  const state = createServerState(options, new DynamicsResolver(), new JobManager({ kinds: [], places: options.places }), () => undefined);
  const dispatcher = new DelayingDispatcher(silentObserver);
  httpServer = http.createServer();
  wss = new WebSocketServer({ server: httpServer });
  let n = 0;
  wss.on('connection', (ws) => {
    const conn = new Connection(++n, ws, state, dispatcher, { opened() {}, closed() {} }, log);
    ws.on('close', () => conn.dispose());
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  await new Promise<void>((resolve) => httpServer.close(() => resolve()));
});

describe('per-connection queue', () => {
  it('keeps reply order and effect order across asynchronous replies, and answers a rejected one', async () => {
    const c = await RawClient.connect(url);
    await c.ok({ id: 1, op: 'make', env_id: 'MountainCar-v0' });
    await c.ok({ id: 2, op: 'reset', session: 1, seed: 0 });
    for (let id = 3; id < 30; id++) c.send({ id, op: 'step', session: 1, action: id % 3 });
    let steps = 0;
    for (let id = 3; id < 30; id++) {
      const r = await c.next();
      expect(r.id).toBe(id);
      if (id === 13) {
        expect(r.error.code).toBe('internal');
        steps += 1; // the step itself ran before the simulated failure
        continue;
      }
      expect(r.info.episode_step).toBe(++steps);
    }
    await c.close();
  });
});
