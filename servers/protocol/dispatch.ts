/**
 * The request pipeline both transports share (DECISIONS.md 10): shape of the request -> op known -> fields known ->
 * schema -> handler. Every failure becomes an error reply; nothing a client sends can throw out of dispatch.
 */
import { randomUUID } from 'node:crypto';
import type { TSchema } from '@sinclair/typebox';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { ERROR_CODES, isErrorCode, type ErrorCode, type WireError } from '../../protocol/ts/errors.js';
import { OPS, RESERVED_OPS, type Op } from '../../protocol/ts/messages.js';
import { TwinGymError } from '../../src/core/errors.js';
import { OP_HANDLERS } from './ops/index.js';
import type { OpContext } from './op-context.js';
import { OP_FIELDS, REQUEST_VALIDATORS, schemaError, unknownField } from './validators.js';

/** A reply as sent: {id, ok: true, ...result} or {id, ok: false, error}. */
export type ReplyValue = { id: number | null; ok: true; [field: string]: unknown } | { id: number | null; ok: false; error: WireError };

/** Where dispatch reports what it did (metrics) and what went wrong unexpectedly (logs). */
export interface DispatchObserver {
  /** A request of a known op arrived. */
  request(op: Op): void;
  /** A request was answered with an error. */
  error(code: ErrorCode): void;
  /** A step request finished; `seconds` is its handling time. */
  stepLatency(seconds: number): void;
  /** A handler threw something other than a TwinGymError: a server bug. */
  internal(err: unknown, requestId: string, op: string): void;
}

const KNOWN_OPS: ReadonlySet<string> = new Set(OPS);
const RESERVED: ReadonlySet<string> = new Set(RESERVED_OPS);

/** An error reply for `id`. */
export function errorReply(id: number | null, code: ErrorCode, message: string, details: Record<string, unknown> = {}): ReplyValue {
  return { id, ok: false, error: { code, message, details } };
}

function isUintId(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** The request id if the value is a map carrying a valid one, else null (for replies to unreadable requests). */
export function readableId(value: unknown): number | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return null;
  const id = (value as Record<string, unknown>).id;
  return isUintId(id) ? id : null;
}

/** Runs requests against one scope's sessions. */
export class Dispatcher {
  constructor(private readonly observer: DispatchObserver) {}

  /**
   * Answers one decoded request. Synchronous handlers answer synchronously (the hot path allocates no promise); a
   * handler that returns a Promise yields a Promise, which the caller must await before answering the next request.
   */
  dispatch(request: unknown, ctx: OpContext): ReplyValue | Promise<ReplyValue> {
    if (typeof request !== 'object' || request === null || Array.isArray(request) || request instanceof Uint8Array) {
      return this.fail(null, 'invalid_request', `a request must be a msgpack map {id, op, ...fields}; got ${kindOf(request)}`);
    }
    const req = request as Record<string, unknown>;
    const id = req.id;
    if (!isUintId(id)) {
      return this.fail(null, 'invalid_request', `the request has ${id === undefined ? 'no id' : `id ${kindOf(id)}`}; every request needs an integer id >= 0 (below 2^53)`, { field: 'id' });
    }
    const op = req.op;
    if (typeof op !== 'string') {
      return this.fail(id, 'invalid_request', `the request has ${op === undefined ? 'no op' : `op ${kindOf(op)}`}; op must be a string naming the operation`, { field: 'op' });
    }
    if (!KNOWN_OPS.has(op)) {
      if (RESERVED.has(op)) {
        return this.fail(id, 'unknown_op', `op "${op}" is reserved for a later protocol version and not implemented by this server; see hello.capabilities`, { op, reserved: true });
      }
      return this.fail(id, 'unknown_op', `unknown op "${op}"; this server implements ${OPS.join(', ')}`, { op, reserved: false });
    }
    const known = op as Op;
    this.observer.request(known);
    const extra = unknownField(req, OP_FIELDS[known]);
    if (extra !== undefined) {
      return this.fail(id, 'unknown_field', `${known} has no field "${extra}"; remove it or check its spelling (fields: ${[...OP_FIELDS[known]].join(', ')})`, { field: extra, op: known });
    }
    const validator = REQUEST_VALIDATORS[known] as TypeCheck<TSchema>;
    if (!validator.Check(req)) return this.failWith(id, schemaError(validator, req, known));
    return this.run(known, id, req, ctx);
  }

  /** Counts an error answered outside dispatch (frame_too_large is decided before a request is decoded). */
  recordError(code: ErrorCode): void {
    this.observer.error(code);
  }

  private run(op: Op, id: number, req: Record<string, unknown>, ctx: OpContext): ReplyValue | Promise<ReplyValue> {
    const started = op === 'step' ? performance.now() : 0;
    let result: unknown;
    try {
      result = (OP_HANDLERS[op] as (r: unknown, c: OpContext) => unknown)(req, ctx);
    } catch (e) {
      return this.failFromException(op, id, e);
    }
    if (result instanceof Promise) {
      return result.then(
        (r: object) => this.succeed(op, id, r, started),
        (e: unknown) => this.failFromException(op, id, e),
      );
    }
    return this.succeed(op, id, result as object, started);
  }

  private succeed(op: Op, id: number, result: object, started: number): ReplyValue {
    if (op === 'step') this.observer.stepLatency((performance.now() - started) / 1000);
    return Object.assign({ id, ok: true as const }, result);
  }

  private failFromException(op: string, id: number, e: unknown): ReplyValue {
    if (e instanceof TwinGymError && isErrorCode(e.code)) return this.failWith(id, e);
    const requestId = randomUUID();
    this.observer.internal(e, requestId, op);
    return this.fail(id, 'internal', `the server failed on a valid ${op} request (a bug, not your input); ${ERROR_CODES.internal.fix.replace('details.request_id', requestId)}`, { request_id: requestId });
  }

  private failWith(id: number | null, e: TwinGymError): ReplyValue {
    return this.fail(id, e.code, e.message, e.details);
  }

  private fail(id: number | null, code: ErrorCode, message: string, details: Record<string, unknown> = {}): ReplyValue {
    this.observer.error(code);
    return errorReply(id, code, message, details);
  }
}

function kindOf(v: unknown): string {
  if (v === null) return 'nil';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'bigint') return `${v} (beyond 2^53)`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  if (typeof v === 'number') return String(v);
  return `a ${typeof v}`;
}
