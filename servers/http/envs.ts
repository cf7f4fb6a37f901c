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
  let version = -1;
  // The JSON form is rebuilt only when the served models (EnvSpec.dynamics) changed.
  const specs = async () => {
    await opts.state.dynamics.refreshIfStale();
    if (cached === null || version !== opts.state.dynamics.version) {
      version = opts.state.dynamics.version;
      cached = toJson(opts.state.envSpecs()) as Array<{ id: string }>;
    }
    return cached;
  };
  app.get('/v1/envs', async () => ({ envs: await specs() }));
  app.get<{ Params: Static<typeof EnvParamsSchema> }>('/v1/envs/:id', { schema: { params: EnvParamsSchema } }, async (request) => {
    getEnvEntry(request.params.id); // unknown_env (404) with the known ids
    return (await specs()).find((s) => s.id === request.params.id);
  });
};
