/** GET /v1/envs and /v1/envs/:id: environment specs in their JSON form. */
import type { FastifyPluginAsync } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { getEnvEntry } from '../../envs/registry.js';
import type { ServerState } from '../protocol/op-context.js';
import { EnvParamsSchema } from './json-schemas.js';
import { toJson } from './json-tensors.js';

/** What the env routes need. */
export interface EnvRoutesOptions {
  state: ServerState;
}

/** Registers the env listing routes. */
export const envRoutes: FastifyPluginAsync<EnvRoutesOptions> = async (app, opts) => {
  let cached: Array<{ id: string }> | null = null;
  const specs = () => (cached ??= toJson(opts.state.envSpecs()) as Array<{ id: string }>);
  app.get('/v1/envs', async () => ({ envs: specs() }));
  app.get<{ Params: Static<typeof EnvParamsSchema> }>('/v1/envs/:id', { schema: { params: EnvParamsSchema } }, async (request) => {
    getEnvEntry(request.params.id); // unknown_env (404) with the known ids
    return specs().find((s) => s.id === request.params.id);
  });
};
