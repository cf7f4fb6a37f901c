/**
 * One WebSocket connection: its own session table, and a queue that answers requests strictly in arrival order even
 * when a handler is asynchronous. Malformed input is answered (or, for undecodable frames, the socket is closed with a
 * code saying why); the connection never throws into the ws library.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { CLOSE_CODES } from '../../protocol/ts/errors.js';
import { decodeFrame, encodeFrame } from '../../protocol/ts/frame.js';
import { Dispatcher, errorReply, readableId, type ReplyValue } from '../protocol/dispatch.js';
import type { OpContext, ServerState } from '../protocol/op-context.js';
import { SessionTable, type SessionObserver } from '../protocol/session-table.js';
import type { JobEvent, JobListener } from '../jobs/manager.js';

/**
 * Backpressure: a client that pipelines requests but does not read replies would make the server buffer without bound.
 * Above HIGH_WATER unsent bytes the connection stops reading frames; it resumes once the backlog drains below LOW_WATER.
 */
const HIGH_WATER = 8 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;

/** Close reasons are limited to 123 bytes by RFC 6455. */
function reason(text: string): string {
  return Buffer.byteLength(text) <= 123 ? text : Buffer.from(text).subarray(0, 120).toString('utf8');
}

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Per-connection protocol state. */
export class Connection {
  readonly sessions: SessionTable;
  private readonly ctx: OpContext;
  private readonly queue: Buffer[] = [];
  private busy = false;
  private closing = false;
  /** Receives the events of the jobs this connection started; removed from the job manager on dispose. */
  private readonly jobListener: JobListener = (e) => this.sendEvent(e);

  constructor(
    readonly id: number,
    private readonly ws: WebSocket,
    server: ServerState,
    private readonly dispatcher: Dispatcher,
    sessionObserver: SessionObserver,
    private readonly log: FastifyBaseLogger,
  ) {
    this.sessions = new SessionTable(server.limits.maxSessionsPerConnection, 'this connection', sessionObserver);
    this.ctx = { sessions: this.sessions, server, jobListener: this.jobListener };
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
  }

  private get maxFrameBytes(): number {
    return this.ctx.server.limits.maxFrameBytes;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closing) return;
    if (!isBinary) {
      this.closeWith(CLOSE_CODES.unsupported_data, 'text frames are not part of the protocol; send each request as a binary msgpack frame');
      return;
    }
    const frame = asBuffer(data);
    if (this.busy) {
      this.queue.push(frame);
      return;
    }
    this.process(frame);
  }

  /** Handles one frame; when its handler is asynchronous, later frames wait in the queue until it has answered. */
  private process(frame: Buffer): void {
    const reply = this.handle(frame);
    if (reply === null) return;
    if (reply instanceof Promise) {
      this.busy = true;
      // handle() turned rejections into replies, so this promise always fulfils.
      void reply.then((r) => this.finishAsync(r));
      return;
    }
    this.send(reply);
  }

  private finishAsync(reply: ReplyValue): void {
    this.busy = false;
    this.send(reply);
    while (!this.busy && !this.closing && this.queue.length > 0) this.process(this.queue.shift()!);
  }

  /** The reply to a frame, or null when the frame closed the connection. */
  private handle(frame: Buffer): ReplyValue | Promise<ReplyValue> | null {
    if (frame.byteLength > this.maxFrameBytes) {
      let id: number | null = null;
      try {
        id = readableId(decodeFrame(frame));
      } catch {
        // An oversized frame that does not decode still gets its frame_too_large reply, with id nil.
      }
      this.dispatcher.recordError('frame_too_large');
      return errorReply(id, 'frame_too_large', `the frame has ${frame.byteLength} bytes; this server accepts at most ${this.maxFrameBytes} (hello.limits.max_frame_bytes): split the batch over several requests`, { bytes: frame.byteLength, limit: this.maxFrameBytes });
    }
    let request: unknown;
    try {
      request = decodeFrame(frame);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.log.warn({ conn: this.id, bytes: frame.byteLength, cause: why }, 'closing connection: undecodable frame');
      this.closeWith(CLOSE_CODES.undecodable_frame, `undecodable frame: not exactly one msgpack value (${why})`);
      return null;
    }
    try {
      const reply = this.dispatcher.dispatch(request, this.ctx);
      return reply instanceof Promise ? reply.catch((e: unknown) => this.bug(e, request)) : reply;
    } catch (e) {
      return this.bug(e, request);
    }
  }

  /** dispatch answers every failure itself; a throw or rejection reaching here is a bug, which must still be answered. */
  private bug(e: unknown, request: unknown): ReplyValue {
    this.log.error({ err: e, conn: this.id }, 'dispatch failed');
    return errorReply(readableId(request), 'internal', 'the server failed while handling the request (a bug, not your input); report it', {});
  }

  private send(reply: ReplyValue): void {
    if (this.closing || this.ws.readyState !== this.ws.OPEN) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeFrame(reply);
    } catch (e) {
      this.log.error({ err: e, conn: this.id }, 'reply could not be encoded');
      bytes = encodeFrame(errorReply(reply.id, 'internal', 'the server could not encode its reply; report it', {}));
    }
    // The write callback only matters for resuming after backpressure; skipping it on small, unqueued replies keeps the
    // step hot path free of a per-reply closure call.
    const mayPause = this.ws.bufferedAmount + bytes.byteLength > LOW_WATER;
    this.ws.send(bytes, { binary: true }, mayPause ? this.onSent : undefined);
    if (!this.ws.isPaused && this.ws.bufferedAmount > HIGH_WATER) this.ws.pause();
  }

  /** Sends a server-initiated event frame (never counted as a reply by clients). */
  sendEvent(event: JobEvent): void {
    if (this.closing || this.ws.readyState !== this.ws.OPEN) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeFrame(event);
    } catch (e) {
      this.log.error({ err: e, conn: this.id }, 'event could not be encoded');
      return;
    }
    const mayPause = this.ws.bufferedAmount + bytes.byteLength > LOW_WATER;
    this.ws.send(bytes, { binary: true }, mayPause ? this.onSent : undefined);
    if (!this.ws.isPaused && this.ws.bufferedAmount > HIGH_WATER) this.ws.pause();
  }

  /** Called by ws once a reply has been written out (or failed to be). */
  private readonly onSent = (): void => {
    if (this.ws.isPaused && this.ws.bufferedAmount < LOW_WATER && !this.closing) this.ws.resume();
  };

  /** Closes the socket with a protocol close code; later frames are ignored. */
  closeWith(code: number, text: string): void {
    if (this.closing) return;
    this.closing = true;
    this.queue.length = 0;
    try {
      this.ws.close(code, reason(text));
    } catch (e) {
      this.log.warn({ err: e, conn: this.id }, 'close failed; terminating');
      this.ws.terminate();
    }
  }

  /** Frees every session (disconnect or shutdown). */
  dispose(): void {
    this.closing = true;
    this.queue.length = 0;
    this.ctx.server.jobs.removeListener(this.jobListener);
    for (const err of this.sessions.closeAll()) this.log.error({ err, conn: this.id }, 'a session failed to close');
  }
}
