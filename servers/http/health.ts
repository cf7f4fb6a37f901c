/** Liveness, readiness and metrics routes. /healthz and /readyz stay open when a token is configured (probes). */
import type { FastifyPluginAsync } from 'fastify';
import type { ServerMetrics } from '../metrics.js';

/** What the health routes need. */
export interface HealthOptions {
  metrics: ServerMetrics;
  /** True once shutdown has begun. */
  shuttingDown(): boolean;
}

/** GET /healthz, /readyz, /metrics. */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, opts) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (opts.shuttingDown()) return reply.code(503).send({ status: 'shutting_down' });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await opts.metrics.render();
    return reply.type(contentType).send(body);
  });
};
