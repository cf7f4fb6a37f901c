/**
 * Offline data collection as PerSim does it (REFERENCE.md 2): N agents whose contexts are drawn uniformly from the
 * varied parameters' ranges (the others at their defaults), the five test agents as agents 0-4, and ONE trajectory per
 * agent under a behaviour policy. All agents step together as one batch through the environment's true dynamics, so
 * the physics environments get their batched (worker) path.
 */
import type { ContextMap } from '../../protocol/ts/spaces.js';
import { makeDefinition } from '../../envs/registry.js';
import type { EnvDefinition } from '../core/definition.js';
import { Rng } from '../core/rng.js';
import { Discrete } from '../core/spaces.js';
import { pureController, randomAction, type Controller } from './controllers.js';
import type { Dataset } from './dataset.js';
import { persimSetup } from './setups.js';

/** A parsed behaviour policy: with probability eps a uniform random action, otherwise the pure controller. */
export interface PolicySpec {
  name: string;
  /** false for "random" (every action uniform). */
  pure: boolean;
  eps: number;
}

/** Parses "random", "pure" or "pure-eps-N" (N in percent, 0-100). */
export function parsePolicy(name: string): PolicySpec {
  if (name === 'random') return { name, pure: false, eps: 1 };
  if (name === 'pure') return { name, pure: true, eps: 0 };
  const m = /^pure-eps-(\d{1,3})$/.exec(name);
  if (m && Number(m[1]) <= 100) return { name, pure: true, eps: Number(m[1]) / 100 };
  throw new Error(`unknown behaviour policy "${name}"; use random, pure, pure-eps-20 or pure-eps-40 (pure-eps-N for N percent random actions)`);
}

/** What to collect. */
export interface CollectConfig {
  envId: string;
  envOptions?: Record<string, string | number | boolean>;
  /** Number of agents including the 5 test agents (at least 5 unless includeTestAgents is false). */
  numAgents: number;
  policy: string;
  seed: number;
  /** Put PerSim's test agents at ids 0-4 (default true). */
  includeTestAgents?: boolean;
  /** Explicit contexts (name -> value maps, missing names at defaults) instead of drawing them; numAgents is ignored. */
  contexts?: ContextMap[];
  /**
   * Cap on steps per trajectory, below the environment's time limit (e.g. 200 of HalfCheetah's 1000 for a scaled-down
   * run); a trajectory cut by it is marked truncated, like one cut by the time limit. Default: the time limit.
   */
  maxSteps?: number;
  /** Called after every batched step with (active agents, steps taken). */
  onProgress?: (active: number, step: number) => void;
}

/** The contexts of an agent population: test agents first, the rest uniform over the varied parameters' ranges. */
export function drawAgentContexts(def: EnvDefinition, numAgents: number, rng: Rng, includeTestAgents = true): Float64Array {
  const setup = persimSetup(def.id);
  const space = def.context;
  const C = space.size;
  const out = new Float64Array(numAgents * C);
  const varied = new Set(setup ? setup.varied : space.names);
  const tests = includeTestAgents && setup ? setup.testAgents : [];
  if (numAgents < tests.length) throw new Error(`${numAgents} agents cannot hold the ${tests.length} test agents; use at least ${tests.length}`);
  for (let i = 0; i < numAgents; i++) {
    out.set(space.defaults, i * C);
    if (i < tests.length) {
      space.apply(tests[i], out, i * C);
      continue;
    }
    space.params.forEach((p, k) => {
      if (varied.has(p.name)) out[i * C + k] = rng.uniform(p.low, p.high);
    });
  }
  return out;
}

/**
 * Runs one episode per agent (until terminated, the time limit or maxSteps) and returns the dataset. Deterministic for a seed:
 * contexts come from one stream, and agent i's initial state and actions from its own stream (seed, i).
 */
