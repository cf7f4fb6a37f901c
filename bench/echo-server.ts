/**
 * The baseline server: a raw WebSocket + msgpack echo and a trivial fastify JSON route, in their own process like the
 * real server. To make "same frame sizes" literal, the bench first sends it a template: every later request is decoded
 * and answered with that template re-encoded under the request's id, so the baseline pays the same decode + encode
 * of the same maps the real server does, minus the environment. Prints "echo listening on http://host:port".
 */
import Fastify from 'fastify';
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { decodeFrame, encodeFrame } from '../protocol/ts/frame.js';

let wsTemplate: Record<string, unknown> = { ok: true };
let httpTemplate: unknown = { ok: true };

const app = Fastify({ logger: false });
app.post('/template', async (request) => {
  httpTemplate = request.body;
  return { ok: true };
});
// The trivial route the HTTP bench compares the JSON step API with: parse the body, answer a body of the same size.
app.post('/step', async () => httpTemplate);

const wss = new WebSocketServer({ server: app.server, path: '/v1/ws', perMessageDeflate: false });
wss.on('connection', (socket) => {
  socket.on('message', (data: Buffer) => {
    const req = decodeFrame(data) as Record<string, unknown>;
    if (req.op === 'template' && req.frame instanceof Uint8Array) {
      wsTemplate = decodeFrame(req.frame) as Record<string, unknown>;
      socket.send(encodeFrame({ id: req.id, ok: true }));
      return;
    }
    wsTemplate.id = req.id;
    socket.send(encodeFrame(wsTemplate));
  });
});

await app.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0) });
const { port } = app.server.address() as AddressInfo;
process.stdout.write(`echo listening on http://127.0.0.1:${port}\n`);
const stop = () => { wss.close(); void app.close().then(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
