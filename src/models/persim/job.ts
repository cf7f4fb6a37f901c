/**
 * One PerSim training run from data to registry entry, shared by the CLI (`twingym train`) and server jobs: train with
 * progress callbacks, evaluate the test agents with the comparison protocol, then save atomically with the metrics
 * and the training curve in the manifest.
 */
import type { Dataset } from '../../data/dataset.js';
import { evaluatePersimAgents } from '../../eval/persim-eval.js';
import { ensureBackend } from '../nn/backend.js';
import type { PersimHyper } from './config.js';
import { persimModelFromTraining, savePersim, type PersimModel } from './model.js';
import { trainPersim, type TrainCallbacks } from './train.js';

/** A training job. */
export interface PersimTrainingJob extends TrainCallbacks {
  dataset: Dataset;
  hyper: PersimHyper;
  registryDir: string;
  id: string;
  overwrite?: boolean;
  /** Episodes per test agent for the metrics stored in the manifest (0 skips the evaluation; default 20). */
  evalEpisodes?: number;
  /** The command line or job description that produced the model, kept in the manifest. */
  command?: string;
  description?: string;
}

/** The outcome: where the model was written and the loaded model (the caller disposes it). */
export interface PersimTrainingOutcome {
  path: string;
  model: PersimModel;
  metrics: PersimModel['meta']['metrics'];
}

/** Trains, evaluates and saves; the model stays loaded for the caller. */
export async function runPersimTraining(job: PersimTrainingJob): Promise<PersimTrainingOutcome> {
  const backend = await ensureBackend();
  const { network, curve, seconds } = trainPersim(job.dataset, job.hyper, job);
  if (job.shouldStop?.()) {
    network.dispose();
    throw new Error(`training of ${job.id} was cancelled after ${curve.length} epochs; nothing was saved`);
  }
  const model = persimModelFromTraining(network, job.dataset, curve, seconds, backend.name);
  try {
    if (job.command) model.meta.training.command = job.command;
    const episodes = job.evalEpisodes ?? 20;
    if (episodes > 0 && model.meta.agents.test_agents.length > 0) {
      const rows = evaluatePersimAgents(model, { episodes, seed: 1 });
      const metric = (f: (i: number) => number) => Object.fromEntries(rows.map((r, i) => [r.label, f(i)]));
      model.meta.metrics = {
        protocol: `PerSim comparison, ${episodes} episodes per test agent, test policy ${rows[0].result.policy}`,
        rmse_mean: metric((i) => rows[i].result.rmseMean),
        r2_median: metric((i) => rows[i].result.r2Median),
      };
    }
    model.meta.metrics.final_train_loss = curve.length ? curve[curve.length - 1].loss : NaN;
    const path = await savePersim(job.registryDir, job.id, model, { description: job.description, overwrite: job.overwrite });
    return { path, model, metrics: model.meta.metrics };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
