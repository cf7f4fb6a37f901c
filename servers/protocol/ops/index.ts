/** The handler of every op of REQUEST_SCHEMAS; the type makes a missing op a compile error. */
import type { Op } from '../../../protocol/ts/messages.js';
import type { OpHandler } from '../op-context.js';
import { close } from './close.js';
import { getContext, setContext } from './context.js';
import { hello } from './hello.js';
import { cancelJob, jobStatus, listJobs, startJob } from './jobs.js';
import { compare, listModels } from './models.js';
import { listEnvs } from './list-envs.js';
import { make } from './make.js';
import { plan } from './plan.js';
import { render } from './render.js';
import { reset } from './reset.js';
import { rollout } from './rollout.js';
import { getState, setState } from './state.js';
import { step } from './step.js';

/** Op name -> handler, used by the dispatcher. */
export const OP_HANDLERS: { readonly [O in Op]: OpHandler<O> } = {
  hello,
  list_envs: listEnvs,
  make,
  reset,
  step,
  close,
  get_context: getContext,
  set_context: setContext,
  get_state: getState,
  set_state: setState,
  render,
  rollout,
  plan,
  list_models: listModels,
  start_job: startJob,
  job_status: jobStatus,
  list_jobs: listJobs,
  cancel_job: cancelJob,
  compare,
};
