/**
 * A trained PerSim model: the network plus what serving and evaluation need to know about it (environment, agents and
 * their contexts, the data it was trained on), and its registry form (manifest + stacked weights).
 */
import type { Dataset } from '../../data/dataset.js';
import { datasetFingerprint } from '../../data/dataset.js';
import { ensureBackend } from '../nn/backend.js';
import type { ModelManifestBase } from '../registry.js';
import { readManifest, readModelWeights, writeModel } from '../registry.js';
import type { PersimHyper, PersimKind } from './config.js';
import { PersimNetwork, type NetworkShape, type Standardization } from './network.js';
import type { EpochReport } from './train.js';

/** Registry kinds of PerSim models. */
export const PERSIM_MODEL_KINDS: Readonly<Record<PersimKind, string>> = {
  persim: 'persim',
  unfactorized: 'persim-unfactorized',
  unpersonalized: 'persim-unpersonalized',
};

/** Everything the manifest of a PerSim model holds. */
export interface PersimManifest extends ModelManifestBase {
  hyper: PersimHyper;
  shape: NetworkShape;
  standardization: Standardization | null;
  agents: { count: number; context_names: string[]; contexts: number[][]; test_agents: number[] };
  dataset: { fingerprint: string; policy: string; policy_description: string; transitions: number; agents: number; seed: number };
  training: { curve: EpochReport[]; seconds: number; backend: string; command?: string };
  metrics: Record<string, number | string | Record<string, number>>;
}

/** A PerSim network with its metadata. */
export class PersimModel {
  constructor(readonly network: PersimNetwork, readonly meta: Omit<PersimManifest, 'weights' | 'format' | 'version' | 'id' | 'created' | 'description'> & { id?: string }) {}

  /** Number of trained agents. */
  get numAgents(): number {
    return this.meta.agents.count;
  }

  /** The context of trained agent `agent` as a name -> value map. */
  agentContext(agent: number): Record<string, number> {
    const row = this.meta.agents.contexts[agent];
    if (!row) throw new RangeError(`agent ${agent} is not in 0..${this.numAgents - 1}`);
    return Object.fromEntries(this.meta.agents.context_names.map((n, k) => [n, row[k]]));
  }

  /** Frees the network. */
  dispose(): void {
    this.network.dispose();
  }
}

/** Builds the metadata of a freshly trained network from its dataset and curve. */
export function persimModelFromTraining(network: PersimNetwork, d: Dataset, curve: EpochReport[], seconds: number, backend: string): PersimModel {
  const C = d.contextNames.length;
  return new PersimModel(network, {
    kind: PERSIM_MODEL_KINDS[network.hyper.kind],
    env: { id: d.envId, options: { ...d.envOptions } },
    hyper: network.hyper,
    shape: network.shape,
    standardization: network.standardization,
    agents: {
      count: d.numAgents,
      context_names: [...d.contextNames],
      contexts: Array.from({ length: d.numAgents }, (_, i) => Array.from(d.agentContexts.subarray(i * C, (i + 1) * C))),
      test_agents: [...d.testAgents],
    },
    dataset: { fingerprint: datasetFingerprint(d), policy: d.policy, policy_description: d.policyDescription, transitions: d.n, agents: d.numAgents, seed: d.seed },
    training: { curve, seconds, backend },
    metrics: {},
  });
}

/** Saves a model to `registryDir/id` atomically. */
export async function savePersim(registryDir: string, id: string, model: PersimModel, options: { description?: string; overwrite?: boolean } = {}): Promise<string> {
  const manifest: Omit<PersimManifest, 'weights'> = {
    format: 'twingym-model',
    version: 1,
    id,
    created: new Date().toISOString(),
    description: options.description ?? `${model.meta.kind} model of ${model.meta.env.id} trained on ${model.meta.dataset.agents} agents (${model.meta.dataset.policy} data)`,
    ...model.meta,
  };
  return writeModel<PersimManifest>(registryDir, manifest, model.network.params.exportStacked(), options.overwrite ?? false);
}

/** True when a manifest describes a PerSim model. */
export function isPersimManifest(m: ModelManifestBase): m is PersimManifest {
  return Object.values(PERSIM_MODEL_KINDS).includes(m.kind);
}

/** Loads a PerSim model; throws an Error naming the problem when the id is unknown or not a PerSim model. */
export async function loadPersim(registryDir: string, id: string): Promise<PersimModel> {
  await ensureBackend();
  const manifest = await readManifest(registryDir, id);
  if (!manifest) throw new Error(`no model "${id}" in ${registryDir}`);
  if (!isPersimManifest(manifest)) throw new Error(`model "${id}" is a ${manifest.kind} model, not a PerSim model`);
  const weights = await readModelWeights(registryDir, manifest);
  const network = new PersimNetwork(manifest.shape, manifest.hyper);
  try {
    network.params.importStacked(weights);
  } catch (e) {
    network.dispose();
    throw e;
  }
  network.setStandardization(manifest.standardization);
  const { weights: _w, format: _f, version: _v, created: _c, description: _d, ...meta } = manifest;
  return new PersimModel(network, meta);
}
