/**
 * The "collect" job: PerSim-style offline data (one trajectory per agent, agents' contexts drawn over the varied
 * parameters) saved into the datasets directory as NPZ and HDF5 with a JSON sidecar. Collection and file writing run
 * in a worker thread, because a large collection is CPU-bound and synchronous and would stall a server; cancelling
 * terminates the worker and removes whatever it had started to write.
 */
import { Worker } from 'node:worker_threads';
import { Type, type Static } from '@sinclair/typebox';
import { getEnvEntry, makeDefinition } from '../../envs/registry.js';
import { TwinGymError } from '../core/errors.js';
import { parsePolicy } from '../data/collect.js';
import { pureController } from '../data/controllers.js';
import { agentRanges, type Dataset } from '../data/dataset.js';
import { persimSetup } from '../data/setups.js';
import { checkDatasetId, readDatasetEntry, removeDatasetFiles, type DatasetEntry } from './datasets.js';
import type { JobKind, JobPlaces, JobRunContext } from './types.js';

/** Largest collection one job may make (agents x steps per agent). */
export const MAX_COLLECT_ROWS = 10_000_000;

export const CollectParamsSchema = Type.Object({
  env_id: Type.String({ description: 'the environment to collect from' }),
  policy: Type.String({ description: 'behaviour policy: random, pure, pure-eps-20, pure-eps-40 (pure-eps-N)' }),
  agents: Type.Integer({ minimum: 1, maximum: 100_000, description: 'agents (one trajectory each); PerSim envs need at least their 5 test agents' }),
  steps: Type.Optional(Type.Integer({ minimum: 1, description: 'cut each trajectory after this many steps (marked truncated); default the env\'s time limit' })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'default 0' })),
  dataset: Type.Optional(Type.String({ description: 'id of the new dataset (default derived from env, policy, agents and seed)' })),
}, { additionalProperties: false });
/** Parameters of a collect job. */
export type CollectParams = Static<typeof CollectParamsSchema>;

/** What the worker is given (structured-cloned). */
export interface CollectWorkerData {
  envId: string;
  policy: string;
  agents: number;
  steps: number | null;
  seed: number;
  datasetsDir: string;
  id: string;
}

/** Messages from the worker. */
export type CollectWorkerMessage =
  | { type: 'progress'; step: number; active: number }
  | { type: 'done'; entry: DatasetEntry }
  | { type: 'error'; message: string; code?: string; details?: Record<string, unknown> };

/** The id a collect job writes to. */
export function collectDatasetId(p: CollectParams): string {
  return p.dataset ?? `${p.env_id.toLowerCase()}-${p.policy}-${p.agents}a${p.steps === undefined ? '' : `-${p.steps}t`}-s${p.seed ?? 0}`;
}

/**
 * Keeps the first `steps` transitions of every agent's trajectory; a trajectory cut short is marked truncated on its
 * last kept row (D4RL's timeouts), as if the time limit had been `steps`.
 */
export function truncateTrajectories(d: Dataset, steps: number): Dataset {
  const keep: number[] = [];
  for (const [a, b] of agentRanges(d)) for (let i = a; i < Math.min(b, a + steps); i++) keep.push(i);
  if (keep.length === d.n) return d;
  const O = d.obsSize;
  const A = d.actionSize;
  const n = keep.length;
  const out: Dataset = {
    ...d, n,
    observations: new Float64Array(n * O), actions: new Float64Array(n * A), rewards: new Float64Array(n), nextObservations: new Float64Array(n * O),
    terminals: new Uint8Array(n), timeouts: new Uint8Array(n), agentIds: new Int32Array(n),
  };
  keep.forEach((i, k) => {
    out.observations.set(d.observations.subarray(i * O, (i + 1) * O), k * O);
    out.nextObservations.set(d.nextObservations.subarray(i * O, (i + 1) * O), k * O);
    out.actions.set(d.actions.subarray(i * A, (i + 1) * A), k * A);
    out.rewards[k] = d.rewards[i];
    out.terminals[k] = d.terminals[i];
    out.timeouts[k] = d.timeouts[i];
    out.agentIds[k] = d.agentIds[i];
  });
  for (let k = 0; k < n; k++) {
    const lastOfAgent = k === n - 1 || out.agentIds[k + 1] !== out.agentIds[k];
    if (lastOfAgent && !out.terminals[k]) out.timeouts[k] = 1;
  }
  return out;
}

const ENTRY = new URL('./collect-worker-entry.mjs', import.meta.url);

