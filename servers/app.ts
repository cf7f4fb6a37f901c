/**
 * The TwinGym server process: one fastify instance serving the HTTP API, with the WebSocket protocol attached to the
 * same HTTP server. startServer is the entry point the CLI, the tests and the benchmarks share.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { LogController } from 'fastify';
import { TokenAuth, unauthorizedBody } from './auth.js';
import { ServerMetrics } from './metrics.js';
import { resolveServerOptions, type ServerOptions, type ServerOptionsInput } from './options.js';
import { Dispatcher } from './protocol/dispatch.js';
import { createServerState } from './protocol/server-state.js';
import { installErrorHandling } from './http/errors.js';
import { envRoutes } from './http/envs.js';
import { healthRoutes } from './http/health.js';
import { installJsonBodyParser } from './http/json-body.js';
import { HttpSessionStore } from './http/session-store.js';
import { sessionRoutes } from './http/sessions.js';
import { installTypeBoxValidation } from './http/validation.js';
import { attachWebSocket, WS_PATH } from './ws/endpoint.js';
import { DynamicsResolver } from './dynamics.js';
import { JobManager } from './jobs/manager.js';
import { jobRoutes } from './http/jobs.js';
import { modelRoutes } from './http/models.js';
import { datasetRoutes } from './http/datasets.js';
import { CLOSE_CODES } from '../protocol/ts/errors.js';
import { STANDARD_JOB_KINDS } from '../src/jobs/index.js';
import { MocodaProvider } from '../src/models/mocoda/provider.js';
import { PersimProvider } from '../src/models/persim/provider.js';
import type { ModelProvider } from '../src/models/provider.js';

export type { ServerOptions, ServerOptionsInput, ServerLimits, LogLevel } from './options.js';
export { ServerConfigError, DEFAULT_LIMITS, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_MODELS_DIR, DEFAULT_DATASETS_DIR } from './options.js';

/** A listening server. */
export interface RunningServer {
  /** The bound port (the real one when 0 was asked for). */
  port: number;
  host: string;
  /** ws://host:port/v1/ws */
  wsUrl: string;
  /** http://host:port */
  httpUrl: string;
  /** The options in effect (defaults filled in). */
  options: ServerOptions;
  /** Graceful shutdown: readyz answers 503, WebSockets close with 1001, every session is freed. Idempotent. */
  close(): Promise<void>;
}

/** Paths reachable without a token, for load balancer and orchestrator probes. */
const OPEN_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Starts a server. Rejects with ServerConfigError for unsafe or invalid options (a non-loopback host without a token),
 * or with the listen error (e.g. EADDRINUSE).
 */
export async function startServer(input?: ServerOptionsInput): Promise<RunningServer> {
  const options = resolveServerOptions(input);
  const { limits } = options;
  const app = Fastify({
    logger: { level: options.logLevel },
    // Requests are counted in /metrics; logging each one (every HTTP step) would drown the useful lines.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.maxFrameBytes,
    forceCloseConnections: true,
  });
  const metrics = new ServerMetrics(app.log);
  // Providers the server made itself are its to dispose; given ones belong to the caller.
  const ownProviders: ModelProvider[] = options.modelProviders === undefined ? [new PersimProvider(options.places.modelsDir), new MocodaProvider(options.places.modelsDir)] : [];
  const providers = options.modelProviders ?? ownProviders;
  const resolver = new DynamicsResolver(options.dynamicsProviders ?? [], providers, undefined, (name, err) => app.log.warn({ err, provider: name }, 'a model provider failed to list its models'));
  const jobs = new JobManager({
    kinds: options.jobKinds ?? STANDARD_JOB_KINDS,
    places: options.places,
    maxRunning: limits.maxJobs,
    maxQueued: limits.maxQueuedJobs,
    models: () => providers,
    observer: metrics.jobObserver(),
    onError: (job, err) => app.log.error({ err, job }, 'job failed unexpectedly'),
  });
  const state = createServerState(options, resolver, jobs, (n) => metrics.countSteps(n));
  const dispatcher = new Dispatcher(metrics);
  const auth = new TokenAuth(options.token);
  let shuttingDown = false;
  const store = new HttpSessionStore(limits.maxHttpSessions, limits.httpSessionIdleMs, metrics.sessionObserver('http'), (sid) =>
    app.log.info({ session: sid }, 'HTTP session expired'),
  );

  installTypeBoxValidation(app);
  installJsonBodyParser(app, limits.maxFrameBytes);
  installErrorHandling(app, metrics);
  app.addHook('onRequest', async (request, reply) => {
    if (!auth.enabled || OPEN_PATHS.has(request.url.split('?')[0])) return;
    if (!auth.acceptsHeaders(request.headers)) {
      metrics.error('unauthorized');
      return reply.code(401).send(unauthorizedBody('http'));
    }
  });
  await app.register(healthRoutes, { metrics, shuttingDown: () => shuttingDown });
  await app.register(envRoutes, { state });
  await app.register(sessionRoutes, { state, dispatcher, store });
  await app.register(modelRoutes, { state, dispatcher });
  await app.register(jobRoutes, { state, dispatcher });
  await app.register(datasetRoutes, { state });

  const ws = attachWebSocket({ httpServer: app.server, state, dispatcher, auth, metrics, log: app.log, shuttingDown: () => shuttingDown });

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (e) {
    store.closeAll();
    await ws.close(CLOSE_CODES.going_away, 'server failed to start');
    await app.close();
    await jobs.shutdown(0);
    await Promise.all(ownProviders.map((p) => p.dispose()));
    throw e;
  }
  // Warm the model list, so the first list_envs already names the served models.
  await resolver.refresh();
  const address = app.server.address() as AddressInfo;
  const host = urlHost(options.host);
  const httpUrl = `http://${host}:${address.port}`;
  const wsUrl = `ws://${host}:${address.port}${WS_PATH}`;
  app.log.info({ url: httpUrl, ws: wsUrl, auth: auth.enabled, limits }, `TwinGym listening on ${httpUrl} (WebSocket ${wsUrl})`);

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      shuttingDown = true;
      app.log.info({ connections: ws.size }, 'shutting down');
      // Jobs first: their cancellation must not wait behind open SSE streams or sockets.
      await jobs.shutdown();
      await ws.close(CLOSE_CODES.going_away, 'server shutting down');
      // After app.close no HTTP request is in flight, so no session can be made behind closeAll's back.
      await app.close();
      store.closeAll();
      await Promise.all(ownProviders.map((p) => p.dispose().catch((err: unknown) => app.log.warn({ err }, 'a model provider failed to dispose'))));
      app.log.info('server closed');
    })());

  return { port: address.port, host: options.host, wsUrl, httpUrl, options, close };
}
