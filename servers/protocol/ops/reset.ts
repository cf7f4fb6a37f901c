/** reset: new episodes for every env, or the envs of reset_mask (DECISIONS.md 6). */
import { TensorFormatError, decodeTensor, isWireTensorLike } from '../../../protocol/ts/tensor.js';
import { readBatch, tensorError } from '../../../src/core/batch-input.js';
import { TwinGymError } from '../../../src/core/errors.js';
import type { ResetArgs } from '../../../src/core/session.js';
import { refuseContextChange } from '../learned.js';
import { episodeStepValue, obsTensor } from '../observations.js';
import type { OpHandler, RequestOf } from '../op-context.js';

type ResetMaskInput = NonNullable<NonNullable<RequestOf<'reset'>['options']>['reset_mask']>;

/** A reset mask from a bool list or a bool/u8 tensor; its length is the session's to check. */
function readMask(input: ResetMaskInput): ArrayLike<boolean | number> {
  if (!isWireTensorLike(input)) return input;
  let t;
  try {
    t = decodeTensor(input);
  } catch (e) {
    if (e instanceof TensorFormatError) throw tensorError(e, 'options.reset_mask');
    throw e;
  }
  if (t.dtype !== 'bool' && t.dtype !== 'u8') {
    throw new TwinGymError('bad_dtype', `options.reset_mask has dtype ${t.dtype}; send bool (or u8 0/1)`, { path: 'options.reset_mask', got: t.dtype, expected: ['bool', 'u8'] });
  }
  if (t.shape.length !== 1) {
    throw new TwinGymError('bad_shape', `options.reset_mask has shape [${t.shape.join(', ')}]; send one flag per env`, { path: 'options.reset_mask', got: t.shape });
  }
  return t.values as Uint8Array;
}

/** Resets the session and returns the first observations. */
export const reset: OpHandler<'reset'> = (req, ctx) => {
  const session = ctx.sessions.get(req.session);
  const args: ResetArgs = { seed: req.seed };
  const opts = req.options;
  if (opts) {
    if (opts.contexts !== undefined) {
      refuseContextChange(session, 'reset with options.contexts', 'options.contexts');
      args.contexts = opts.contexts;
    }
    if (opts.reset_mask !== undefined) args.resetMask = readMask(opts.reset_mask);
    if (opts.state !== undefined) {
      args.state = readBatch(session.definition.observationSpace, opts.state, session.numEnvs, session.vectorized, 'options.state');
    }
  }
  const r = session.reset(args);
  return { obs: obsTensor(session, r.obs), info: { episode_step: episodeStepValue(session, r.episodeStep) } };
};
