/** The job ops: start_job, job_status, list_jobs, cancel_job (SPEC.md, jobs). */
import type { OpHandler } from '../op-context.js';

/** Validates and queues a job; the calling connection gets its events unless subscribe is false. */
export const startJob: OpHandler<'start_job'> = async (req, ctx) => {
  const listener = req.subscribe === false ? undefined : ctx.jobListener;
  return { job: await ctx.server.jobs.start(req.kind, req.params, listener) };
};

/** One job's current state. */
export const jobStatus: OpHandler<'job_status'> = (req, ctx) => ({ job: ctx.server.jobs.get(req.job) });

/** Every job of the server, newest first. */
export const listJobs: OpHandler<'list_jobs'> = (_req, ctx) => ({ jobs: ctx.server.jobs.list() });

/** Cancels a job (a finished one is returned unchanged). */
export const cancelJob: OpHandler<'cancel_job'> = async (req, ctx) => ({ job: await ctx.server.jobs.cancel(req.job) });
