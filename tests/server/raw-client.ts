/**
 * A deliberately raw protocol client for the server tests: a ws socket plus encodeFrame/decodeFrame, nothing else, so
 * the tests check the wire itself rather than a client library's interpretation of it.
 */
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../protocol/ts/frame.js';

/** A decoded reply (a msgpack map). */
export type Msg = Record<string, any>;

/** Why and how the server closed the socket. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** One connection that queues decoded frames for the test to take in order. */
export class RawClient {
  private readonly inbox: Msg[] = [];
  private readonly waiters: Array<{ resolve: (m: Msg) => void; reject: (e: Error) => void }> = [];
  private closeInfo: CloseInfo | null = null;
  private readonly closeWaiters: Array<(c: CloseInfo) => void> = [];
  private nextId = 1;
  /** Every event frame received ({event, ...} without id), in arrival order; replies never land here. */
  readonly events: Msg[] = [];
  private readonly eventWaiters: Array<{ test: (e: Msg) => boolean; resolve: (m: Msg) => void }> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const msg = isBinary ? (decodeFrame(data) as Msg) : { text: data.toString('utf8') };
      if (typeof msg.event === 'string' && !('id' in msg)) {
        this.events.push(msg);
        for (const w of [...this.eventWaiters]) {
          if (w.test(msg)) {
            this.eventWaiters.splice(this.eventWaiters.indexOf(w), 1);
            w.resolve(msg);
          }
        }
        return;
      }
      const w = this.waiters.shift();
      if (w) w.resolve(msg);
      else this.inbox.push(msg);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closeInfo = { code, reason: reason.toString('utf8') };
      for (const w of this.waiters.splice(0)) w.reject(new Error(`socket closed (${code} ${this.closeInfo.reason}) while a reply was awaited`));
      for (const c of this.closeWaiters.splice(0)) c(this.closeInfo);
    });
    ws.on('error', () => undefined);
  }

  /** Opens a connection; rejects with the HTTP status when the upgrade is refused. */
  static connect(url: string, headers: Record<string, string> = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, maxPayload: 1 << 30 });
      ws.once('open', () => resolve(new RawClient(ws)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString('utf8'); });
        res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body })));
      });
      ws.once('error', reject);
    });
  }

  /** Sends a request map; fills in an id when none is given. Returns the id used. */
  send(request: Msg): number {
    const msg = 'id' in request ? request : { id: this.nextId++, ...request };
    this.ws.send(encodeFrame(msg));
    return msg.id as number;
  }

  /** Sends bytes (binary frame) or a string (text frame) as they are. */
  sendRaw(data: Uint8Array | string): void {
    this.ws.send(data, { binary: typeof data !== 'string' });
  }

  /** The next frame from the server. */
  next(): Promise<Msg> {
    const m = this.inbox.shift();
    if (m) return Promise.resolve(m);
    if (this.closeInfo) return Promise.reject(new Error(`socket closed (${this.closeInfo.code})`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The first event (already received or still to come) that passes `test`. */
  event(test: (e: Msg) => boolean): Promise<Msg> {
    const seen = this.events.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.eventWaiters.push({ test, resolve }));
  }

  /** Sends a request and returns its reply. */
  async request(request: Msg): Promise<Msg> {
    this.send(request);
    return this.next();
  }

  /** A request that must succeed: returns the reply, throws with the error otherwise. */
  async ok(request: Msg): Promise<Msg> {
    const r = await this.request(request);
    if (r.ok !== true) throw new Error(`${request.op} failed: ${JSON.stringify(r.error)}`);
    return r;
  }

  /** Resolves when the server (or we) closed the socket. */
  closed(): Promise<CloseInfo> {
    if (this.closeInfo) return Promise.resolve(this.closeInfo);
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** Closes our side and waits for the close to complete. */
  async close(): Promise<void> {
    if (!this.closeInfo) {
      this.ws.close(1000);
      await this.closed();
    }
  }
}
