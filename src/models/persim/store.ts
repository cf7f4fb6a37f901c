/**
 * Serving-side access to PerSim models in a registry directory: listing with metadata, loading on demand with a
 * cache, and building the Dynamics a session needs for (model id, agent id) or (model id, personalisation trajectory).
 * Every refusal is a TwinGymError whose message names the cause and the fix, so the server can pass it on unchanged.
 */
import type { ContextMap } from '../../../protocol/ts/spaces.js';
import type { EnvDefinition } from '../../core/definition.js';
import { TwinGymError } from '../../core/errors.js';
import { listModels, readManifest } from '../registry.js';
import { PersimDynamics, type PersimDynamicsOptions } from './dynamics.js';
import { isPersimManifest, loadPersim, type PersimManifest, type PersimModel } from './model.js';
import { personalize, type PersonalizationData, type PersonalizeOptions } from './personalize.js';

/** What list_models reports for a PerSim model. */
export interface PersimModelSummary {
  id: string;
  kind: string;
  env: string;
  env_options: Record<string, string | number | boolean>;
  created: string;
  description: string;
  agents: number;
  context_names: string[];
  test_agents: number[];
  rank: number;
  members: number;
  epochs_trained: number;
  dataset: PersimManifest['dataset'];
  metrics: PersimManifest['metrics'];
}

/** How to pick the agent of a served model. */
export interface PersimDynamicsRequest {
  model: string;
  /** A trained agent id (0 .. agents-1). */
  agent?: number;
  /** A short trajectory of a new agent: its code is fitted with the encoders frozen. */
  trajectory?: PersonalizationData;
  personalize?: PersonalizeOptions;
  mode?: PersimDynamicsOptions['mode'];
}

/** A made dynamics and the contexts the session should carry (the trained agent's, when known). */
export interface PersimDynamicsResult {
  dynamics: PersimDynamics;
  contexts: ContextMap | null;
  manifest: PersimModelSummary;
}

function summaryOf(m: PersimManifest): PersimModelSummary {
  return {
    id: m.id, kind: m.kind, env: m.env.id, env_options: m.env.options, created: m.created, description: m.description,
    agents: m.agents.count, context_names: m.agents.context_names, test_agents: m.agents.test_agents, rank: m.hyper.rank,
    members: m.hyper.members, epochs_trained: m.training.curve.length, dataset: m.dataset, metrics: m.metrics,
  };
}

/** PerSim models of one registry directory, loaded on demand and cached by id and creation time. */
export class PersimModelStore {
  private readonly cache = new Map<string, { created: string; model: Promise<PersimModel> }>();
  /** Models replaced on disk while sessions may still step them: freed only by dispose(). */
  private readonly retired: Array<Promise<PersimModel>> = [];

  constructor(readonly registryDir: string) {}

  /** Every complete PerSim model in the registry. */
  async list(): Promise<PersimModelSummary[]> {
    return (await listModels(this.registryDir)).filter(isPersimManifest).map(summaryOf);
  }

  /** One model's summary, or an unknown_dynamics error listing the available ids. */
  async describe(id: string): Promise<PersimModelSummary> {
    const m = await readManifest(this.registryDir, id);
    if (!m || !isPersimManifest(m)) {
      const known = (await this.list()).map((s) => s.id);
      throw new TwinGymError('unknown_dynamics', `no PerSim model "${id}"; available: ${known.join(', ') || 'none (train one with `twingym train`)'}`, { model: id, known });
    }
    return summaryOf(m);
  }

  /**
   * The loaded model (cached; reloaded when the registry entry was replaced, the old one kept alive for sessions
   * that still use it).
   */
  async get(id: string): Promise<PersimModel> {
    const summary = await this.describe(id);
    const hit = this.cache.get(id);
    if (hit && hit.created === summary.created) return hit.model;
    if (hit) this.retired.push(hit.model);
    const model = loadPersim(this.registryDir, id);
    this.cache.set(id, { created: summary.created, model });
    model.catch(() => this.cache.delete(id));
    return model;
  }

  /**
   * The checks of makeDynamics without loading the model: the model exists and simulates `def`'s environment, exactly
   * one of agent and trajectory is given, the agent is one of the model's, and the trajectory's arrays fit the spaces.
   * Returns the model's summary; throws the TwinGymError makeDynamics would. For callers that do the expensive part
   * (personalisation) elsewhere, such as off the main thread.
   */
  async validateRequest(def: EnvDefinition, request: PersimDynamicsRequest): Promise<PersimModelSummary> {
    const summary = await this.describe(request.model);
    if (summary.env !== def.id) {
      throw new TwinGymError('unknown_dynamics', `model "${request.model}" simulates ${summary.env}, not ${def.id}; make ${summary.env} with it, or pick a ${def.id} model from list_models`, { model: request.model, model_env: summary.env, env: def.id });
    }
    const hasAgent = request.agent !== undefined && request.agent !== null;
    if (hasAgent === (request.trajectory !== undefined)) {
      throw new TwinGymError('invalid_argument', `a PerSim model needs exactly one of: an agent id (0..${summary.agents - 1}) or a personalisation trajectory of a new agent`, { path: 'agent' });
    }
    if (hasAgent) {
      const a = request.agent as number;
      if (!Number.isInteger(a) || a < 0 || a >= summary.agents) {
        throw new TwinGymError('invalid_argument', `agent ${a} is outside the model's agents 0..${summary.agents - 1} (test agents: ${summary.test_agents.join(', ') || 'none'})`, { path: 'agent', agents: summary.agents });
      }
    } else {
      const t = request.trajectory!;
      const O = def.observationSpace.size;
      const A = def.actionSpace.size;
      if (!(t.n >= 1) || t.observations.length !== t.n * O || t.nextObservations.length !== t.n * O || t.actions.length !== t.n * A) {
        throw new TwinGymError('bad_shape', `a personalisation trajectory of n transitions needs n x ${O} observations and next observations and n x ${A} actions`, { path: 'trajectory' });
      }
    }
    return summary;
  }

  /**
   * The dynamics of `request.model` for a definition: checks that the model was trained on this environment, that the
   * agent exists (or fits a new agent from the trajectory), and returns the agent's context for the session.
   */
  async makeDynamics(def: EnvDefinition, request: PersimDynamicsRequest): Promise<PersimDynamicsResult> {
    const summary = await this.validateRequest(def, request);
    const hasAgent = request.agent !== undefined && request.agent !== null;
    const model = await this.get(request.model);
    const options = { mode: request.mode, modelId: request.model };
    if (hasAgent) {
      const agent = request.agent as number;
      return { dynamics: new PersimDynamics(def, model, { agent }, options), contexts: model.agentContext(agent), manifest: summary };
    }
    const fitted = personalize(model.network, request.trajectory!, request.personalize);
    return { dynamics: new PersimDynamics(def, model, { codes: fitted.codes }, options), contexts: null, manifest: summary };
  }

  /** Frees every cached model. */
  async dispose(): Promise<void> {
    for (const model of [...this.cache.values()].map((c) => c.model).concat(this.retired)) (await model.catch(() => null))?.dispose();
    this.cache.clear();
    this.retired.length = 0;
  }
}
