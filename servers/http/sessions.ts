/**
 * The JSON session API (DECISIONS.md 12). Each route turns its body into the protocol request of its op and runs the
 * same dispatcher as the WebSocket path, so an op behaves identically over both transports.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { Op } from '../../protocol/ts/messages.js';
import type { Dispatcher, ReplyValue } from '../protocol/dispatch.js';
import type { OpContext, ServerState } from '../protocol/op-context.js';
import { bodySchemaOf, SessionParamsSchema } from './json-schemas.js';
import { bytesFromBase64, fromJson, toJson } from './json-tensors.js';
import { sendError } from './errors.js';
import type { HttpSessionStore } from './session-store.js';
import { TwinGymError } from '../../src/core/errors.js';

/** What the session routes need. */
export interface SessionRoutesOptions {
  state: ServerState;
  dispatcher: Dispatcher;
  store: HttpSessionStore;
}

/** Ops reachable as POST /v1/sessions/:sid/<op>. */
const SESSION_OPS = ['reset', 'step', 'get_context', 'set_context', 'get_state', 'set_state', 'render', 'rollout', 'plan'] as const satisfies readonly Op[];

type Params = Static<typeof SessionParamsSchema>;

/** Top-level body fields whose strings are text, not non-finite numbers. */
const TEXT_FIELDS: ReadonlySet<string> = new Set(['env_id', 'dynamics', 'autoreset', 'options', 'mode', 'state']);
/** reset's `options` holds numbers (contexts, state), unlike make's env options. */
const RESET_TEXT_FIELDS: ReadonlySet<string> = new Set();

/** The reply fields without id and ok, in JSON form. */
function resultBody(reply: Extract<ReplyValue, { ok: true }>): Record<string, unknown> {
  const { id: _id, ok: _ok, ...rest } = reply;
  return toJson(rest) as Record<string, unknown>;
}

/** Registers the session routes. */
export const sessionRoutes: FastifyPluginAsync<SessionRoutesOptions> = async (app, opts) => {
  const ctx: OpContext = { sessions: opts.store.table, server: opts.state };
  const run = async (request: Record<string, unknown>, reply: FastifyReply, shape: (r: Extract<ReplyValue, { ok: true }>) => Record<string, unknown>) => {
    const result = await opts.dispatcher.dispatch(request, ctx);
    if (!result.ok) return sendError(reply, result.error);
    return reply.send(shape(result));
  };

  app.post<{ Body: Record<string, unknown> }>('/v1/sessions', { schema: { body: bodySchemaOf('make') } }, async (request, reply) => {
    const fields = fromJson(request.body ?? {}, TEXT_FIELDS) as Record<string, unknown>;
    // dynamics is text ("true", a model id) except for a personalisation trajectory, whose tensors are JSON ones.
    const dyn = fields.dynamics as { trajectory?: unknown } | undefined;
    if (dyn && typeof dyn === 'object' && dyn.trajectory !== undefined) fields.dynamics = { ...dyn, trajectory: fromJson(dyn.trajectory, new Set(), 'dynamics.trajectory') };
    return run({ ...fields, id: 0, op: 'make' }, reply, (r) => {
      const body = resultBody(r);
      body.session = opts.store.register(r.session as number);
      return body;
    });
  });

  for (const op of SESSION_OPS) {
    app.post<{ Params: Params; Body: Record<string, unknown> }>(
      `/v1/sessions/:sid/${op}`,
      { schema: { params: SessionParamsSchema, body: bodySchemaOf(op) } },
      async (request, reply) => {
        const handle = opts.store.handleOf(request.params.sid);
        const fields = fromJson(request.body ?? {}, op === 'reset' ? RESET_TEXT_FIELDS : TEXT_FIELDS) as Record<string, unknown>;
        if (op === 'set_state' && typeof fields.state === 'string') fields.state = bytesFromBase64(fields.state, 'state');
        return run({ ...fields, id: 0, op, session: handle }, reply, (r) => resultBody(r));
      },
    );
  }

  // Any other op name under a session: the same unknown_op answer the WebSocket path gives.
  app.post<{ Params: Params & { op: string } }>('/v1/sessions/:sid/:op', async (request) => {
    throw new TwinGymError('unknown_op', `no session route "${request.params.op}"; the HTTP API offers ${SESSION_OPS.join(', ')} (and DELETE /v1/sessions/:sid)`, { op: request.params.op });
  });

  app.delete<{ Params: Params }>('/v1/sessions/:sid', { schema: { params: SessionParamsSchema } }, async (request, reply) => {
    const handle = opts.store.detach(request.params.sid);
    if (handle === null) return { closed: false };
    return run({ id: 0, op: 'close', session: handle }, reply, (r) => resultBody(r));
  });
};
