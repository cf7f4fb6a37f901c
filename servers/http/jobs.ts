/**
 * The job routes: POST /v1/jobs (202), GET /v1/jobs, GET /v1/jobs/:id, DELETE /v1/jobs/:id (cancel), and
 * GET /v1/jobs/:id/events, a server-sent event stream of the job's job_progress and job_finished events that ends
 * after job_finished (it starts with the job's current state, so a late subscriber misses nothing it needs).
 */
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static, type TObject } from '@sinclair/typebox';
import type { JobInfo } from '../../protocol/ts/messages.js';
import type { JobEvent, JobListener } from '../jobs/manager.js';
import type { Dispatcher } from '../protocol/dispatch.js';
import type { ServerState } from '../protocol/op-context.js';
import { bodySchemaOf } from './json-schemas.js';
import { toJson } from './json-tensors.js';
import { runOp, sessionlessContext } from './ops.js';

/** What the job routes need. */
export interface JobRoutesOptions {
  state: ServerState;
  dispatcher: Dispatcher;
}

const JobParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
type Params = Static<typeof JobParamsSchema>;

/** One server-sent event. */
function sse(event: JobEvent['event'], job: JobInfo): string {
  return `event: ${event}\ndata: ${JSON.stringify(toJson(job))}\n\n`;
}

/** Registers the job routes. */
export const jobRoutes: FastifyPluginAsync<JobRoutesOptions> = async (app, opts) => {
  const ctx = sessionlessContext(opts.state);
  const jobs = opts.state.jobs;
  // Over HTTP nobody is subscribed by the request: the event stream is the subscription.
  const startBody = Type.Omit(bodySchemaOf('start_job'), ['subscribe']) as TObject;

  app.post<{ Body: Record<string, unknown> }>('/v1/jobs', { schema: { body: startBody } }, async (request, reply) =>
    runOp(opts.dispatcher, ctx, 'start_job', { ...request.body, subscribe: false }, reply, 202));
  app.get('/v1/jobs', async (_request, reply) => runOp(opts.dispatcher, ctx, 'list_jobs', {}, reply));
  app.get<{ Params: Params }>('/v1/jobs/:id', { schema: { params: JobParamsSchema } }, async (request, reply) =>
    runOp(opts.dispatcher, ctx, 'job_status', { job: request.params.id }, reply));
  app.delete<{ Params: Params }>('/v1/jobs/:id', { schema: { params: JobParamsSchema } }, async (request, reply) =>
    runOp(opts.dispatcher, ctx, 'cancel_job', { job: request.params.id }, reply));

  app.get<{ Params: Params }>('/v1/jobs/:id/events', { schema: { params: JobParamsSchema } }, async (request, reply) => {
    const current = jobs.get(request.params.id); // unknown_job (404) before any byte of the stream
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    const end = (job: JobInfo) => {
      res.end(sse('job_finished', job));
    };
    const listener: JobListener = (e) => {
      if (e.event === 'job_finished') {
        jobs.removeListener(listener);
        end(e.job);
      } else {
        res.write(sse('job_progress', e.job));
      }
    };
    if (!jobs.subscribe(current.id, listener)) {
      end(jobs.get(current.id));
      return;
    }
    res.write(sse('job_progress', current));
    request.raw.on('close', () => jobs.removeListener(listener));
  });
};
