/**
 * rollout: a batch of imagined action sequences on the session's dynamics in one request (issue 7). Runs
 * synchronously: a rollout at the default limit on a classic env takes well under a second, and the limit bounds it.
 * The session is only read, so any error leaves it as it was.
 */
import { DTYPE_SIZE, encodeTensor } from '../../../protocol/ts/tensor.js';
import { Rng } from '../../../src/core/rng.js';
import { ensembleSize } from '../../../src/planning/ensemble.js';
import { rollout as runRollout } from '../../../src/planning/rollout.js';
import { TwinGymError } from '../../../src/core/errors.js';
import type { OpHandler, ResultOf } from '../op-context.js';
import { refuseContextChange } from '../learned.js';
import { checkWork, contextRow, envIndex, readSequences, readStart } from './rollout-input.js';

/** Evaluates action sequences and returns observations, rewards and terminations. */
export const rollout: OpHandler<'rollout'> = (req, ctx) => {
  const session = ctx.sessions.get(req.session);
  const def = session.definition;
  const env = envIndex(session, req.env);
  const { batch, horizon, actions } = readSequences(session, req.actions);
  const perMember = req.per_member ?? false;
  const members = perMember ? ensembleSize(session.dynamics) : 1;
  const { limits } = ctx.server;
  const transitions = checkWork(`rollout of ${batch} x ${horizon}${members > 1 ? ` x ${members} members` : ''}`, batch, horizon * members, limits.maxRolloutSteps,
    (fit) => `split the sequences into requests of at most ${fit} sequences (${Math.ceil(batch / fit)} requests)`);
  const includeObs = req.include_obs ?? true;
  const obsBytes = transitions * def.observationSpace.size * DTYPE_SIZE[def.observationSpace.dtype];
  if (includeObs && obsBytes > limits.maxFrameBytes) {
    throw new TwinGymError(
      'batch_too_large',
      `the observations of this rollout would take ${obsBytes} bytes, more than max_frame_bytes ${limits.maxFrameBytes}; set include_obs false (rewards and terminations are still returned) or split the sequences over several requests`,
      { bytes: obsBytes, limit: limits.maxFrameBytes },
    );
  }
  const start = readStart(session, env, req.start, batch);
  if (req.contexts !== undefined) refuseContextChange(session, 'rollout with contexts', 'contexts');
  const contexts = contextRow(session, env, req.contexts);
  const r = runRollout({
    definition: def, dynamics: session.dynamics, batch, horizon, start, actions: actions(), contexts, perMember,
    rng: Rng.fromSeed(req.seed ?? 0), keepObservations: includeObs,
  });
  const lead = perMember ? [members, batch, horizon] : [batch, horizon];
  const reply: ResultOf<'rollout'> = {
    reward: encodeTensor('f64', lead, r.rewards),
    terminated: { dtype: 'bool', shape: lead, data: r.terminated },
    members,
    transitions,
  };
  if (includeObs) reply.obs = encodeTensor(def.observationSpace.dtype, [...lead, ...def.observationSpace.shape], r.observations!);
  return reply;
};
