/** list_models and compare: the learned models the server serves, and how they compare with the real systems. */
import { getEnvEntry } from '../../../envs/registry.js';
import { compareModel } from '../../../src/jobs/compare.js';
import type { OpHandler } from '../op-context.js';

/** Every served model (optionally of one environment), freshly listed; refreshes the names list_envs reports. */
export const listModels: OpHandler<'list_models'> = async (req, ctx) => {
  if (req.env_id !== undefined) getEnvEntry(req.env_id);
  return { models: await ctx.server.dynamics.listModels(req.env_id) };
};

/**
 * PerSim's sim-versus-real protocol for one trained agent, run on the request path: it is batched over episodes and
 * bounded (200 episodes of at most 20,000 steps), and bigger studies belong in a compare job.
 */
export const compare: OpHandler<'compare'> = (req, ctx) => compareModel({
  model: req.model, agent: req.agent, episodes: req.episodes, seed: req.seed, warmup: req.warmup, horizon: req.horizon, policy: req.policy,
}, ctx.server.dynamics.models);
