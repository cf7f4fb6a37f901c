/**
 * Prometheus metrics of one server. Each server owns its registry, so several servers in one process (tests, benches)
 * never collide on metric names. Label children are resolved once per label value, keeping the step path to a few
 * field increments.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyBaseLogger } from 'fastify';
import type { ErrorCode } from '../protocol/ts/errors.js';
import type { Op } from '../protocol/ts/messages.js';
import type { DispatchObserver } from './protocol/dispatch.js';
import type { SessionObserver } from './protocol/session-table.js';
import type { JobObserver } from './jobs/manager.js';
import type { JobState } from '../protocol/ts/messages.js';

/** The metrics a server updates. */
export class ServerMetrics implements DispatchObserver {
  readonly registry = new Registry();
  private readonly requests: Counter<'op'>;
  private readonly errors: Counter<'code'>;
  private readonly connections: Gauge;
  private readonly sessions: Gauge<'transport'>;
  private readonly steps: Counter;
  private readonly latency: Histogram;
  private readonly jobsRunning: Gauge;
  private readonly jobsFinished: Counter<'state' | 'kind'>;
  private readonly requestChildren = new Map<string, { inc(): void }>();
  private readonly errorChildren = new Map<string, { inc(): void }>();

  constructor(private readonly log: FastifyBaseLogger) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'twingym_requests_total', help: 'Protocol requests received, by op (WebSocket and HTTP).', labelNames: ['op'], registers });
    this.errors = new Counter({ name: 'twingym_errors_total', help: 'Error replies sent, by error code.', labelNames: ['code'], registers });
    this.connections = new Gauge({ name: 'twingym_connections_open', help: 'Open WebSocket connections.', registers });
    this.sessions = new Gauge({ name: 'twingym_sessions_open', help: 'Open sessions, by transport.', labelNames: ['transport'], registers });
    this.steps = new Counter({ name: 'twingym_env_steps_total', help: 'Environment steps taken (a vector step of n envs counts n).', registers });
    this.latency = new Histogram({
      name: 'twingym_step_duration_seconds',
      help: 'Server-side handling time of step requests.',
      buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1],
      registers,
    });
    this.jobsRunning = new Gauge({ name: 'twingym_jobs_running', help: 'Background jobs running now.', registers });
    this.jobsFinished = new Counter({ name: 'twingym_jobs_finished_total', help: 'Background jobs that reached a final state, by state and kind.', labelNames: ['state', 'kind'], registers });
    this.jobsRunning.set(0);
    this.sessions.labels('ws').set(0);
    this.sessions.labels('http').set(0);
    this.connections.set(0);
    this.steps.inc(0);
    collectDefaultMetrics({ register: this.registry, prefix: 'twingym_process_' });
  }

  request(op: Op): void {
    let child = this.requestChildren.get(op);
    if (!child) this.requestChildren.set(op, (child = this.requests.labels(op)));
    child.inc();
  }

  error(code: ErrorCode): void {
    let child = this.errorChildren.get(code);
    if (!child) this.errorChildren.set(code, (child = this.errors.labels(code)));
    child.inc();
  }

  stepLatency(seconds: number): void {
    this.latency.observe(seconds);
  }

  internal(err: unknown, requestId: string, op: string): void {
    this.log.error({ err, request_id: requestId, op }, 'internal error while serving a request');
  }

  /** Counts env steps. */
  countSteps(envs: number): void {
    this.steps.inc(envs);
  }

  /** A WebSocket connection opened (+1) or closed (-1). */
  connectionDelta(delta: 1 | -1): void {
    this.connections.inc(delta);
  }

  /** A session observer that keeps the open-sessions gauge of one transport. */
  sessionObserver(transport: 'ws' | 'http'): SessionObserver {
    const gauge = this.sessions.labels(transport);
    return { opened: () => gauge.inc(), closed: () => gauge.dec() };
  }

  /** The hooks the job manager reports to. */
  jobObserver(): JobObserver {
    return {
      running: (delta) => this.jobsRunning.inc(delta),
      finished: (state: JobState, kind: string) => this.jobsFinished.labels(state, kind).inc(),
    };
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
