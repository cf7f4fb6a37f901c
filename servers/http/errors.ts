/**
 * HTTP error replies (DECISIONS.md 12): body {error: {code, message, details}} and a status derived from the code, the
 * same codes the WebSocket protocol uses. Fastify's own failures (bad JSON, body too large, unknown route) are mapped
 * onto those codes too, so an HTTP client handles one error shape.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { httpStatusOf, type WireError } from '../../protocol/ts/errors.js';
import { TwinGymError } from '../../src/core/errors.js';
import type { ServerMetrics } from '../metrics.js';

/** The HTTP status of an error code (one table, in protocol/ts/errors.ts). */
export const httpStatusFor = httpStatusOf;

/** Sends an error body with its status (derived from the code unless given). */
export function sendError(reply: FastifyReply, error: WireError, status = httpStatusFor(error.code)): FastifyReply {
  return reply.code(status).send({ error: { code: error.code, message: error.message, details: error.details ?? {} } });
}

/** Installs the error and not-found handlers on the root instance; child plugins inherit them. */
export function installErrorHandling(app: FastifyInstance, metrics: ServerMetrics): void {
  app.setErrorHandler((err: FastifyError | TwinGymError, request, reply) => {
    if (err instanceof TwinGymError) {
      metrics.error(err.code);
      return sendError(reply, { code: err.code, message: err.message, details: err.details });
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status === 413) {
      metrics.error('frame_too_large');
      return sendError(reply, { code: 'frame_too_large', message: `${err.message}; keep request bodies under the server's max_frame_bytes`, details: {} });
    }
    if (status >= 400 && status < 500) {
      metrics.error('invalid_request');
      return sendError(reply, { code: 'invalid_request', message: `${err.message}; send a JSON object body with Content-Type: application/json`, details: { fastify_code: err.code } });
    }
    const requestId = randomUUID();
    request.log.error({ err, request_id: requestId }, 'internal error on an HTTP route');
    metrics.error('internal');
    return sendError(reply, { code: 'internal', message: `the server failed on this request (a bug, not your input); report it with details.request_id ${requestId}`, details: { request_id: requestId } });
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, {
      code: 'invalid_request',
      message: `no route ${request.method} ${request.url.split('?')[0]}; routes: /healthz, /readyz, /metrics, /v1/envs, /v1/sessions, /v1/models, /v1/jobs, /v1/datasets, /v1/compare, WebSocket /v1/ws`,
      details: { method: request.method },
    }, 404),
  );
}
