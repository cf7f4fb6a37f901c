/** step: the hot path. One validated read of the actions, one session step, one reply object (DECISIONS.md 5). */
import { readBatch } from '../../../src/core/batch-input.js';
import { boolTensor, episodeStepValue, obsTensor } from '../observations.js';
import type { OpHandler, ResultOf } from '../op-context.js';
import { encodeTensor } from '../../../protocol/ts/tensor.js';

/** Steps every env of the session. */
export const step: OpHandler<'step'> = (req, ctx) => {
  const session = ctx.sessions.get(req.session);
  const actions = readBatch(session.definition.actionSpace, req.action, session.numEnvs, session.vectorized, 'action');
  const r = session.step(actions);
  ctx.server.countSteps(session.numEnvs);
  if (!session.vectorized) {
    return {
      obs: obsTensor(session, r.obs),
      reward: r.reward[0],
      terminated: r.terminated[0] === 1,
      truncated: r.truncated[0] === 1,
      info: { episode_step: r.episodeStep[0] },
    };
  }
  const n = session.numEnvs;
  const reply: ResultOf<'step'> = {
    obs: obsTensor(session, r.obs),
    reward: encodeTensor('f64', [n], r.reward),
    terminated: boolTensor(r.terminated),
    truncated: boolTensor(r.truncated),
    info: { episode_step: episodeStepValue(session, r.episodeStep) },
  };
  if (r.finalObs && r.finalMask) {
    reply.info.final_obs = obsTensor(session, r.finalObs);
    reply.info.final_mask = boolTensor(r.finalMask);
  }
  return reply;
};
