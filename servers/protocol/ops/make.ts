/**
 * make: builds a session (DECISIONS.md 8) after checking every limit, so a refused make allocates nothing lasting.
 * A learned model may have to be loaded from disk, so make answers asynchronously for model dynamics (the connection
 * keeps its reply order); the real environment is made synchronously.
 */
import { getEnvEntry, resolveEnvOptions } from '../../../envs/registry.js';
import type { EnvDefinition } from '../../../src/core/definition.js';
import { TwinGymError } from '../../../src/core/errors.js';
import { EnvSession } from '../../../src/core/session.js';
import type { ResolvedDynamics } from '../../dynamics.js';
import { markLearned } from '../learned.js';
import type { OpContext, OpHandler, RequestOf, ResultOf } from '../op-context.js';

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
  const resolved = resolver.resolve(req.dynamics, definition);
  if (resolved instanceof Promise) return resolved.then((r) => finish(req, ctx, definition, numEnvs, r));
  return finish(req, ctx, definition, numEnvs, resolved);
};

/** Builds the session around resolved dynamics; disposes them when anything fails. */
function finish(req: RequestOf<'make'>, ctx: OpContext, definition: EnvDefinition, numEnvs: number, r: ResolvedDynamics): ResultOf<'make'> {
  const { dynamics, learned } = r;
  let session: EnvSession;
  let handle: number;
  try {
    if (learned && req.contexts !== undefined) {
      throw new TwinGymError(
        'unsupported',
        `make with model "${learned.model}" takes no contexts: a learned session simulates the context its model learned${learned.agent !== undefined ? ` (agent ${learned.agent}'s)` : ''}; leave contexts out, or make the real environment ("true") with them`,
        { dynamics: learned.kind, model: learned.model, path: 'contexts' },
      );
    }
    session = new EnvSession({
      definition,
      numEnvs,
      vectorized: req.vectorized,
      dynamics,
      contexts: r.contexts ?? req.contexts,
      seed: req.seed,
      maxEpisodeSteps: req.max_episode_steps,
      autoreset: req.autoreset,
    });
    // Checked again: another request of this scope may have made a session while the model loaded.
    handle = ctx.sessions.add(session);
  } catch (e) {
    dynamics.dispose?.();
    throw e;
  }
  if (learned) markLearned(session, learned);
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
      dynamics: learned ? { ...learned } : { ...dynamics.info, kind: dynamics.kind },
      options: { ...definition.options },
    },
  };
}
