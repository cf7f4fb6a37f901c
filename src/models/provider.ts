/**
 * The contract between learned-model kinds (PerSim, MOCODA) and everything that serves them. A provider owns one model
 * kind in one registry directory; the server asks it which models exist and for a session's dynamics. Keeping this in
 * src/models (not servers/) lets the CLI, scripts and tests build served dynamics without a server.
 */
import type { ContextMap } from '../../protocol/ts/spaces.js';
import type { Dynamics, EnvDefinition } from '../core/definition.js';

/** A short trajectory of a new agent, for models that personalise (row-major float64, discrete actions as integers). */
export interface PersonalizationTrajectory {
  n: number;
  observations: Float64Array;
  actions: Float64Array;
  nextObservations: Float64Array;
}

/** What make's `dynamics` map asks for, decoded. */
export interface ModelDynamicsRequest {
  model: string;
  /** A trained agent id (PerSim). */
  agent?: number;
  /** A new agent's transitions, fitted with the model's encoders frozen (PerSim). */
  trajectory?: PersonalizationTrajectory;
  /** "mean" (default): the ensemble mean; "sample": a random member per step and env (seeded by the session). */
  mode?: 'mean' | 'sample';
}

/** What list_models reports about one model (wire names). */
export interface ModelInfo {
  id: string;
  /** "persim", "persim-unfactorized", "persim-unpersonalized", "mocoda-local", "mocoda-global", "mocoda-unfactored". */
  kind: string;
  env_id: string;
  env_options: Record<string, string | number | boolean>;
  created: string;
  description: string;
  members: number;
  /** Number of trained agents (PerSim), null for models without agents. */
  agents: number | null;
  /** PerSim's test agents, empty otherwise. */
  test_agents: number[];
  /** Context parameter names the agents differ in (PerSim), empty otherwise. */
  context_names: string[];
  /** Kind-specific facts: hyper-parameters, dataset fingerprint and size, evaluation metrics, training time. */
  metadata: Record<string, unknown>;
}

/** A session's learned dynamics and the contexts it should report (the trained agent's true context, when known). */
export interface ModelDynamics {
  dynamics: Dynamics;
  contexts: ContextMap | null;
}

/** One model kind served from one registry directory. */
export interface ModelProvider {
  /** A short name for logs and errors ("persim", "mocoda"). */
  readonly name: string;
  /** Every complete model of this provider's kinds in its registry (re-reads the directory). */
  list(): Promise<ModelInfo[]>;
  /**
   * The dynamics for a session of `definition`, or undefined when the id is not one of this provider's models.
   * A provider that owns the id but cannot serve the request (another env, agent out of range, bad trajectory)
   * throws a TwinGymError (unknown_dynamics, invalid_argument, bad_shape) whose message names the fix.
   */
  create(request: ModelDynamicsRequest, definition: EnvDefinition): Promise<ModelDynamics | undefined>;
  /** Frees loaded models. */
  dispose(): Promise<void>;
}
