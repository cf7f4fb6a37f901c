/** GET /v1/models (?env_id=) and /v1/models/:id, and POST /v1/compare: the served models and sim-versus-real runs. */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Dispatcher } from '../protocol/dispatch.js';
import type { ServerState } from '../protocol/op-context.js';
import { bodySchemaOf } from './json-schemas.js';
import { toJson } from './json-tensors.js';
import { runOp, sessionlessContext } from './ops.js';

/** What the model routes need. */
export interface ModelRoutesOptions {
  state: ServerState;
  dispatcher: Dispatcher;
}

const ModelQuerySchema = Type.Object({ env_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false });
const ModelParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

/** Registers the model routes. */
export const modelRoutes: FastifyPluginAsync<ModelRoutesOptions> = async (app, opts) => {
  const ctx = sessionlessContext(opts.state);
  app.get<{ Querystring: Static<typeof ModelQuerySchema> }>('/v1/models', { schema: { querystring: ModelQuerySchema } }, async (request, reply) =>
    runOp(opts.dispatcher, ctx, 'list_models', request.query.env_id === undefined ? {} : { env_id: request.query.env_id }, reply));
  app.get<{ Params: Static<typeof ModelParamsSchema> }>('/v1/models/:id', { schema: { params: ModelParamsSchema } }, async (request) =>
    toJson(await opts.state.dynamics.describe(request.params.id)));
  app.post<{ Body: Record<string, unknown> }>('/v1/compare', { schema: { body: bodySchemaOf('compare') } }, async (request, reply) =>
    runOp(opts.dispatcher, ctx, 'compare', request.body ?? {}, reply));
};
