/**
 * Running a protocol op for an HTTP route that is not about a session (models, jobs, compare): the body becomes the
 * op's request and goes through the same dispatcher as a WebSocket frame, so validation, errors and metrics agree.
 */
import type { FastifyReply } from 'fastify';
import type { Op } from '../../protocol/ts/messages.js';
import type { Dispatcher, ReplyValue } from '../protocol/dispatch.js';
import type { OpContext, ServerState } from '../protocol/op-context.js';
import { SessionTable } from '../protocol/session-table.js';
import { sendError } from './errors.js';
import { toJson } from './json-tensors.js';

/** A scope without sessions, for ops that need none. */
export function sessionlessContext(server: ServerState): OpContext {
  return { sessions: new SessionTable(0, 'this HTTP route'), server };
}

/** The reply fields without id and ok, in JSON form. */
export function replyBody(reply: Extract<ReplyValue, { ok: true }>): Record<string, unknown> {
  const { id: _id, ok: _ok, ...rest } = reply;
  return toJson(rest) as Record<string, unknown>;
}

/** Dispatches `op` with `fields` and sends its reply (status `status`) or its error. */
export async function runOp(dispatcher: Dispatcher, ctx: OpContext, op: Op, fields: Record<string, unknown>, reply: FastifyReply, status = 200): Promise<FastifyReply> {
  const result = await dispatcher.dispatch({ ...fields, id: 0, op }, ctx);
  if (!result.ok) return sendError(reply, result.error);
  return reply.code(status).send(replyBody(result));
}
