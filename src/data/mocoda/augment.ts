/**
 * Augmented datasets as MOCODA builds them (REFERENCE.md 5): the real rows plus generated rows in the paper's ratio
 * (1 : 4, e.g. Navigation2D's 40,000 + 160,000), all relabelled with the target task's reward (Navigation2D: a task
 * such as "diagonal"; HookSweep2: goals redrawn from the two-box goal distribution for every row). The result is a
 * plain Dataset, so saveDataset writes it as D4RL-style HDF5 or NPZ.
 */
import type { Navigation2DTask } from '../../../envs/classic/navigation2d.js';
import { Rng } from '../../core/rng.js';
import type { MocodaModel, ParentDistribution } from '../../models/mocoda/index.js';
import type { Dataset } from '../dataset.js';
import { concatDatasets, mocodaDefinition, transitionsOf, transitionsToDataset } from './common.js';
import { needsModel, needsParents, sampleTransitions, type DistributionName, type Generated } from './distributions.js';
import { relabelDataset } from './relabel.js';

/** The paper's generated : real ratio. */
export const AUGMENT_RATIO = 4;

/** What to augment. */
export interface AugmentOptions {
  distribution: DistributionName;
  /** The real data (its envId picks the environment). */
  real: Dataset;
  /** Generated rows (default AUGMENT_RATIO x the real rows). */
  rows?: number;
  model?: MocodaModel;
  parents?: ParentDistribution;
  seed?: number;
  /** Navigation2D target task (default "diagonal"). */
  task?: Navigation2DTask;
  /** Expected acceptance of MOCODA-U / MOCODA-P's rejection batches. */
  targetAcceptance?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** An augmented dataset and what went into it. */
export interface Augmented {
  dataset: Dataset;
  generated: Generated;
  realRows: number;
}

/** Builds real + generated rows, relabelled for the target task (see the module comment). */
export async function augmentDataset(options: AugmentOptions): Promise<Augmented> {
  const { distribution: dist, real } = options;
  if (needsModel(dist) && !options.model) throw new Error(`${dist} generates with a learned model; give one (train it with \`twingym mocoda train\`)`);
  if (needsParents(dist) && !options.parents) throw new Error(`${dist} samples from the parent distribution; fit it on the real data first`);
  const seed = options.seed ?? 0;
  const rows = options.rows ?? AUGMENT_RATIO * real.n;
  const def = mocodaDefinition(real.envId, real.envOptions);
  const generated = await sampleTransitions(dist, {
    def, data: transitionsOf(real), model: options.model, parents: options.parents, rng: Rng.fromSeed(seed),
    targetAcceptance: options.targetAcceptance, onProgress: options.onProgress, signal: options.signal,
  }, rows);
  const description = `MOCODA ${dist} augmentation: ${real.n} real rows (${real.policyDescription}) + ${rows} generated` +
    (options.model ? ` by ${options.model.registryKind}` : '') + `, relabelled for ${real.envId === 'HookSweep2-v0' ? 'two-box goals' : `task ${options.task ?? 'diagonal'}`}`;
  const meta = { policy: dist, policyDescription: description, seed };
  const joined = concatDatasets(real, transitionsToDataset(def, generated, meta), meta);
  const dataset = relabelDataset(joined, { task: options.task, seed: seed + 1 });
  return { dataset: { ...dataset, policy: dist, policyDescription: description, seed }, generated, realRows: real.n };
}
