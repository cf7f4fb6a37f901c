/**
 * MOCODA's job kinds. "train_mocoda" trains an unfactored, globally or locally factored Gaussian ensemble on a stored
 * dataset (or the environment's empirical MOCODA data) and saves it into the model registry; "augment_mocoda" builds
 * an augmented dataset (real + generated rows, relabelled for the target task) from one of MOCODA's distributions and
 * stores it as NPZ and HDF5 like every dataset, reporting the generated rows' true-dynamics error. Both run in a
 * worker thread (runsIn: 'worker'): an epoch or a generation pass takes seconds to minutes, which would stall every
 * connection of a server's event loop. Cancellation is read from the signal between minibatches and batches.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TwinGymError } from '../core/errors.js';
import type { Dataset } from '../data/dataset.js';
import { augmentDataset } from '../data/mocoda/augment.js';
import { HOOK_ID, MOCODA_ENVS, mocodaDefinition, transitionsOf } from '../data/mocoda/common.js';
import { isDistribution, needsModel, needsParents, DISTRIBUTIONS, type DistributionName } from '../data/mocoda/distributions.js';
import { empiricalDataset } from '../data/mocoda/empirical.js';
import { trueDynamicsError } from '../data/mocoda/true-error.js';
import {
  defaultMocodaHyper, fitParentDistribution, isMocodaManifest, loadMocoda, MOCODA_KINDS, saveMocoda, trainMocoda,
  type MocodaHyper, type MocodaKind,
} from '../models/mocoda/index.js';
import { checkModelId, readManifest } from '../models/registry.js';
import { checkDatasetId, loadStoredDataset, readDatasetEntry, requireDataset, saveStoredDataset } from './datasets.js';
import type { JobKind, JobPlaces, JobRunContext } from './types.js';

const envIdSchema = Type.Union(MOCODA_ENVS.map((e) => Type.Literal(e)), { description: 'Navigation2D-v0 or HookSweep2-v0' });

export const TrainMocodaParamsSchema = Type.Object({
  env_id: envIdSchema,
  dataset: Type.String({ description: 'a stored dataset id, or "empirical" for the environment\'s MOCODA data (made in the job)' }),
  kind: Type.Union(MOCODA_KINDS.map((k) => Type.Literal(k)), { description: 'unfactored, global or local' }),
  model: Type.String({ description: 'id of the new model' }),
  epochs: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'default: the paper\'s (600 nav, 4000 HookSweep2)' })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'training (and empirical data) seed, default 0' })),
  hidden: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 4096 }), { minItems: 1, maxItems: 8, description: 'hidden widths (default the paper\'s)' })),
  members: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, description: 'ensemble members (default 5)' })),
  lr: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'learning rate (default the paper\'s)' })),
  rows: Type.Optional(Type.Integer({ minimum: 2, maximum: 10_000_000, description: 'with dataset "empirical": its size (default 40,000 nav, 50,000 HookSweep2)' })),
  overwrite: Type.Optional(Type.Boolean({ description: 'replace an existing model with this id (default false)' })),
}, { additionalProperties: false });
/** Parameters of a train_mocoda job. */
export type TrainMocodaParams = Static<typeof TrainMocodaParamsSchema>;

export const AugmentMocodaParamsSchema = Type.Object({
  env_id: envIdSchema,
  distribution: Type.Union(DISTRIBUTIONS.map((d) => Type.Literal(d)), { description: 'EMP, DYNA, RAND, MOCODA, MOCODA-U, MOCODA-P or CoDA' }),
  model: Type.Optional(Type.String({ description: 'a MOCODA model id (needed by DYNA, RAND and the MOCODA distributions)' })),
  rows: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'generated rows (default 4 x the real rows, the paper\'s ratio)' })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'default 0' })),
  task: Type.Optional(Type.Union(['diagonal', 'up', 'right', 'up_l', 'right_l'].map((t) => Type.Literal(t)), { description: 'Navigation2D target task for the relabelling (default diagonal)' })),
  source: Type.Optional(Type.String({ description: 'the real data: a stored dataset id, or "empirical" (default)' })),
  source_rows: Type.Optional(Type.Integer({ minimum: 2, maximum: 10_000_000, description: 'with source "empirical": its size' })),
  dataset: Type.Optional(Type.String({ description: 'id of the new dataset (default <env>-<distribution>-s<seed>)' })),
  target_acceptance: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'MOCODA-U / MOCODA-P rejection acceptance (default 0.2)' })),
}, { additionalProperties: false });
/** Parameters of an augment_mocoda job. */
export type AugmentMocodaParams = Static<typeof AugmentMocodaParamsSchema>;

