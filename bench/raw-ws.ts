/**
 * The baseline client: a bare ws socket with msgpack frames and one request in flight, the least work a client can
 * do per round trip. The benchmarks measure the TwinGym client against it.
 */
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../protocol/ts/frame.js';

/** A minimal request/reply socket. */
export class RawSocket {
  private waiting: ((data: Buffer) => void) | null = null;
  /** Bytes of the last reply, for reporting frame sizes. */
  lastReplyBytes = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const w = this.waiting;
      this.waiting = null;
      this.lastReplyBytes = data.byteLength;
      w?.(data);
    });
  }

  /** Opens a socket with the same options the client uses (no compression, Buffers). */
  static open(url: string): Promise<RawSocket> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawSocket(ws)));
      ws.once('error', reject);
    });
  }

  /** Sends already encoded bytes and resolves with the raw reply. */
  sendRaw(bytes: Uint8Array): Promise<Buffer> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.ws.send(bytes);
    });
  }

  /** Encodes, sends, and decodes the reply: one msgpack round trip. */
  async call(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    return decodeFrame(await this.sendRaw(encodeFrame(msg))) as Record<string, unknown>;
  }

  /** Closes the socket. */
  close(): void {
    this.ws.close();
  }
}