export function collectDataset(config: CollectConfig): Dataset {
  const def = makeDefinition(config.envId, config.envOptions);
  const policy = parsePolicy(config.policy);
  const controller = pureController(def.id);
  if (policy.pure && !controller) throw new Error(`${def.id} has no pure controller; collect with policy "random"`);
  const C = def.context.size;
  let contexts: Float64Array;
  if (config.contexts) {
    contexts = new Float64Array(config.contexts.length * C);
    config.contexts.forEach((m, i) => { contexts.set(def.context.defaults, i * C); def.context.apply(m, contexts, i * C); });
  } else {
    contexts = drawAgentContexts(def, config.numAgents, Rng.fromSeed(config.seed), config.includeTestAgents ?? true);
  }
  const N = contexts.length / C;
  const limit = config.maxSteps === undefined ? def.maxEpisodeSteps : Math.min(config.maxSteps, def.maxEpisodeSteps);
  if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`maxSteps must be a positive integer, got ${config.maxSteps}`);
  const S = def.stateSize;
  const O = def.observationSpace.size;
  const A = def.actionSpace.size;
  const discrete = def.actionSpace instanceof Discrete ? (def.actionSpace as Discrete).n : 0;
  const rngs = Array.from({ length: N }, (_, i) => Rng.fromSeed(config.seed * 100003 + 7919 * (i + 1)));
  const states = new Float64Array(N * S);
  for (let i = 0; i < N; i++) def.initial(rngs[i], contexts, i * C, states, i * S);
  const dynamics = def.trueDynamics();
  // One controller per agent, made on its first pure step (a planning controller carries its own warm start).
  const controllers: Array<Controller | undefined> = new Array(N);
  const controllerOf = (i: number): Controller => {
    controllers[i] ??= controller!.forAgent(def, contexts.subarray(i * C, (i + 1) * C), config.seed * 100003 + 7919 * (i + 1) + 1);
    return controllers[i]!;
  };

  // Per-agent growing buffers; trajectories are concatenated in agent order at the end.
  const rows: Array<{ obs: number[]; act: number[]; rew: number[]; next: number[]; term: number[]; trunc: number[] }> =
    Array.from({ length: N }, () => ({ obs: [], act: [], rew: [], next: [], term: [], trunc: [] }));
  let active = Array.from({ length: N }, (_, i) => i);
  let t = 0;
  try {
    while (active.length > 0) {
      const n = active.length;
      const st = new Float64Array(n * S);
      const ctx = new Float64Array(n * C);
      active.forEach((i, k) => { st.set(states.subarray(i * S, (i + 1) * S), k * S); ctx.set(contexts.subarray(i * C, (i + 1) * C), k * C); });
      const obs = new Float64Array(n * O);
      def.observe(st, n, obs);
      const act = new Float64Array(n * A);
      active.forEach((i, k) => {
        const rng = rngs[i];
        // The epsilon draw happens for every step of pure-eps policies, so the stream is the same whether it hits.
        const explore = !policy.pure || (policy.eps > 0 && rng.random() < policy.eps);
        if (explore) randomAction(rng, discrete, A, act, k * A, def.actionSpace.low, def.actionSpace.high);
        else controllerOf(i)(obs, k * O, t, act, k * A);
      });
      const next = new Float64Array(n * S);
      dynamics.step({ n, states: st, actions: act, contexts: ctx, next, rngs: active.map((i) => rngs[i]) });
      const nextObs = new Float64Array(n * O);
      def.observe(next, n, nextObs);
      const term = new Uint8Array(n);
      def.terminated(nextObs, ctx, n, term);
      const rew = new Float64Array(n);
      def.reward(obs, act, nextObs, term, n, rew);
      t += 1;
      const still: number[] = [];
      active.forEach((i, k) => {
        const r = rows[i];
        for (let j = 0; j < O; j++) { r.obs.push(obs[k * O + j]); r.next.push(nextObs[k * O + j]); }
        for (let j = 0; j < A; j++) r.act.push(act[k * A + j]);
        r.rew.push(rew[k]);
        const truncated = !term[k] && t >= limit ? 1 : 0;
        r.term.push(term[k]);
        r.trunc.push(truncated);
        states.set(next.subarray(k * S, (k + 1) * S), i * S);
        if (!term[k] && !truncated) still.push(i);
      });
      active = still;
      config.onProgress?.(active.length, t);
    }
  } finally {
    dynamics.dispose?.();
  }
  const total = rows.reduce((s, r) => s + r.rew.length, 0);
  const d: Dataset = {
    envId: def.id,
    envOptions: { ...def.options },
    policy: policy.name,
    policyDescription: policy.pure
      ? `${controller!.description}${policy.eps > 0 ? `; with probability ${policy.eps} a uniform random action instead` : ''}`
      : 'uniform random actions',
    seed: config.seed,
    obsSize: O,
    actionSize: A,
    discreteActions: discrete,
    contextNames: [...def.context.names],
    numAgents: N,
    agentContexts: contexts,
    testAgents: config.contexts || config.includeTestAgents === false || !persimSetup(def.id) ? [] : persimSetup(def.id)!.testAgents.map((_, k) => k),
    n: total,
    observations: new Float64Array(total * O),
    actions: new Float64Array(total * A),
    rewards: new Float64Array(total),
    nextObservations: new Float64Array(total * O),
    terminals: new Uint8Array(total),
    timeouts: new Uint8Array(total),
    agentIds: new Int32Array(total),
  };
  let p = 0;
  rows.forEach((r, i) => {
    const len = r.rew.length;
    d.observations.set(r.obs, p * O);
    d.nextObservations.set(r.next, p * O);
    d.actions.set(r.act, p * A);
    d.rewards.set(r.rew, p);
    d.terminals.set(r.term, p);
    d.timeouts.set(r.trunc, p);
    d.agentIds.fill(i, p, p + len);
    p += len;
  });
  return d;
}
