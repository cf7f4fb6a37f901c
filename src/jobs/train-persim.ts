/**
 * The "train_persim" job: trains a PerSim model on a stored dataset and saves it into the model registry, where the
 * server's PerSim provider serves it at once. Training runs in a worker thread (startPersimTrainingJob), so the
 * server keeps answering while it trains; progress is reported per epoch with the training loss.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TwinGymError } from '../core/errors.js';
import { defaultHyper, PERSIM_KINDS, type PersimHyper, type PersimKind } from '../models/persim/config.js';
import { startPersimTrainingJob } from '../models/persim/background.js';
import { checkModelId, readManifest } from '../models/registry.js';
import { loadStoredDataset, requireDataset } from './datasets.js';
import type { JobKind, JobPlaces, JobRunContext } from './types.js';

export const TrainPersimParamsSchema = Type.Object({
  dataset: Type.String({ description: 'a dataset id from GET /v1/datasets (a collect job\'s result)' }),
  model: Type.String({ description: 'id of the new model' }),
  epochs: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'default 300 (PerSim)' })),
  rank: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, description: 'latent rank (PerSim\'s per-env default)' })),
  members: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, description: 'ensemble members (default 5)' })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'default 0' })),
  overwrite: Type.Optional(Type.Boolean({ description: 'replace an existing model with this id (default false)' })),
  kind: Type.Optional(Type.Union(PERSIM_KINDS.map((k) => Type.Literal(k)), { description: 'persim (default) or one of the paper\'s ablations' })),
  batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_536, description: 'minibatch size (PerSim\'s per-env default)' })),
  eval_episodes: Type.Optional(Type.Integer({ minimum: 0, maximum: 200, description: 'episodes per test agent for the metrics in the manifest (default 20; 0 skips)' })),
}, { additionalProperties: false });
/** Parameters of a train_persim job. */
export type TrainPersimParams = Static<typeof TrainPersimParamsSchema>;

/** The hyper-parameters a job trains with. */
export function hyperOf(envId: string, p: TrainPersimParams): PersimHyper {
  const over: Partial<PersimHyper> = {};
  if (p.epochs !== undefined) over.epochs = p.epochs;
  if (p.rank !== undefined) over.rank = p.rank;
  if (p.members !== undefined) over.members = p.members;
  if (p.seed !== undefined) over.seed = p.seed;
  if (p.kind !== undefined) over.kind = p.kind as PersimKind;
  if (p.batch_size !== undefined) over.batchSize = p.batch_size;
  return defaultHyper(envId, over);
}

async function checkModelFree(places: JobPlaces, p: TrainPersimParams): Promise<void> {
  try {
    checkModelId(p.model);
  } catch (e) {
    throw new TwinGymError('invalid_argument', (e as Error).message, { path: 'params.model' });
  }
  if (!p.overwrite && (await readManifest(places.modelsDir, p.model))) {
    throw new TwinGymError('invalid_argument', `model "${p.model}" already exists; choose another id or set overwrite`, { path: 'params.model' });
  }
}

/** The train_persim job kind. */
export const trainPersimJob: JobKind<TrainPersimParams> = {
  kind: 'train_persim',
  description: 'train a PerSim model on a stored dataset and add it to the served models',
  params: TrainPersimParamsSchema,

  async validate(p: TrainPersimParams, places: JobPlaces): Promise<void> {
    const entry = await requireDataset(places.datasetsDir, p.dataset, 'params.dataset');
    await checkModelFree(places, p);
    try {
      hyperOf(entry.env_id, p);
    } catch (e) {
      throw new TwinGymError('invalid_argument', (e as Error).message, { path: 'params' });
    }
  },

  async run(p: TrainPersimParams, ctx: JobRunContext): Promise<Record<string, unknown>> {
    const entry = await requireDataset(ctx.places.datasetsDir, p.dataset, 'params.dataset');
    const dataset = await loadStoredDataset(ctx.places.datasetsDir, p.dataset);
    const hyper = hyperOf(dataset.envId, p);
    ctx.progress({ done: 0, total: hyper.epochs, unit: 'epochs', message: `training ${p.model} on ${entry.rows} transitions of ${entry.env_id}` });
    if (ctx.signal.aborted) throw new Error(`training of ${p.model} was cancelled before it started`);
    const handle = startPersimTrainingJob({
      dataset,
      hyper,
      registryDir: ctx.places.modelsDir,
      id: p.model,
      overwrite: p.overwrite ?? false,
      evalEpisodes: p.eval_episodes,
      command: `train_persim job ${JSON.stringify(p)}`,
    }, (e) => {
      if (e.type === 'epoch') {
        const r = e.report;
        ctx.progress({ done: r.epoch, total: r.epochs, unit: 'epochs', message: `epoch ${r.epoch}/${r.epochs}, loss ${r.loss.toExponential(2)}`, metrics: { loss: r.loss, lr: r.lr, transitions_per_second: r.transitionsPerSecond } });
      } else if (e.type === 'done') {
        ctx.progress({ done: hyper.epochs, total: hyper.epochs, unit: 'epochs', message: `saved ${p.model}` });
      }
    });
    const onAbort = () => handle.cancel();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const out = await handle.done;
      return { model: p.model, env_id: dataset.envId, metrics: out.metrics };
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
  },
};
