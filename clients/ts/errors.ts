/**
 * The one error type the client throws. A server error reply keeps its stable protocol code; failures the server never
 * got to answer (the connection dropped, a time-out, a reply that breaks the protocol) get client codes, so a caller can
 * tell "the server refused this request" from "nobody answered it".
 */
import { CLOSE_CODES, type ErrorCode } from '../../protocol/ts/errors.js';

/** Codes for failures detected by the client itself rather than reported by the server. */
export type ClientErrorCode =
  /** The WebSocket could not be opened (refused, unreachable, HTTP error on upgrade other than 401). */
  | 'connection_failed'
  /** The connection closed (or was closed) before the reply arrived. details.close_code says why. */
  | 'connection_closed'
  /** No reply within timeoutMs. The server may still execute the request; its late reply is discarded. */
  | 'timeout'
  /** The server sent something the protocol does not allow (a text frame, a reply out of order, an unreadable frame). */
  | 'protocol_error'
  /** runJob: the job was cancelled (by this or another client, or a server shutdown) before it finished. */
  | 'cancelled';

/**
 * A code carried by TwinGymClientError: a protocol error code, a client code, or (from a newer server) a code this
 * client does not know yet, kept verbatim.
 */
export type TwinGymErrorCode = ErrorCode | ClientErrorCode | (string & {});

/** Every failure of a client call: `code` is stable, `message` explains it, `details` is the server's details map. */
export class TwinGymClientError extends Error {
  /** Stable machine-readable code (see protocol/ts/errors.ts and ClientErrorCode). */
  readonly code: TwinGymErrorCode;
  /** The server's details (e.g. path, expected, got) or, for client codes, what the client knows. */
  readonly details: Readonly<Record<string, unknown>>;
  /** The op of the request that failed, when the failure belongs to one request. */
  readonly op: string | undefined;

  /** Builds an error; `op` names the request it answers, when there is one. */
  constructor(code: TwinGymErrorCode, message: string, details: Record<string, unknown> = {}, op?: string) {
    super(op ? `${op}: ${message} [${code}]` : `${message} [${code}]`);
    this.name = 'TwinGymClientError';
    this.code = code;
    this.details = details;
    this.op = op;
  }
}

const CLOSE_REASONS: Record<number, string> = {
  [CLOSE_CODES.normal]: 'the connection was closed normally',
  [CLOSE_CODES.going_away]: 'the server is shutting down',
  1003: 'the server received a text frame; the protocol uses binary frames only',
  1006: 'the connection dropped without a close frame (server crashed, killed, or network failure)',
  [CLOSE_CODES.undecodable_frame]: 'the server could not decode a frame as msgpack',
  [CLOSE_CODES.policy_violation]: 'the server closed the connection for a policy violation',
  [CLOSE_CODES.frame_too_large]: 'a frame exceeded 4 x max_frame_bytes',
  [CLOSE_CODES.unauthorized]: 'the server requires a valid token',
  [CLOSE_CODES.server_busy]: 'the server is at its connection capacity',
};

/** A human explanation of a WebSocket close code, so a rejected request says why the socket went away. */
export function describeCloseCode(code: number): string {
  return CLOSE_REASONS[code] ?? `the connection closed with code ${code}`;
}

/** True when `e` is the server's answer that a job id is unknown (never issued, or forgotten after its retention). */
export function isUnknownJob(e: unknown): e is TwinGymClientError {
  return e instanceof TwinGymClientError && e.code === 'unknown_job';
}
