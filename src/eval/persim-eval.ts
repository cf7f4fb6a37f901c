/**
 * PerSim-specific evaluation: the comparison protocol for a model's agents (its five test agents by default) and for
 * personalised new agents, plus the observation dimension names used in tables and plots.
 */
import { makeDefinition } from '../../envs/registry.js';
import type { ContextMap } from '../../protocol/ts/spaces.js';
import { PersimDynamics } from '../models/persim/dynamics.js';
import type { PersimModel } from '../models/persim/model.js';
import { compareDynamics, type ComparisonResult } from './compare.js';
import type { AgentComparison } from './report.js';

/** Names of the observation dimensions of the PerSim environments (index names for others). */
export function observationNames(envId: string, size: number): string[] {
  if (envId === 'MountainCar-v0') return ['position', 'velocity'];
  if (envId === 'CartPole-v0') return ['x', 'x_dot', 'theta', 'theta_dot'];
  return Array.from({ length: size }, (_, k) => `obs[${k}]`);
}

/** Options of a PerSim evaluation. */
export interface PersimEvalOptions {
  episodes: number;
  seed: number;
  mode?: 'mean' | 'sample';
  warmup?: number;
  horizon?: number;
}

/** Runs the comparison for trained agents of a model (default: its test agents, labelled "agent 1".."agent 5"). */
export function evaluatePersimAgents(model: PersimModel, options: PersimEvalOptions, agents?: readonly number[]): AgentComparison[] {
  const def = makeDefinition(model.meta.env.id, model.meta.env.options);
  const list = agents ?? model.meta.agents.test_agents;
  return list.map((agent, k) => {
    const dynamics = new PersimDynamics(def, model, { agent }, { mode: options.mode });
    const context = model.agentContext(agent);
    const result = compareDynamics({ definition: def, context, model: dynamics, episodes: options.episodes, seed: options.seed + k, warmup: options.warmup, horizon: options.horizon });
    const label = agents ? `agent-id-${agent}` : `test-agent-${k + 1}`;
    return { agent, label, context, result };
  });
}

/** Runs the comparison for a personalised agent (codes fitted elsewhere) whose true context is known. */
export function evaluatePersonalized(model: PersimModel, codes: Float32Array, context: ContextMap, options: PersimEvalOptions): ComparisonResult {
  const def = makeDefinition(model.meta.env.id, model.meta.env.options);
  const dynamics = new PersimDynamics(def, model, { codes }, { mode: options.mode });
  return compareDynamics({ definition: def, context, model: dynamics, episodes: options.episodes, seed: options.seed, warmup: options.warmup, horizon: options.horizon });
}
