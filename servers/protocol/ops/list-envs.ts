/** list_envs: every registered environment with its spec. */
import type { OpHandler } from '../op-context.js';

/** The specs are built once per server; the array is shared, so encoders must not mutate it. */
export const listEnvs: OpHandler<'list_envs'> = (_req, ctx) => ({ envs: ctx.server.envSpecs() });
