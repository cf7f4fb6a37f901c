/** make: builds a session (DECISIONS.md 8) after checking every limit, so a refused make allocates nothing lasting. */
import { getEnvEntry, resolveEnvOptions } from '../../../envs/registry.js';
import type { Dynamics } from '../../../src/core/definition.js';
import { TwinGymError } from '../../../src/core/errors.js';
import { EnvSession } from '../../../src/core/session.js';
import type { OpHandler } from '../op-context.js';

/** Creates a session of an environment on the caller's scope and describes it. */
export const make: OpHandler<'make'> = (req, ctx) => {
  const { limits, dynamics: resolver } = ctx.server;
  const numEnvs = req.num_envs ?? 1;
  if (numEnvs > limits.maxEnvsPerSession) {
    throw new TwinGymError('too_many_envs', `num_envs ${numEnvs} exceeds this server's limit of ${limits.maxEnvsPerSession} envs per session; use several sessions`, { limit: limits.maxEnvsPerSession, num_envs: numEnvs });
  }
  if (numEnvs < 1) throw new TwinGymError('invalid_argument', 'num_envs must be at least 1', { path: 'num_envs' });
  ctx.sessions.assertRoom();
  const entry = getEnvEntry(req.env_id);
  const definition = entry.build(resolveEnvOptions(entry, req.options ?? {}));
  const dynamics: Dynamics = resolver.resolve(req.dynamics, definition);
  let session: EnvSession;
  try {
    session = new EnvSession({
      definition,
      numEnvs,
      vectorized: req.vectorized,
      dynamics,
      contexts: req.contexts,
      seed: req.seed,
      maxEpisodeSteps: req.max_episode_steps,
      autoreset: req.autoreset,
    });
  } catch (e) {
    dynamics.dispose?.();
    throw e;
  }
  const handle = ctx.sessions.add(session);
  const vector = session.vectorized;
  return {
    session: handle,
    env_id: definition.id,
    num_envs: numEnvs,
    vectorized: vector,
    observation_space: vector ? definition.observationSpace.batched(numEnvs).spec() : definition.observationSpace.spec(),
    action_space: vector ? definition.actionSpace.batched(numEnvs).spec() : definition.actionSpace.spec(),
    single_observation_space: definition.observationSpace.spec(),
    single_action_space: definition.actionSpace.spec(),
    contexts: session.getContexts(),
    metadata: {
      render_modes: ['svg'],
      autoreset: session.autoreset,
      reward_range: [definition.rewardRange[0], definition.rewardRange[1]],
      max_episode_steps: session.maxEpisodeSteps,
      dynamics: { ...dynamics.info, kind: dynamics.kind },
      options: { ...definition.options },
    },
  };
};