/** The collect job kind. */
export const collectJob: JobKind<CollectParams> = {
  kind: 'collect',
  description: 'collect a PerSim-style offline dataset (one trajectory per agent) and store it as NPZ and HDF5',
  params: CollectParamsSchema,

  async validate(p: CollectParams, places: JobPlaces): Promise<void> {
    getEnvEntry(p.env_id);
    const def = makeDefinition(p.env_id);
    let policy;
    try {
      policy = parsePolicy(p.policy);
    } catch (e) {
      throw new TwinGymError('invalid_argument', (e as Error).message, { path: 'params.policy' });
    }
    if (policy.pure && !pureController(def.id)) {
      throw new TwinGymError('invalid_argument', `${def.id} has no pure controller; collect with policy "random"`, { path: 'params.policy' });
    }
    const tests = persimSetup(def.id)?.testAgents.length ?? 0;
    if (p.agents < tests) {
      throw new TwinGymError('invalid_argument', `${def.id} datasets hold PerSim's ${tests} test agents first; ask for at least ${tests} agents`, { path: 'params.agents', minimum: tests });
    }
    const steps = Math.min(p.steps ?? def.maxEpisodeSteps, def.maxEpisodeSteps);
    if (p.agents * steps > MAX_COLLECT_ROWS) {
      throw new TwinGymError('invalid_argument', `${p.agents} agents x ${steps} steps exceeds ${MAX_COLLECT_ROWS} transitions per job; collect fewer agents or steps`, { path: 'params.agents', limit: MAX_COLLECT_ROWS });
    }
    const id = collectDatasetId(p);
    checkDatasetId(id, 'params.dataset');
    // A derived id names a deterministic collection, so an existing one is reused by run(); an explicit id is a
    // request for a new file and must not overwrite anything.
    if (p.dataset !== undefined && await readDatasetEntry(places.datasetsDir, id)) {
      throw new TwinGymError('invalid_argument', `dataset "${id}" already exists; choose another id (params.dataset), or leave it out to reuse the collection of the same parameters`, { path: 'params.dataset' });
    }
  },

  async run(p: CollectParams, ctx: JobRunContext): Promise<Record<string, unknown>> {
    const id = collectDatasetId(p);
    const def = makeDefinition(p.env_id);
    const total = Math.min(p.steps ?? def.maxEpisodeSteps, def.maxEpisodeSteps);
    const existing = await readDatasetEntry(ctx.places.datasetsDir, id);
    if (existing && p.dataset === undefined) {
      ctx.progress({ done: total, total, unit: 'steps', message: `reused ${id}: the same parameters and seed were collected before` });
      return { dataset: id, rows: existing.rows, agents: existing.agents, env_id: existing.env_id, files: existing.files, reused: true };
    }
    if (existing) {
      throw new TwinGymError('invalid_argument', `dataset "${id}" was created by another job meanwhile; choose another id`, { path: 'params.dataset' });
    }
    ctx.progress({ done: 0, total, unit: 'steps', message: `collecting ${p.agents} agents of ${p.env_id}` });
    const data: CollectWorkerData = { envId: p.env_id, policy: p.policy, agents: p.agents, steps: p.steps ?? null, seed: p.seed ?? 0, datasetsDir: ctx.places.datasetsDir, id };
    const worker = new Worker(ENTRY, { workerData: data });
    const entry = await new Promise<DatasetEntry>((resolve, reject) => {
      let settled = false;
      const settle = (f: () => void) => { if (!settled) { settled = true; f(); } };
      const onAbort = () => settle(() => reject(new Error(`collect of ${id} was cancelled`)));
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      worker.on('message', (m: CollectWorkerMessage) => {
        if (m.type === 'progress') {
          ctx.progress({ done: Math.min(m.step, total), total, unit: 'steps', message: `step ${m.step}, ${m.active} of ${p.agents} agents still running`, metrics: { active_agents: m.active } });
        } else if (m.type === 'done') {
          settle(() => resolve(m.entry));
        } else {
          settle(() => reject(m.code ? new TwinGymError(m.code as never, m.message, m.details ?? {}) : new Error(m.message)));
        }
      });
      worker.on('error', (e) => settle(() => reject(e)));
      worker.on('exit', (code) => settle(() => reject(new Error(`the collect worker exited with code ${code} before finishing`))));
      if (ctx.signal.aborted) onAbort();
    }).finally(() => worker.terminate());
    if (ctx.signal.aborted) {
      await removeDatasetFiles(ctx.places.datasetsDir, id);
      throw new Error(`collect of ${id} was cancelled`);
    }
    ctx.progress({ done: total, total, unit: 'steps', message: `saved ${entry.rows} transitions as ${id}` });
    return { dataset: id, rows: entry.rows, agents: entry.agents, env_id: entry.env_id, files: entry.files };
  },
};