function invalid(message: string, path: string): TwinGymError {
  return new TwinGymError('invalid_argument', message, { path });
}

/** The hyper-parameters a train_mocoda job trains with. */
export function mocodaHyperOf(p: TrainMocodaParams): MocodaHyper {
  const over: Partial<MocodaHyper> = {};
  if (p.epochs !== undefined) over.epochs = p.epochs;
  if (p.seed !== undefined) over.seed = p.seed;
  if (p.hidden !== undefined) over.hidden = [...p.hidden];
  if (p.members !== undefined) over.members = p.members;
  if (p.lr !== undefined) over.lr = p.lr;
  return defaultMocodaHyper(p.env_id, p.kind as MocodaKind, over);
}

/** The real data of a job: the empirical MOCODA data, or a stored dataset of the same environment. */
async function realData(places: JobPlaces, envId: string, id: string, seed: number, rows: number | undefined, path: string): Promise<Dataset> {
  if (id === 'empirical') return empiricalDataset(envId, { seed, transitions: rows });
  const d = await loadStoredDataset(places.datasetsDir, (await requireDataset(places.datasetsDir, id, path)).id);
  if (d.envId !== envId) throw invalid(`dataset "${id}" holds ${d.envId} data, not ${envId}`, path);
  return d;
}

async function checkSource(places: JobPlaces, envId: string, id: string, path: string): Promise<void> {
  if (id === 'empirical') return;
  const e = await requireDataset(places.datasetsDir, id, path);
  if (e.env_id !== envId) throw invalid(`dataset "${id}" holds ${e.env_id} data, not ${envId}`, path);
}

/** The train_mocoda job kind. */
export const trainMocodaJob: JobKind<TrainMocodaParams> = {
  kind: 'train_mocoda',
  description: 'train a MOCODA dynamics ensemble (unfactored, globally or locally factored) and add it to the served models',
  params: TrainMocodaParamsSchema,
  runsIn: 'worker',

  async validate(p: TrainMocodaParams, places: JobPlaces): Promise<void> {
    try {
      checkModelId(p.model);
    } catch (e) {
      throw invalid((e as Error).message, 'params.model');
    }
    if (!p.overwrite && (await readManifest(places.modelsDir, p.model))) throw invalid(`model "${p.model}" already exists; choose another id or set overwrite`, 'params.model');
    await checkSource(places, p.env_id, p.dataset, 'params.dataset');
    try {
      mocodaHyperOf(p);
    } catch (e) {
      throw invalid((e as Error).message, 'params');
    }
  },

  async run(p: TrainMocodaParams, ctx: JobRunContext): Promise<Record<string, unknown>> {
    const hyper = mocodaHyperOf(p);
    ctx.progress({ done: 0, total: hyper.epochs, unit: 'epochs', message: `preparing ${p.dataset} data for ${p.model}` });
    const data = await realData(ctx.places, p.env_id, p.dataset, p.seed ?? 0, p.rows, 'params.dataset');
    const def = mocodaDefinition(p.env_id);
    ctx.progress({ done: 0, total: hyper.epochs, unit: 'epochs', message: `training ${hyper.kind} ${p.model} on ${data.n} transitions of ${p.env_id}` });
    const model = await trainMocoda(transitionsOf(data), def, hyper, {
      onEpoch: (r) => ctx.progress({
        done: r.epoch, total: r.epochs, unit: 'epochs', message: `epoch ${r.epoch}/${r.epochs}, loss ${r.loss.toFixed(4)}`,
        metrics: { loss: r.loss, validation_loss: r.validationLoss, validation_mse: r.validationMse, transitions_per_second: r.transitionsPerSecond },
      }),
      shouldStop: () => ctx.signal.aborted,
    });
    try {
      if (model.training.cancelled || ctx.signal.aborted) throw new Error(`training of ${p.model} was cancelled; nothing was saved`);
      await saveMocoda(ctx.places.modelsDir, p.model, model, { overwrite: p.overwrite ?? false, dataset: { dataset: p.dataset, policy: data.policy } });
      const last = model.training.curve[model.training.curve.length - 1];
      return {
        model: p.model, env_id: p.env_id, kind: hyper.kind,
        metrics: { loss: last?.loss ?? NaN, validation_mse: last?.validationMse ?? NaN, epochs: model.training.curve.length, best_epoch: model.training.bestEpoch, seconds: model.training.seconds },
      };
    } finally {
      model.dispose();
    }
  },
};

/** The id an augment job writes to. */
export function augmentDatasetId(p: AugmentMocodaParams): string {
  return p.dataset ?? `${p.env_id.toLowerCase()}-${p.distribution.toLowerCase()}-s${p.seed ?? 0}`;
}

