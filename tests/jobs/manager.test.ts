/**
 * The job manager and job helpers without a server: progress throttling (a burst becomes a few events ending with
 * the latest report), retention of finished jobs, failures reported with their code, and trajectory truncation of
 * collected datasets checked on a hand-made dataset.
 */
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { TwinGymError } from '../../src/core/errors.js';
import type { Dataset } from '../../src/data/dataset.js';
import { truncateTrajectories } from '../../src/jobs/collect.js';
import type { JobKind } from '../../src/jobs/types.js';
import { JobManager, type JobEvent } from '../../servers/jobs/manager.js';

const places = { modelsDir: '/nonexistent/models', datasetsDir: '/nonexistent/data' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A kind that reports `reports` progress units at once, waits `ms`, then returns or throws. */
const burst: JobKind<{ reports: number; ms: number; fail?: boolean }> = {
  kind: 'burst',
  description: 'test kind',
  params: Type.Object({ reports: Type.Integer(), ms: Type.Integer(), fail: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  validate: async () => undefined,
  async run(p, ctx) {
    for (let i = 1; i <= p.reports; i++) ctx.progress({ done: i, total: p.reports, unit: 'steps' });
    await sleep(p.ms);
    if (p.fail) throw new TwinGymError('invalid_argument', 'the data ran out', { path: 'params.reports' });
    return { reports: p.reports };
  },
};

describe('JobManager', () => {
  it('throttles a burst of progress to a few events that end with the latest report', async () => {
    const jobs = new JobManager({ kinds: [burst as unknown as JobKind], places, progressIntervalMs: 100 });
    const events: JobEvent[] = [];
    const info = await jobs.start('burst', { reports: 500, ms: 250 }, (e) => events.push(e));
    while (jobs.get(info.id).state !== 'succeeded') await sleep(20);
    const progress = events.filter((e) => e.event === 'job_progress');
    // The start event, the first report, and one trailing event per 100 ms window at most.
    expect(progress.length).toBeLessThanOrEqual(4);
    expect(progress[progress.length - 1].job.progress.done).toBe(500);
    expect(events[events.length - 1]).toMatchObject({ event: 'job_finished', job: { state: 'succeeded', result: { reports: 500 } } });
  });

  it('keeps the last finished jobs only, and reports failures with their code', async () => {
    const jobs = new JobManager({ kinds: [burst as unknown as JobKind], places, maxRetained: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await jobs.start('burst', { reports: 1, ms: 0, fail: i === 2 })).id);
      while (jobs.get(ids[i]).finished === null) await sleep(5);
    }
    expect(jobs.list().map((j) => j.id)).toEqual([ids[2], ids[1]]);
    expect(() => jobs.get(ids[0])).toThrow(expect.objectContaining({ code: 'unknown_job' }));
    expect(jobs.get(ids[2])).toMatchObject({ state: 'failed', result: null, error: { code: 'invalid_argument', message: 'the data ran out', details: { path: 'params.reports' } } });
  });
});

describe('truncateTrajectories', () => {
  it('keeps the first steps of each agent and marks a cut trajectory truncated', () => {
    // Agent 0: 4 rows (not terminated); agent 1: 2 rows ending in a termination.
    const d: Dataset = {
      envId: 'X', envOptions: {}, policy: 'random', policyDescription: '', seed: 0, obsSize: 1, actionSize: 1, discreteActions: 2,
      contextNames: [], numAgents: 2, agentContexts: new Float64Array(0), testAgents: [], n: 6,
      observations: Float64Array.of(0, 1, 2, 3, 10, 11), actions: Float64Array.of(0, 1, 0, 1, 1, 1), rewards: Float64Array.of(1, 2, 3, 4, 5, 6),
      nextObservations: Float64Array.of(1, 2, 3, 4, 11, 12), terminals: Uint8Array.of(0, 0, 0, 0, 0, 1), timeouts: new Uint8Array(6), agentIds: Int32Array.of(0, 0, 0, 0, 1, 1),
    };
    const t = truncateTrajectories(d, 3);
    expect(t.n).toBe(5);
    expect(Array.from(t.observations)).toEqual([0, 1, 2, 10, 11]);
    expect(Array.from(t.rewards)).toEqual([1, 2, 3, 5, 6]);
    expect(Array.from(t.timeouts)).toEqual([0, 0, 1, 0, 0]);
    expect(Array.from(t.terminals)).toEqual([0, 0, 0, 0, 1]);
    expect(Array.from(t.agentIds)).toEqual([0, 0, 0, 1, 1]);
    expect(truncateTrajectories(d, 10)).toBe(d);
  });
});
