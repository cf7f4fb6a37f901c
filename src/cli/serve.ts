/**
 * `twingym serve`: starts the server with flags over environment variables over defaults, and shuts down gracefully
 * on SIGINT/SIGTERM (readyz 503, WebSockets closed with 1001, sessions freed, exit 0).
 */
import { startServer, ServerConfigError, type LogLevel, type ServerOptionsInput } from '../../servers/app.js';

/** Parsed `serve` flags (commander's camel-cased names). */
export interface ServeFlags {
  host?: string;
  port?: number;
  token?: string;
  maxSessions?: number;
  maxEnvs?: number;
  maxFrameBytes?: number;
  maxConnections?: number;
  maxHttpSessions?: number;
  logLevel?: LogLevel;
  /** Model registry served and trained into (default: the repository's models/). */
  models?: string;
  /** Where collect jobs store datasets (default ./twingym-data). */
  data?: string;
  /** Jobs running at once (default 2). */
  maxJobs?: number;
}

/** Options for startServer from flags and the environment (HOST, PORT, TWINGYM_TOKEN, TWINGYM_MODELS, TWINGYM_DATA); flags win. */
export function serveOptions(flags: ServeFlags, env: NodeJS.ProcessEnv): ServerOptionsInput {
  const envPort = env.PORT !== undefined && env.PORT !== '' ? Number(env.PORT) : undefined;
  if (envPort !== undefined && !Number.isInteger(envPort)) throw new ServerConfigError(`PORT=${env.PORT} is not an integer port`);
  return {
    host: flags.host ?? (env.HOST || undefined),
    port: flags.port ?? envPort,
    token: flags.token ?? (env.TWINGYM_TOKEN || undefined),
    logLevel: flags.logLevel,
    places: { modelsDir: flags.models ?? (env.TWINGYM_MODELS || undefined), datasetsDir: flags.data ?? (env.TWINGYM_DATA || undefined) },
    limits: {
      maxJobs: flags.maxJobs,
      maxSessionsPerConnection: flags.maxSessions,
      maxEnvsPerSession: flags.maxEnvs,
      maxFrameBytes: flags.maxFrameBytes,
      maxConnections: flags.maxConnections,
      maxHttpSessions: flags.maxHttpSessions,
    },
  };
}

/** Runs the server until a signal stops it. */
export async function serve(flags: ServeFlags): Promise<void> {
  let server;
  try {
    server = await startServer(serveOptions(flags, process.env));
  } catch (e) {
    if (e instanceof ServerConfigError || (e as NodeJS.ErrnoException).code === 'EADDRINUSE' || (e as NodeJS.ErrnoException).code === 'EACCES') {
      process.stderr.write(`twingym serve: ${(e as Error).message}\n`);
      process.exit(2);
    }
    throw e;
  }
  process.stdout.write(`twingym listening on ${server.httpUrl} (WebSocket ${server.wsUrl}); models from ${server.options.places.modelsDir}, datasets in ${server.options.places.datasetsDir}\n`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`twingym serve: second ${signal}, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`twingym serve: error during shutdown: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
