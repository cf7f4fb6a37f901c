/**
 * Sim-versus-real comparison with PerSim's protocol (REFERENCE.md 6): for each episode, the test policy acts on the
 * real environment from a fresh initial state; the model is fed the true states for the first `warmup` (10) steps and
 * then rolls out open loop on its own predictions for `horizon` (50) more steps under the same actions. The error is
 * the RMSE over all raw state dimensions and the open-loop steps together, and R^2 is variance-weighted over
 * dimensions (1 - sum SSE / sum SST, SST around each dimension's mean over the same steps). Episodes are summarised
 * by their mean and median.
 *
 * A window ends where the real episode ends: at the transition into a terminal state (included), or after
 * warmup + horizon transitions. What comes after a termination is not a state the real system visits in an episode
 * (a CartPole lying on its side), and no offline dataset covers it.  Episodes whose window has fewer than
 * two open-loop steps are left out (`excluded` counts them); `stopAtTermination: false` scores fixed windows instead.
 * All episodes run as one batch through both dynamics.
 */
import type { ContextMap } from '../../protocol/ts/spaces.js';
import type { Dynamics, EnvDefinition } from '../core/definition.js';
import { Rng } from '../core/rng.js';
import { Discrete } from '../core/spaces.js';
import { testPolicyFor, type TestPolicy } from './test-policies.js';

/** What to compare. */
export interface CompareConfig {
  definition: EnvDefinition;
  /** The real system's context (missing parameters at their defaults). */
  context: ContextMap;
  /** The learned dynamics to judge. */
  model: Dynamics;
  episodes: number;
  seed: number;
  /** Steps fed with true states (default 10). */
  warmup?: number;
  /** Open-loop steps (default 50). */
  horizon?: number;
  /** Default: the environment's documented test policy (test-policies.ts). */
  policy?: TestPolicy;
  /** Also count the warm-up (one-step) predictions in the error (default false: open-loop steps only). */
  includeWarmup?: boolean;
  /** Keep the full trajectories of this many episodes for plots (default 1). */
  keepTrajectories?: number;
  /** End each window at the real episode's termination (default true). */
  stopAtTermination?: boolean;
  /**
   * Called after each of the warmup + horizon steps (every episode advances together): progress for jobs, and the
   * place a caller may throw to stop a long comparison.
   */
  onStep?: (done: number, total: number) => void;
}

/** One episode's numbers (and, for the first few, its trajectories). */
export interface EpisodeComparison {
  rmse: number;
  r2: number;
  /** Transitions in the window (warmup + horizon unless the real episode terminated earlier). */
  length: number;
  /** (warmup + horizon + 1) x O true observations, when kept. */
  truth?: Float64Array;
  /** The model's observations on the same steps (index 0 is the shared initial state), when kept. */
  predicted?: Float64Array;
}

/** The comparison of one model against one real system. */
export interface ComparisonResult {
  envId: string;
  context: ContextMap;
  policy: string;
  policyDescription: string;
  warmup: number;
  horizon: number;
  obsSize: number;
  episodes: EpisodeComparison[];
  /** Episodes left out because the real episode terminated before the first open-loop step. */
  excluded: number;
  rmseMean: number;
  rmseMedian: number;
  r2Mean: number;
  r2Median: number;
}

/** The median of a list (mean of the middle two for even lengths). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

/** RMSE and variance-weighted R^2 of predictions against truth over steps [from, to) of T x O arrays. */
export function trajectoryErrors(truth: Float64Array, predicted: Float64Array, O: number, from: number, to: number): { rmse: number; r2: number } {
  let sse = 0;
  let sst = 0;
  const steps = to - from;
  for (let d = 0; d < O; d++) {
    let mean = 0;
    for (let t = from; t < to; t++) mean += truth[t * O + d] / steps;
    for (let t = from; t < to; t++) {
      sse += (predicted[t * O + d] - truth[t * O + d]) ** 2;
      sst += (truth[t * O + d] - mean) ** 2;
    }
  }
  return { rmse: Math.sqrt(sse / (steps * O)), r2: sst > 0 ? 1 - sse / sst : sse === 0 ? 1 : -Infinity };
}