/** Rows of the generated set whose true-dynamics error is measured (HookSweep2's physics costs ~0.15 ms a row). */
const TRUE_ERROR_ROWS = 20_000;

/** The augment_mocoda job kind. */
export const augmentMocodaJob: JobKind<AugmentMocodaParams> = {
  kind: 'augment_mocoda',
  description: 'build a MOCODA augmented dataset (real + generated rows from EMP, DYNA, RAND, MOCODA, MOCODA-U, MOCODA-P or CoDA, relabelled for the target task)',
  params: AugmentMocodaParamsSchema,
  runsIn: 'worker',

  async validate(p: AugmentMocodaParams, places: JobPlaces): Promise<void> {
    if (!isDistribution(p.distribution)) throw invalid(`unknown distribution ${p.distribution}; use ${DISTRIBUTIONS.join(', ')}`, 'params.distribution');
    const dist = p.distribution as DistributionName;
    if (dist === 'CoDA' && p.env_id === HOOK_ID) throw invalid('CoDA cannot augment HookSweep2: its masks never split into independent parts (the gripper and action reach every child)', 'params.distribution');
    if (p.task !== undefined && p.env_id === HOOK_ID) throw invalid('task applies to Navigation2D; HookSweep2 is relabelled with goals from the two-box goal distribution', 'params.task');
    if (needsModel(dist)) {
      if (!p.model) throw invalid(`${dist} needs a trained MOCODA model (params.model); train one with a train_mocoda job`, 'params.model');
      const m = await readManifest(places.modelsDir, p.model);
      if (!m) throw invalid(`no model "${p.model}" in the registry`, 'params.model');
      if (!isMocodaManifest(m)) throw invalid(`model "${p.model}" is a ${m.kind} model, not a MOCODA one`, 'params.model');
      if (m.env.id !== p.env_id) throw invalid(`model "${p.model}" simulates ${m.env.id}, not ${p.env_id}`, 'params.model');
    }
    await checkSource(places, p.env_id, p.source ?? 'empirical', 'params.source');
    const id = augmentDatasetId(p);
    checkDatasetId(id, 'params.dataset');
    if (await readDatasetEntry(places.datasetsDir, id)) throw invalid(`dataset "${id}" already exists; choose another id`, 'params.dataset');
  },

  async run(p: AugmentMocodaParams, ctx: JobRunContext): Promise<Record<string, unknown>> {
    const dist = p.distribution as DistributionName;
    const seed = p.seed ?? 0;
    const def = mocodaDefinition(p.env_id);
    const real = await realData(ctx.places, p.env_id, p.source ?? 'empirical', seed, p.source_rows, 'params.source');
    const rows = p.rows ?? 4 * real.n;
    const model = needsModel(dist) ? await loadMocoda(ctx.places.modelsDir, p.model!, def) : undefined;
    try {
      let parents;
      if (needsParents(dist)) {
        ctx.progress({ done: 0, total: rows, unit: 'transitions', message: `fitting the parent distribution on ${real.n} real rows` });
        parents = fitParentDistribution(def, real, { seed });
      }
      const started = Date.now();
      const aug = await augmentDataset({
        distribution: dist, real, rows, model, parents, seed, task: p.task as 'diagonal' | undefined, targetAcceptance: p.target_acceptance, signal: ctx.signal,
        onProgress: (done, total) => ctx.progress({ done, total, unit: 'transitions', message: `${dist}: ${done}/${total} generated`, metrics: { rows_per_second: done / Math.max(1e-3, (Date.now() - started) / 1000) } }),
      });
      if (ctx.signal.aborted) throw new Error('augmentation was cancelled; nothing was saved');
      const g = aug.generated;
      const m = Math.min(g.n, TRUE_ERROR_ROWS);
      const err = trueDynamicsError(def, { n: m, observations: g.observations.subarray(0, m * real.obsSize), actions: g.actions.subarray(0, m * real.actionSize), nextObservations: g.nextObservations.subarray(0, m * real.obsSize) });
      const id = augmentDatasetId(p);
      const entry = await saveStoredDataset(ctx.places.datasetsDir, id, aug.dataset);
      return { dataset: entry.id, rows: aug.dataset.n, real_rows: aug.realRows, generated_rows: g.n, acceptance: g.acceptance, true_mse: err.mse, true_mse_rows: err.n };
    } finally {
      model?.dispose();
    }
  },
};

/** MOCODA's job kinds, for the server's jobKinds. */
export const MOCODA_JOB_KINDS: readonly JobKind[] = [trainMocodaJob, augmentMocodaJob] as unknown as readonly JobKind[];
