/**
 * Shared pieces of MOCODA's data side: the environments it runs on (built single-threaded, since augmentation steps
 * many small batches and the machine's cores are shared), generated transitions, and turning transitions into the
 * project's Dataset type (one "agent" at the default context, the distribution name as the policy).
 */
import { makeDefinition } from '../../../envs/registry.js';
import { buildHookSweep2, HOOK_ID } from '../../../envs/physics/hooksweep/definition.js';
import { HOOK_CORE_SIZE, O_BOX1, O_BOX2 } from '../../../envs/physics/hooksweep/layout.js';
import type { EnvDefinition } from '../../core/definition.js';
import type { Dataset } from '../dataset.js';

/** The environments MOCODA's experiments use. */
export const NAV_ID = 'Navigation2D-v0';
export { HOOK_ID };
/** Ids MOCODA data can be made for. */
export const MOCODA_ENVS = [NAV_ID, HOOK_ID] as const;

/** Transitions without rewards: what a sampling distribution produces (rows row-major like every batch). */
export interface Transitions {
  n: number;
  observations: Float64Array;
  actions: Float64Array;
  nextObservations: Float64Array;
}

/**
 * The definition MOCODA code steps: HookSweep2 without worker threads (its batches here are small and the cores are
 * shared), everything else from the registry.
 */
export function mocodaDefinition(envId: string, options: Readonly<Record<string, string | number | boolean>> = {}): EnvDefinition {
  if (envId === HOOK_ID) return buildHookSweep2({ goal_side: 'random', ...options }, { workers: 0 });
  return makeDefinition(envId, options);
}

/**
 * How many leading observation dimensions the dynamics changes: HookSweep2's goals (dims 16-19) are constants of the
 * episode, so errors and densities are measured on the paper's 16-d state only. Other environments: all of them.
 */
export function dynamicDims(def: EnvDefinition): number {
  return def.id === HOOK_ID ? HOOK_CORE_SIZE : def.observationSpace.shape.reduce((a, b) => a * b, 1);
}

/** Observation size of a definition. */
export function obsSizeOf(def: EnvDefinition): number {
  return def.observationSpace.shape.reduce((a, b) => a * b, 1);
}

/** Action size of a definition (continuous Box actions only: MOCODA's environments). */
export function actionSizeOf(def: EnvDefinition): number {
  return def.actionSpace.shape.reduce((a, b) => a * b, 1);
}

/**
 * The task features MOCODA-U / MOCODA-P push toward uniform: Navigation2D's (x, y) ("task" features) and
 * HookSweep2's two boxes' xy ("priority" features). Writes n rows of featureCount(def) values.
 */
export function taskFeatures(def: EnvDefinition, obs: Float64Array, n: number): Float64Array {
  const O = obsSizeOf(def);
  if (def.id === HOOK_ID) {
    const out = new Float64Array(n * 4);
    for (let i = 0; i < n; i++) {
      out[4 * i] = obs[i * O + O_BOX1];
      out[4 * i + 1] = obs[i * O + O_BOX1 + 1];
      out[4 * i + 2] = obs[i * O + O_BOX2];
      out[4 * i + 3] = obs[i * O + O_BOX2 + 1];
    }
    return out;
  }
  const out = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    out[2 * i] = obs[i * O];
    out[2 * i + 1] = obs[i * O + 1];
  }
  return out;
}

/** Number of task features taskFeatures writes per row. */
export function featureCount(def: EnvDefinition): number {
  return def.id === HOOK_ID ? 4 : 2;
}

/** Header fields of a MOCODA dataset. */
export interface MocodaDatasetMeta {
  /** The distribution (EMP, MOCODA, ...) or "empirical"; stored as the dataset's policy. */
  policy: string;
  policyDescription: string;
  seed: number;
}

/**
 * A Dataset from transitions, with rewards and terminals computed by the definition's own functions at the default
 * context; timeouts default to 0 (generated rows are single transitions, not episodes).
 */
export function transitionsToDataset(def: EnvDefinition, t: Transitions, meta: MocodaDatasetMeta, timeouts?: Uint8Array): Dataset {
  const C = def.context.size;
  const contexts = new Float64Array(t.n * C);
  for (let i = 0; i < t.n; i++) contexts.set(def.context.defaults, i * C);
  const terminals = new Uint8Array(t.n);
  def.terminated(t.nextObservations, contexts, t.n, terminals);
  const rewards = new Float64Array(t.n);
  def.reward(t.observations, t.actions, t.nextObservations, terminals, t.n, rewards);
  return {
    envId: def.id,
    envOptions: { ...def.options },
    policy: meta.policy,
    policyDescription: meta.policyDescription,
    seed: meta.seed,
    obsSize: obsSizeOf(def),
    actionSize: actionSizeOf(def),
    discreteActions: 0,
    contextNames: [...def.context.names],
    numAgents: 1,
    agentContexts: Float64Array.from(def.context.defaults),
    testAgents: [],
    n: t.n,
    observations: t.observations,
    actions: t.actions,
    rewards,
    nextObservations: t.nextObservations,
    terminals,
    timeouts: timeouts ?? new Uint8Array(t.n),
    agentIds: new Int32Array(t.n),
  };
}

/** The transitions of a dataset (views, not copies). */
export function transitionsOf(d: Dataset): Transitions {
  return { n: d.n, observations: d.observations, actions: d.actions, nextObservations: d.nextObservations };
}

/** Rows of b appended to a (same environment and sizes), under a new policy name; single-agent datasets only. */
export function concatDatasets(a: Dataset, b: Dataset, meta: MocodaDatasetMeta): Dataset {
  if (a.envId !== b.envId || a.obsSize !== b.obsSize || a.actionSize !== b.actionSize) {
    throw new Error(`cannot join a ${a.envId} dataset (${a.obsSize}/${a.actionSize}) with a ${b.envId} one (${b.obsSize}/${b.actionSize})`);
  }
  const join = <T extends Float64Array | Uint8Array | Int32Array>(x: T, y: T, make: (n: number) => T): T => {
    const out = make(x.length + y.length);
    out.set(x, 0);
    out.set(y, x.length);
    return out;
  };
  return {
    ...a,
    policy: meta.policy,
    policyDescription: meta.policyDescription,
    seed: meta.seed,
    n: a.n + b.n,
    observations: join(a.observations, b.observations, (n) => new Float64Array(n)),
    actions: join(a.actions, b.actions, (n) => new Float64Array(n)),
    rewards: join(a.rewards, b.rewards, (n) => new Float64Array(n)),
    nextObservations: join(a.nextObservations, b.nextObservations, (n) => new Float64Array(n)),
    terminals: join(a.terminals, b.terminals, (n) => new Uint8Array(n)),
    timeouts: join(a.timeouts, b.timeouts, (n) => new Uint8Array(n)),
    agentIds: new Int32Array(a.n + b.n),
    numAgents: 1,
    agentContexts: Float64Array.from(a.agentContexts.subarray(0, a.contextNames.length)),
    testAgents: [],
  };
}