/** Runs the PerSim comparison protocol. */
export function compareDynamics(config: CompareConfig): ComparisonResult {
  const def = config.definition;
  const E = config.episodes;
  const W = config.warmup ?? 10;
  const H = config.horizon ?? 50;
  const T = W + H;
  const S = def.stateSize;
  const O = def.observationSpace.size;
  const A = def.actionSpace.size;
  const C = def.context.size;
  if (!(Number.isInteger(E) && E >= 1)) throw new RangeError('episodes must be a positive integer');
  const discrete = def.actionSpace instanceof Discrete ? (def.actionSpace as Discrete).n : 0;
  const policy = config.policy ?? testPolicyFor(def.id, discrete);
  const ctxRow = def.context.defaults.slice();
  def.context.apply(config.context, ctxRow, 0);
  const contexts = new Float64Array(E * C);
  for (let e = 0; e < E; e++) contexts.set(ctxRow, e * C);
  const rngs = Array.from({ length: E }, (_, e) => Rng.fromSeed(config.seed * 65537 + e));
  const modelRngs = Array.from({ length: E }, (_, e) => Rng.fromSeed(config.seed * 65537 + e + 0x5eed));
  const policies = rngs.map((r) => policy.episode(r, A, discrete));
  const real = new Float64Array(E * S);
  for (let e = 0; e < E; e++) def.initial(rngs[e], contexts, e * C, real, e * S);
  const truth = new Float64Array(E * (T + 1) * O);
  const pred = new Float64Array(E * (T + 1) * O);
  const obs = new Float64Array(E * O);
  def.observe(real, E, obs);
  for (let e = 0; e < E; e++) { truth.set(obs.subarray(e * O, (e + 1) * O), e * (T + 1) * O); pred.set(obs.subarray(e * O, (e + 1) * O), e * (T + 1) * O); }
  let sim = real.slice();
  const stop = config.stopAtTermination ?? true;
  const lengths = new Int32Array(E).fill(T);
  const term = new Uint8Array(E);
  const trueDyn = def.trueDynamics();
  try {
    const actions = new Float64Array(E * A);
    const a1 = new Float64Array(A);
    for (let t = 0; t < T; t++) {
      def.observe(real, E, obs);
      for (let e = 0; e < E; e++) {
        policies[e].act(obs.subarray(e * O, (e + 1) * O), t, a1);
        actions.set(a1, e * A);
      }
      // Warm-up: the model starts every step from the true state; afterwards from its own previous prediction.
      const input = t < W ? real.slice() : sim;
      const nextReal = new Float64Array(E * S);
      trueDyn.step({ n: E, states: real, actions, contexts, next: nextReal, rngs });
      const nextSim = new Float64Array(E * S);
      config.model.step({ n: E, states: input, actions, contexts, next: nextSim, rngs: modelRngs });
      const o1 = new Float64Array(E * O);
      const o2 = new Float64Array(E * O);
      def.observe(nextReal, E, o1);
      def.observe(nextSim, E, o2);
      if (stop) {
        def.terminated(o1, contexts, E, term);
        for (let e = 0; e < E; e++) if (term[e] && lengths[e] === T) lengths[e] = t + 1;
      }
      for (let e = 0; e < E; e++) {
        truth.set(o1.subarray(e * O, (e + 1) * O), (e * (T + 1) + t + 1) * O);
        pred.set(o2.subarray(e * O, (e + 1) * O), (e * (T + 1) + t + 1) * O);
      }
      real.set(nextReal);
      sim = nextSim;
      config.onStep?.(t + 1, T);
    }
  } finally {
    trueDyn.dispose?.();
  }
  const keep = config.keepTrajectories ?? 1;
  const from = config.includeWarmup ? 1 : W + 1;
  const episodes: EpisodeComparison[] = [];
  let excluded = 0;
  for (let e = 0; e < E; e++) {
    const L = lengths[e];
    // R^2 needs at least two scored steps (one step has no variance to explain).
    if (L < from + 1) { excluded += 1; continue; }
    const tr = truth.subarray(e * (T + 1) * O, (e * (T + 1) + L + 1) * O);
    const pr = pred.subarray(e * (T + 1) * O, (e * (T + 1) + L + 1) * O);
    const err = { ...trajectoryErrors(tr, pr, O, from, L + 1), length: L };
    episodes.push(episodes.length < keep ? { ...err, truth: tr.slice(), predicted: pr.slice() } : err);
  }
  if (episodes.length === 0) throw new Error(`every one of the ${E} real episodes terminated within the ${W}-step warm-up; nothing is left to compare`);
  const rm = episodes.map((x) => x.rmse);
  const r2 = episodes.map((x) => x.r2);
  return {
    envId: def.id,
    context: def.context.toMap(ctxRow),
    policy: policy.name,
    policyDescription: policy.description,
    warmup: W,
    horizon: H,
    obsSize: O,
    episodes,
    excluded,
    rmseMean: rm.reduce((a, b) => a + b, 0) / rm.length,
    rmseMedian: median(rm),
    r2Mean: r2.reduce((a, b) => a + b, 0) / r2.length,
    r2Median: median(r2),
  };
}
