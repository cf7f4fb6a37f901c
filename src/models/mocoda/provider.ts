/**
 * Serving MOCODA models from a registry directory (the ModelProvider contract of src/models/provider.ts): list the
 * mocoda-* manifests as ModelInfo, and build a session's MocodaDynamics, loading each model once (cached by id and
 * creation time; a model replaced on disk is reloaded, the old copy kept alive for sessions still stepping it).
 */
import type { EnvDefinition } from '../../core/definition.js';
import { TwinGymError } from '../../core/errors.js';
import type { ModelDynamics, ModelDynamicsRequest, ModelInfo, ModelProvider } from '../provider.js';
import { listModels, readManifest } from '../registry.js';
import { MocodaDynamics } from './dynamics.js';
import { isMocodaManifest, modelFromManifest, type MocodaManifest, type MocodaModel } from './model.js';

/** What list_models reports for a MOCODA manifest. */
export function mocodaModelInfo(m: MocodaManifest): ModelInfo {
  return {
    id: m.id,
    kind: m.kind,
    env_id: m.env.id,
    env_options: m.env.options,
    created: m.created,
    description: m.description,
    members: m.hyper.members,
    agents: null,
    test_agents: [],
    context_names: [],
    metadata: {
      hyper: m.hyper,
      layout: m.layout,
      dataset: m.dataset,
      metrics: m.metrics,
      epochs_trained: m.training.curve.length,
      best_epoch: m.training.bestEpoch,
      training_seconds: m.training.seconds,
      backend: m.training.backend,
    },
  };
}

/** MOCODA models of one registry directory. */
export class MocodaProvider implements ModelProvider {
  readonly name = 'mocoda';
  private readonly cache = new Map<string, { created: string; model: Promise<MocodaModel> }>();
  private readonly retired: Array<Promise<MocodaModel>> = [];

  constructor(readonly registryDir: string) {}

  /** Every complete MOCODA model in the registry. */
  async list(): Promise<ModelInfo[]> {
    return (await listModels(this.registryDir)).filter(isMocodaManifest).map(mocodaModelInfo);
  }

  /** The loaded model of a manifest (cached). */
  async get(manifest: MocodaManifest, def: EnvDefinition): Promise<MocodaModel> {
    const key = `${manifest.id}\u0000${JSON.stringify(def.options)}`;
    const hit = this.cache.get(key);
    if (hit && hit.created === manifest.created) return hit.model;
    if (hit) this.retired.push(hit.model);
    const model = modelFromManifest(this.registryDir, manifest, def);
    this.cache.set(key, { created: manifest.created, model });
    model.catch(() => this.cache.delete(key));
    return model;
  }

  /**
   * The dynamics of `request.model` for a session of `definition`; undefined when the id is not a MOCODA model here.
   * MOCODA models have no agents: an agent id or a personalisation trajectory is refused.
   */
  async create(request: ModelDynamicsRequest, definition: EnvDefinition): Promise<ModelDynamics | undefined> {
    const manifest = await readManifest(this.registryDir, request.model);
    if (!manifest || !isMocodaManifest(manifest)) return undefined;
    if (manifest.env.id !== definition.id) {
      throw new TwinGymError('unknown_dynamics', `model "${request.model}" simulates ${manifest.env.id}, not ${definition.id}; make ${manifest.env.id} with it, or pick a ${definition.id} model from list_models`, { model: request.model, model_env: manifest.env.id, env: definition.id });
    }
    if (request.agent !== undefined && request.agent !== null) {
      throw new TwinGymError('invalid_argument', `model "${request.model}" is a ${manifest.kind} model: it has no agents, so leave out the agent id`, { path: 'agent' });
    }
    if (request.trajectory !== undefined) {
      throw new TwinGymError('invalid_argument', `model "${request.model}" is a ${manifest.kind} model: it cannot be personalised from a trajectory (only PerSim models can)`, { path: 'trajectory' });
    }
    let model: MocodaModel;
    try {
      model = await this.get(manifest, definition);
    } catch (e) {
      throw new TwinGymError('unknown_dynamics', `model "${request.model}" cannot be loaded: ${(e as Error).message}`, { model: request.model });
    }
    return { dynamics: new MocodaDynamics(definition, model, { mode: request.mode, modelId: request.model }), contexts: null };
  }

  /** Frees every cached model. */
  async dispose(): Promise<void> {
    for (const model of [...this.cache.values()].map((c) => c.model).concat(this.retired)) (await model.catch(() => null))?.dispose();
    this.cache.clear();
    this.retired.length = 0;
  }
}
