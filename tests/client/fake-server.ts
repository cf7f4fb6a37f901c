/**
 * A scripted WebSocket server for client tests: it hands every decoded request to a handler that answers with
 * whatever frames (or misbehaviour) the test needs, so client behaviour is checked against exact, known bytes.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { decodeFrame } from '../../protocol/ts/frame.js';

/** What a handler gets: the decoded request, its raw bytes, and the socket to answer on. */
export type FakeHandler = (request: Record<string, unknown>, raw: Uint8Array, socket: WebSocket) => void;

/** A running fake server. */
export interface FakeServer {
  url: string;
  /** Every request received, decoded, in arrival order. */
  received: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Starts a fake server on a free loopback port. */
export async function startFakeServer(handler: FakeHandler): Promise<FakeServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, path: '/v1/ws' });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const received: Record<string, unknown>[] = [];
  wss.on('connection', (socket) => {
    socket.on('message', (data: Buffer) => {
      const req = decodeFrame(data) as Record<string, unknown>;
      received.push(req);
      handler(req, data, socket);
    });
  });
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/v1/ws`,
    received,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}
