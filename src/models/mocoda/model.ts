/**
 * A trained MOCODA ensemble: the network plus the environment definition it reads masks from, prediction of full next
 * observations (mean and std per member, ensemble mean, temperature-scaled samples with a random member per row), and
 * its registry form (manifest + stacked weights, written atomically by src/models/registry.ts).
 */
import { createHash } from 'node:crypto';
import { makeDefinition } from '../../../envs/registry.js';
import type { EnvDefinition } from '../../core/definition.js';
import type { Rng } from '../../core/rng.js';
import { ensureBackend } from '../nn/backend.js';
import type { ModelManifestBase } from '../registry.js';
import { readManifest, readModelWeights, writeModel } from '../registry.js';
import type { MocodaHyper, TransitionData } from './config.js';
import { MOCODA_MODEL_KINDS, validateMocodaHyper } from './config.js';
import { mocodaLayout, rootVectors, type MocodaLayout } from './layout.js';
import { MocodaNetwork } from './network.js';

/** One epoch of the training curve. */
export interface MocodaEpochReport {
  /** 1-based epoch. */
  epoch: number;
  epochs: number;
  /** Gaussian negative log-likelihood per child entry (constant dropped), averaged over minibatches and members. */
  loss: number;
  /** The same on the validation rows (NaN without validation). */
  validationLoss: number;
  /** Squared error of the ensemble-mean prediction per child entry on the validation rows (NaN without validation). */
  validationMse: number;
  lr: number;
  seconds: number;
  /** Training rows per second of wall time in this epoch. */
  transitionsPerSecond: number;
}

/** What a model knows about its own training (kept in the manifest). */
export interface MocodaTrainingInfo {
  curve: MocodaEpochReport[];
  seconds: number;
  backend: string;
  /** The epoch whose weights were kept (the last one unless early stopping picked another). */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Set when shouldStop() ended training. */
  cancelled: boolean;
}

/** The dataset a model was trained on. */
export interface MocodaDatasetInfo {
  fingerprint: string;
  transitions: number;
  trainRows: number;
  validationRows: number;
  /** Free-form facts callers add at save time (dataset id, distribution name, ...). */
  [key: string]: string | number | boolean;
}

/** The manifest of a MOCODA model. */
export interface MocodaManifest extends ModelManifestBase {
  hyper: MocodaHyper;
  layout: { obs_size: number; action_size: number; roots: string[]; children: string[]; root_dim: number; child_dim: number };
  dataset: MocodaDatasetInfo;
  training: MocodaTrainingInfo;
  metrics: Record<string, number>;
}

/** Prediction options of MocodaModel.sample. */
export interface MocodaSampleOptions {
  /** The std is divided by this (the reference: 3). Default 3; Infinity gives the member's mean. */
  temperature?: number;
  /** "random" (default): one uniformly drawn member per row; a number: that member for every row. */
  member?: 'random' | number;
}

/** Per-member predictions of full next observations: [members x n x obsSize] each. */
export interface MocodaPrediction {
  mean: Float64Array;
  /** 0 for observation entries that are no child's (they are copied from the current observation). */
  std: Float64Array;
}

