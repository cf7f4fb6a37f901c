/**
 * The WebSocket endpoint at /v1/ws, attached to fastify's HTTP server so both share one port. Upgrades are checked
 * (path, token, shutdown) before a socket exists; a refused upgrade gets a plain HTTP status with a JSON reason.
 */
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE_CODES } from '../../protocol/ts/errors.js';
import { TokenAuth, unauthorizedBody } from '../auth.js';
import type { ServerMetrics } from '../metrics.js';
import type { Dispatcher } from '../protocol/dispatch.js';
import type { ServerState } from '../protocol/op-context.js';
import { Connection } from './connection.js';

/** The path of the protocol endpoint. */
export const WS_PATH = '/v1/ws';

/** What the endpoint needs from the server. */
export interface WsEndpointDeps {
  httpServer: Server;
  state: ServerState;
  dispatcher: Dispatcher;
  auth: TokenAuth;
  metrics: ServerMetrics;
  log: FastifyBaseLogger;
  /** True once shutdown has begun: new upgrades are refused. */
  shuttingDown(): boolean;
}

/** The running endpoint. */
export interface WsEndpoint {
  /** Open connections. */
  readonly size: number;
  /** Closes every connection with `code` (1001 on shutdown), frees their sessions, and stops accepting upgrades. */
  close(code: number, text: string): Promise<void>;
}

function refuse(socket: Duplex, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

/** Starts handling upgrades on the HTTP server. */
export function attachWebSocket(deps: WsEndpointDeps): WsEndpoint {
  const { state, log, metrics } = deps;
  const limits = state.limits;
  // ws closes with 1009 beyond maxPayload; frames between 1x and 4x get a frame_too_large reply instead (DECISIONS 10).
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * limits.maxFrameBytes, perMessageDeflate: false, clientTracking: false });
  const open = new Map<WebSocket, Connection>();
  let nextId = 1;
  const sessionObserver = metrics.sessionObserver('ws');

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', (err) => log.debug({ err }, 'upgrade socket error'));
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      refuse(socket, 400, { error: { code: 'invalid_request', message: 'malformed request URL', details: {} } });
      return;
    }
    if (url.pathname !== WS_PATH) {
      refuse(socket, 404, { error: { code: 'invalid_request', message: `no WebSocket endpoint at ${url.pathname}; connect to ${WS_PATH}`, details: { path: url.pathname } } });
      return;
    }
    if (!deps.auth.acceptsUpgrade(req.headers, url)) {
      log.info({ remote: req.socket.remoteAddress }, 'WebSocket upgrade refused: missing or wrong token');
      refuse(socket, 401, unauthorizedBody('ws'));
      return;
    }
    if (deps.shuttingDown()) {
      refuse(socket, 503, { error: { code: 'busy', message: 'the server is shutting down; reconnect to another replica or retry later', details: {} } });
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (open.size >= limits.maxConnections) {
        log.warn({ limit: limits.maxConnections }, 'connection refused: server at its connection limit');
        ws.close(CLOSE_CODES.server_busy, `server at its connection limit (${limits.maxConnections}); retry later`);
        return;
      }
      const conn = new Connection(nextId++, ws, state, deps.dispatcher, sessionObserver, log);
      open.set(ws, conn);
      metrics.connectionDelta(1);
      log.info({ conn: conn.id, remote: req.socket.remoteAddress }, 'connection open');
      ws.on('error', (err) => log.warn({ err, conn: conn.id }, 'connection error'));
      ws.on('close', (code, why) => {
        if (!open.delete(ws)) return;
        metrics.connectionDelta(-1);
        conn.dispose();
        log.info({ conn: conn.id, code, reason: why.toString('utf8') }, 'connection closed');
      });
    });
  };
  deps.httpServer.on('upgrade', onUpgrade);

  return {
    get size() {
      return open.size;
    },
    async close(code, text) {
      // The upgrade listener stays until the end: during shutdown it answers 503 busy (without it, Node would hand
      // upgrade requests to fastify as plain requests).
      const waits: Promise<void>[] = [];
      for (const [ws, conn] of open) {
        waits.push(new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) return resolve();
          const timer = setTimeout(() => ws.terminate(), 2000);
          ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
        }));
        conn.closeWith(code, text);
      }
      await Promise.all(waits);
      for (const [ws, conn] of open) {
        open.delete(ws);
        metrics.connectionDelta(-1);
        conn.dispose();
      }
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      deps.httpServer.off('upgrade', onUpgrade);
    },
  };
}
