/** list_envs: every registered environment with its spec. */
import type { OpHandler } from '../op-context.js';

/**
 * The specs are built once per server and rebuilt when the served models change; the array is shared, so encoders
 * must not mutate it. A stale model list is refreshed first (asynchronously, so only then is the reply a Promise).
 */
export const listEnvs: OpHandler<'list_envs'> = (_req, ctx) => {
  const refreshing = ctx.server.dynamics.refreshIfStale();
  if (refreshing) return refreshing.then(() => ({ envs: ctx.server.envSpecs() }));
  return { envs: ctx.server.envSpecs() };
};
