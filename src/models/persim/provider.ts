/**
 * PerSim models served through the ModelProvider contract: the server (and anything else that serves models) sees one
 * interface for every model kind, while the PerSim specifics (agents, personalisation, ensemble modes) stay in
 * PersimModelStore. The provider claims only the ids that are PerSim models in its registry, so several providers can
 * share one registry directory. Personalising a new agent (a trajectory in the request) is seconds of synchronous
 * fitting, so it runs in a worker thread (personalize-worker.ts); only the dynamics is built here.
 */
import type { EnvDefinition } from '../../core/definition.js';
import { TwinGymError } from '../../core/errors.js';
import { readManifest } from '../registry.js';
import type { ModelDynamics, ModelDynamicsRequest, ModelInfo, ModelProvider } from '../provider.js';
import { PersimDynamics } from './dynamics.js';
import { isPersimManifest } from './model.js';
import { PersonalizeWorker } from './personalize-worker.js';
import { PersimModelStore, type PersimModelSummary } from './store.js';

/** The wire description of a PerSim model. */
export function persimModelInfo(s: PersimModelSummary): ModelInfo {
  return {
    id: s.id,
    kind: s.kind,
    env_id: s.env,
    env_options: { ...s.env_options },
    created: s.created,
    description: s.description,
    members: s.members,
    agents: s.agents,
    test_agents: [...s.test_agents],
    context_names: [...s.context_names],
    metadata: { rank: s.rank, epochs_trained: s.epochs_trained, dataset: s.dataset, metrics: s.metrics },
  };
}

/** PerSim models of one registry directory. */
export class PersimProvider implements ModelProvider {
  readonly name = 'persim';
  readonly store: PersimModelStore;
  private readonly personalizer = new PersonalizeWorker();

  /** Serves the PerSim models of `registryDir` (which may not exist yet: it then lists nothing). */
  constructor(readonly registryDir: string) {
    this.store = new PersimModelStore(registryDir);
  }

  /** Every complete PerSim model in the registry, re-read from disk. */
  async list(): Promise<ModelInfo[]> {
    return (await this.store.list()).map(persimModelInfo);
  }

  /** True when `id` names a PerSim model of this registry. */
  async owns(id: string): Promise<boolean> {
    const m = await readManifest(this.registryDir, id);
    return m !== null && isPersimManifest(m);
  }

  /**
   * The dynamics of a PerSim model for one agent (trained id or fitted trajectory); undefined for ids that are not
   * this provider's. The store's errors (another env, agent out of range, bad trajectory) pass through unchanged. A
   * trajectory is fitted in the personalisation thread, so the caller's event loop keeps running meanwhile.
   */
  async create(request: ModelDynamicsRequest, definition: EnvDefinition): Promise<ModelDynamics | undefined> {
    if (!(await this.owns(request.model))) return undefined;
    if (request.trajectory !== undefined) return this.personalized(request, definition);
    const made = await this.store.makeDynamics(definition, {
      model: request.model,
      agent: request.agent,
      trajectory: request.trajectory,
      mode: request.mode,
    });
    return { dynamics: made.dynamics, contexts: made.contexts };
  }

  /**
   * A new agent's dynamics: the store's checks here, the fit in the thread, the dynamics with the fitted codes here.
   * The codes belong to one version of the model, so a model replaced on disk meanwhile (the thread fitted another
   * version than this thread loaded) is fitted again.
   */
  private async personalized(request: ModelDynamicsRequest, definition: EnvDefinition): Promise<ModelDynamics> {
    const wanted = { model: request.model, trajectory: request.trajectory, mode: request.mode };
    for (let attempt = 0; attempt < 3; attempt++) {
      const summary = await this.store.validateRequest(definition, wanted);
      const fitted = await this.personalizer.fit({ registryDir: this.registryDir, model: request.model, data: request.trajectory! });
      const model = await this.store.get(request.model);
      if (fitted.created !== summary.created || (await this.store.describe(request.model)).created !== summary.created) continue;
      return { dynamics: new PersimDynamics(definition, model, { codes: fitted.codes }, { mode: request.mode, modelId: request.model }), contexts: null };
    }
    throw new TwinGymError('busy', `model "${request.model}" was replaced on disk while a new agent was fitted to it, three times over; retry once it is no longer being rewritten`, { model: request.model });
  }

  /** Frees every loaded model and stops the personalisation thread. */
  async dispose(): Promise<void> {
    await this.personalizer.dispose();
    await this.store.dispose();
  }
}