/** A sha256 over a dataset's shape and numbers (what manifests record). */
export function transitionFingerprint(d: TransitionData): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ n: d.n, obs: d.observations.length, act: d.actions.length }));
  for (const a of [d.observations, d.actions, d.nextObservations]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

/** A MOCODA ensemble for one environment definition. */
export class MocodaModel {
  readonly layout: MocodaLayout;

  constructor(
    readonly def: EnvDefinition,
    readonly network: MocodaNetwork,
    readonly training: MocodaTrainingInfo,
    readonly dataset: MocodaDatasetInfo,
    readonly metrics: Record<string, number> = {},
  ) {
    this.layout = network.layout;
  }

  /** The hyper-parameters. */
  get hyper(): MocodaHyper {
    return this.network.hyper;
  }

  /** Ensemble size. */
  get members(): number {
    return this.network.hyper.members;
  }

  /** Registry kind ("mocoda-local", ...). */
  get registryKind(): string {
    return MOCODA_MODEL_KINDS[this.hyper.kind];
  }

  /** Every member's mean and std of the next observation of n (obs, action) rows. */
  predict(obs: Float64Array, actions: Float64Array, n: number): MocodaPrediction {
    this.checkRows(obs, actions, n);
    const O = this.layout.obsSize;
    const M = this.members;
    const { roots, masks } = this.inputsOf(obs, actions, n);
    const mean = new Float64Array(M * n * O);
    const std = new Float64Array(M * n * O);
    for (let m = 0; m < M; m++) {
      const out = this.network.predict(m, roots, masks, n);
      this.writeRows(obs, out.mean, out.variance, n, mean.subarray(m * n * O, (m + 1) * n * O), std.subarray(m * n * O, (m + 1) * n * O));
    }
    return { mean, std };
  }

  /** The ensemble mean of the members' mean predictions: n x obsSize. */
  meanPrediction(obs: Float64Array, actions: Float64Array, n: number): Float64Array {
    const { mean } = this.predict(obs, actions, n);
    const O = this.layout.obsSize;
    const M = this.members;
    const out = new Float64Array(n * O);
    for (let m = 0; m < M; m++) for (let j = 0; j < n * O; j++) out[j] += mean[m * n * O + j] / M;
    return out;
  }

  /**
   * Predictions with a given member per row (rows of one member are batched together): mean and std, n x obsSize
   * each. What sampling and member-major stepping are built on.
   */
  predictAssigned(obs: Float64Array, actions: Float64Array, n: number, memberOfRow: ArrayLike<number>): MocodaPrediction {
    this.checkRows(obs, actions, n);
    const O = this.layout.obsSize;
    const A = this.layout.actionSize;
    const M = this.members;
    const mean = new Float64Array(n * O);
    const std = new Float64Array(n * O);
    for (let m = 0; m < M; m++) {
      const rows: number[] = [];
      for (let i = 0; i < n; i++) {
        const who = memberOfRow[i];
        if (!(Number.isInteger(who) && who >= 0 && who < M)) throw new RangeError(`member ${who} is not in 0..${M - 1}`);
        if (who === m) rows.push(i);
      }
      if (rows.length === 0) continue;
      const k = rows.length;
      const o = new Float64Array(k * O);
      const a = new Float64Array(k * A);
      rows.forEach((i, j) => {
        o.set(obs.subarray(i * O, (i + 1) * O), j * O);
        a.set(actions.subarray(i * A, (i + 1) * A), j * A);
      });
      const { roots, masks } = this.inputsOf(o, a, k);
      const out = this.network.predict(m, roots, masks, k);
      const mu = new Float64Array(k * O);
      const sd = new Float64Array(k * O);
      this.writeRows(o, out.mean, out.variance, k, mu, sd);
      rows.forEach((i, j) => {
        mean.set(mu.subarray(j * O, (j + 1) * O), i * O);
        std.set(sd.subarray(j * O, (j + 1) * O), i * O);
      });
    }
    return { mean, std };
  }

  /**
   * n sampled next observations: per row one member (drawn from rng, or the given one), then the member's mean plus
   * Gaussian noise with std / temperature on every child entry. Draw order: all members first, then the noise row by
   * row, so a seed replays exactly.
   */
  sample(obs: Float64Array, actions: Float64Array, n: number, rng: Rng, options: MocodaSampleOptions = {}): Float64Array {
    const M = this.members;
    const t = options.temperature ?? 3;
    if (!(t > 0)) throw new RangeError(`temperature must be positive, got ${t}`);
    const who = new Int32Array(n);
    const fixed = options.member ?? 'random';
    if (fixed === 'random') for (let i = 0; i < n; i++) who[i] = rng.integer(0, M - 1);
    else if (Number.isInteger(fixed) && fixed >= 0 && fixed < M) who.fill(fixed);
    else throw new RangeError(`member must be "random" or in 0..${M - 1}, got ${fixed}`);
    const { mean, std } = this.predictAssigned(obs, actions, n, who);
    this.addNoise(mean, std, n, t, () => rng);
    return mean;
  }

  /** Adds std/temperature-scaled standard-normal noise to the child entries of n rows (rngOf(i) gives row i's stream). */
  addNoise(mean: Float64Array, std: Float64Array, n: number, temperature: number, rngOf: (i: number) => Rng): void {
    if (temperature === Infinity) return;
    const O = this.layout.obsSize;
    for (let i = 0; i < n; i++) {
      const r = rngOf(i);
      for (const c of this.layout.children) for (const idx of c.indices) mean[i * O + idx] += (r.normal() * std[i * O + idx]) / temperature;
    }
  }

  /** Frees the network. */
  dispose(): void {
    this.network.dispose();
  }

  private checkRows(obs: Float64Array, actions: Float64Array, n: number): void {
    const { obsSize: O, actionSize: A } = this.layout;
    if (!(Number.isInteger(n) && n >= 0) || obs.length < n * O || actions.length < n * A) {
      throw new RangeError(`a batch of ${n} rows needs ${n} x ${O} observations and ${n} x ${A} actions (got ${obs.length} and ${actions.length} numbers)`);
    }
  }

  private inputsOf(obs: Float64Array, actions: Float64Array, n: number): { roots: Float64Array; masks: Uint8Array | null } {
    const roots = rootVectors(this.layout, obs, actions, n);
    let masks: Uint8Array | null = null;
    if (this.network.maskSize > 0) {
      masks = new Uint8Array(n * this.network.maskSize);
      this.def.causal!.mask(obs, actions, n, masks);
    }
    return { roots, masks };
  }

  /** Full next-observation rows: the current observation with every child entry replaced by the prediction. */
  private writeRows(obs: Float64Array, mu: Float32Array, va: Float32Array, n: number, mean: Float64Array, std: Float64Array): void {
    const { obsSize: O, childDim: K } = this.layout;
    for (let i = 0; i < n; i++) {
      mean.set(obs.subarray(i * O, (i + 1) * O), i * O);
      std.fill(0, i * O, (i + 1) * O);
      for (const c of this.layout.children) {
        for (let j = 0; j < c.indices.length; j++) {
          mean[i * O + c.indices[j]] = mu[i * K + c.offset + j];
          std[i * O + c.indices[j]] = Math.sqrt(va[i * K + c.offset + j]);
        }
      }
    }
  }
}

/** Options of saveMocoda. */
export interface SaveMocodaOptions {
  description?: string;
  overwrite?: boolean;
  /** Evaluation metrics to record (merged over the model's own). */
  metrics?: Record<string, number>;
  /** Extra dataset facts to record (dataset id, distribution, ...). */
  dataset?: Record<string, string | number | boolean>;
}

/** True when a manifest describes a MOCODA model. */
export function isMocodaManifest(m: ModelManifestBase): m is MocodaManifest {
  return Object.values(MOCODA_MODEL_KINDS).includes(m.kind);
}

/** Saves a model to `registryDir/id` atomically; returns the model's directory. */
export async function saveMocoda(registryDir: string, id: string, model: MocodaModel, options: SaveMocodaOptions = {}): Promise<string> {
  const L = model.layout;
  const manifest: Omit<MocodaManifest, 'weights'> = {
    format: 'twingym-model',
    version: 1,
    id,
    kind: model.registryKind,
    env: { id: model.def.id, options: { ...model.def.options } },
    created: new Date().toISOString(),
    description: options.description ?? `${model.registryKind} ensemble (${model.members} members) of ${model.def.id} trained on ${model.dataset.transitions} transitions`,
    hyper: model.hyper,
    layout: { obs_size: L.obsSize, action_size: L.actionSize, roots: L.roots.map((r) => r.name), children: L.children.map((c) => c.name), root_dim: L.rootDim, child_dim: L.childDim },
    dataset: { ...model.dataset, ...(options.dataset ?? {}) },
    training: model.training,
    metrics: { ...model.metrics, ...(options.metrics ?? {}) },
  };
  return writeModel<MocodaManifest>(registryDir, manifest, model.network.params.exportStacked(), options.overwrite ?? false);
}

/**
 * Loads a model. The definition is rebuilt from the manifest's env id and options unless one is given (it must be the
 * same environment). Throws an Error naming the problem for unknown ids, non-MOCODA models and layout mismatches.
 */
export async function loadMocoda(registryDir: string, id: string, def?: EnvDefinition): Promise<MocodaModel> {
  await ensureBackend();
  const manifest = await readManifest(registryDir, id);
  if (!manifest) throw new Error(`no model "${id}" in ${registryDir}`);
  if (!isMocodaManifest(manifest)) throw new Error(`model "${id}" is a ${manifest.kind} model, not a MOCODA model`);
  return modelFromManifest(registryDir, manifest, def);
}

/** Builds the model of an already read manifest (the provider's cache path). */
export async function modelFromManifest(registryDir: string, manifest: MocodaManifest, def?: EnvDefinition): Promise<MocodaModel> {
  // The provider reaches this without loadMocoda, possibly before anything in the process has started TF.js.
  await ensureBackend();
  const d = def ?? makeDefinition(manifest.env.id, manifest.env.options);
  if (d.id !== manifest.env.id) throw new Error(`model "${manifest.id}" simulates ${manifest.env.id}, not ${d.id}`);
  validateMocodaHyper(manifest.hyper);
  const layout = mocodaLayout(d);
  if (layout.rootDim !== manifest.layout.root_dim || layout.childDim !== manifest.layout.child_dim || layout.obsSize !== manifest.layout.obs_size) {
    throw new Error(`model "${manifest.id}" was trained on a different causal layout of ${d.id} (roots ${manifest.layout.root_dim}, children ${manifest.layout.child_dim})`);
  }
  const weights = await readModelWeights(registryDir, manifest);
  const network = new MocodaNetwork(layout, manifest.hyper);
  try {
    network.params.importStacked(weights);
  } catch (e) {
    network.dispose();
    throw e;
  }
  return new MocodaModel(d, network, manifest.training, manifest.dataset, manifest.metrics);
}
