/**
 * MOCODA's sampling distributions (REFERENCE.md 5). Each yields (s, a) inputs; the model-based ones then label them
 * with a learned model's sampled next state (one random member per row, std / 3):
 *   EMP       rows of the real data (drawn with replacement);
 *   DYNA      5-step model rollouts with uniform random actions from real states;
 *   RAND      states uniform over the data's per-dimension range, actions uniform over the action space;
 *   MOCODA    the parent distribution (set-wise Gaussian mixtures, kept when in the region they were drawn for);
 *   MOCODA-U  MOCODA pushed toward uniform over the task features by KDE rejection (Navigation2D: (x, y));
 *   MOCODA-P  the same rejection on task-priority features (HookSweep2: both boxes' xy);
 *   CoDA      real transitions with independent parts swapped (no model; see coda.ts).
 * For HookSweep2, MOCODA-U uses the same box features as MOCODA-P (the paper reports no MOCODA-U there), and the goal
 * entries of generated states (which no root covers) are drawn from the two-box goal distribution.
 */
import { sampleHookGoals } from '../../../envs/physics/hooksweep/goals.js';
import { O_GOAL1 } from '../../../envs/physics/hooksweep/layout.js';
import type { EnvDefinition } from '../../core/definition.js';
import type { Rng } from '../../core/rng.js';
import { Box } from '../../core/spaces.js';
import type { MocodaModel, ParentDistribution } from '../../models/mocoda/index.js';
import { codaAugment } from './coda.js';
import { actionSizeOf, dynamicDims, featureCount, HOOK_ID, obsSizeOf, taskFeatures, type Transitions } from './common.js';
import { KdeRejection } from './kde.js';

/** Every distribution, in the order reports list them. */
export const DISTRIBUTIONS = ['EMP', 'DYNA', 'RAND', 'MOCODA', 'MOCODA-U', 'MOCODA-P', 'CoDA'] as const;
/** One of the distribution names. */
export type DistributionName = (typeof DISTRIBUTIONS)[number];

/** True for the names in DISTRIBUTIONS. */
export function isDistribution(name: string): name is DistributionName {
  return (DISTRIBUTIONS as readonly string[]).includes(name);
}

/** Distributions whose inputs or labels need a learned model. */
export function needsModel(d: DistributionName): boolean {
  return d !== 'EMP' && d !== 'CoDA';
}

/** Distributions that need the parent distribution. */
export function needsParents(d: DistributionName): boolean {
  return d === 'MOCODA' || d === 'MOCODA-U' || d === 'MOCODA-P';
}

/** What sampling may use. */
export interface SamplingContext {
  def: EnvDefinition;
  /** The real (empirical) transitions. */
  data: Transitions;
  model?: MocodaModel;
  parents?: ParentDistribution;
  rng: Rng;
  /** DYNA rollout length (the paper: 5). */
  dynaHorizon?: number;
  /** Expected acceptance of each KDE rejection batch (default 0.2). */
  targetAcceptance?: number;
  /** Proposals per batch for the rejection samplers (default 10,000, the KDE window). */
  batch?: number;
  /** The model's std divisor at generation (the reference: 3). */
  temperature?: number;
  /** Called as rows are produced. */
  onProgress?: (done: number, total: number) => void;
  /** Checked between batches. */
  signal?: AbortSignal;
}

/** Generated transitions and how they were obtained. */
export interface Generated extends Transitions {
  distribution: DistributionName;
  /** Accepted / proposed for the rejection-based distributions (1 for the others). */
  acceptance: number;
}

function need<T>(value: T | undefined, what: string, dist: DistributionName): T {
  if (value === undefined) throw new Error(`${dist} needs ${what}`);
  return value;
}

/** Fills HookSweep2 goal entries of rows that no sampler set (they carry no dynamics). */
function fillGoals(def: EnvDefinition, obs: Float64Array, n: number, rng: Rng): void {
  if (def.id !== HOOK_ID) return;
  const O = obsSizeOf(def);
  for (let i = 0; i < n; i++) sampleHookGoals(rng, 'random', obs, i * O + O_GOAL1);
}

/** Yields to the event loop between batches so jobs stay cancellable and progress flows. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Error('cancelled');
}

/**
 * n (s, a) inputs of a distribution (EMP, RAND, MOCODA, MOCODA-U, MOCODA-P; DYNA and CoDA produce whole transitions,
 * see sampleTransitions). Returns the acceptance of rejection sampling too.
 */
export async function sampleInputs(dist: DistributionName, ctx: SamplingContext, n: number): Promise<{ observations: Float64Array; actions: Float64Array; acceptance: number }> {
  const { def, data, rng } = ctx;
  const O = obsSizeOf(def);
  const A = actionSizeOf(def);
  const observations = new Float64Array(n * O);
  const actions = new Float64Array(n * A);
  if (dist === 'EMP') {
    for (let i = 0; i < n; i++) {
      const j = Math.floor(rng.random() * data.n);
      observations.set(data.observations.subarray(j * O, (j + 1) * O), i * O);
      actions.set(data.actions.subarray(j * A, (j + 1) * A), i * A);
    }
    return { observations, actions, acceptance: 1 };
  }
  if (dist === 'RAND') {
    const D = dynamicDims(def);
    const lo = new Float64Array(D).fill(Infinity);
    const hi = new Float64Array(D).fill(-Infinity);
    for (let i = 0; i < data.n; i++) {
      for (let k = 0; k < D; k++) { const v = data.observations[i * O + k]; lo[k] = Math.min(lo[k], v); hi[k] = Math.max(hi[k], v); }
    }
    if (!(def.actionSpace instanceof Box)) throw new Error(`RAND needs a Box action space; ${def.id} has another`);
    const { low, high } = def.actionSpace;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < D; k++) observations[i * O + k] = rng.uniform(lo[k], hi[k]);
      for (let k = 0; k < A; k++) actions[i * A + k] = rng.uniform(low[k], high[k]);
    }
    fillGoals(def, observations, n, rng);
    return { observations, actions, acceptance: 1 };
  }
  if (dist === 'MOCODA') {
    const parents = need(ctx.parents, 'a fitted parent distribution', dist);
    const s = parents.sample(n, rng);
    fillGoals(def, s.observations, n, rng);
    return { observations: s.observations, actions: s.actions, acceptance: s.acceptance };
  }
  if (dist === 'MOCODA-U' || dist === 'MOCODA-P') {
    const parents = need(ctx.parents, 'a fitted parent distribution', dist);
    const batch = ctx.batch ?? 10_000;
    const kde = new KdeRejection({ dims: featureCount(def), targetAcceptance: ctx.targetAcceptance ?? 0.2, window: 10_000 });
    let made = 0;
    let proposed = 0;
    while (made < n) {
      checkAbort(ctx.signal);
      const s = parents.sample(batch, rng);
      const keep = kde.filter(taskFeatures(def, s.observations, batch), batch, rng);
      let used = 0;
      for (let i = 0; i < batch && made < n; i++, used++) {
        if (!keep[i]) continue;
        observations.set(s.observations.subarray(i * O, (i + 1) * O), made * O);
        actions.set(s.actions.subarray(i * A, (i + 1) * A), made * A);
        made++;
      }
      // Proposals looked at, counting the parent sampler's own region rejections as proposals too.
      proposed += used / Math.max(s.acceptance, 1e-9);
      ctx.onProgress?.(made, n);
      await tick();
    }
    fillGoals(def, observations, n, rng);
    return { observations, actions, acceptance: n / proposed };
  }
  throw new Error(`${dist} makes whole transitions; use sampleTransitions`);
}

/** Rows labelled per model call (keeps tensors small). */
const LABEL_CHUNK = 8192;

/** Next observations of (s, a) rows sampled from the model (one random member per row, std / temperature). */
export async function modelNext(model: MocodaModel, obs: Float64Array, actions: Float64Array, n: number, rng: Rng, temperature = 3, signal?: AbortSignal, onProgress?: (done: number, total: number) => void): Promise<Float64Array> {
  const O = model.layout.obsSize;
  const A = model.layout.actionSize;
  const out = new Float64Array(n * O);
  for (let s = 0; s < n; s += LABEL_CHUNK) {
    checkAbort(signal);
    const m = Math.min(LABEL_CHUNK, n - s);
    out.set(model.sample(obs.subarray(s * O, (s + m) * O), actions.subarray(s * A, (s + m) * A), m, rng, { temperature }), s * O);
    onProgress?.(s + m, n);
    await tick();
  }
  return out;
}

/** The ensemble-mean next observations of (s, a) rows (Table 1's prediction). */
export function modelMean(model: MocodaModel, obs: Float64Array, actions: Float64Array, n: number): Float64Array {
  const O = model.layout.obsSize;
  const A = model.layout.actionSize;
  const out = new Float64Array(n * O);
  for (let s = 0; s < n; s += LABEL_CHUNK) {
    const m = Math.min(LABEL_CHUNK, n - s);
    out.set(model.meanPrediction(obs.subarray(s * O, (s + m) * O), actions.subarray(s * A, (s + m) * A), m), s * O);
  }
  return out;
}

/**
 * DYNA's rollouts: n / horizon real start states, each rolled `horizon` steps on the model with uniform random
 * actions (sampled next states, as generation does); every step is a row (n rows in all, the last rollout cut).
 */
export async function dynaTransitions(ctx: SamplingContext, n: number): Promise<Transitions> {
  const model = need(ctx.model, 'a trained model', 'DYNA');
  const { def, data, rng } = ctx;
  const H = ctx.dynaHorizon ?? 5;
  const O = obsSizeOf(def);
  const A = actionSizeOf(def);
  const starts = Math.ceil(n / H);
  let state: Float64Array = new Float64Array(starts * O);
  for (let i = 0; i < starts; i++) {
    const j = Math.floor(rng.random() * data.n);
    state.set(data.observations.subarray(j * O, (j + 1) * O), i * O);
  }
  const out: Transitions = { n, observations: new Float64Array(n * O), actions: new Float64Array(n * A), nextObservations: new Float64Array(n * O) };
  let row = 0;
  for (let t = 0; t < H && row < n; t++) {
    checkAbort(ctx.signal);
    const act = Float64Array.from({ length: starts * A }, () => rng.uniform(-1, 1));
    const next = await modelNext(model, state, act, starts, rng, ctx.temperature ?? 3, ctx.signal);
    const m = Math.min(starts, n - row);
    out.observations.set(state.subarray(0, m * O), row * O);
    out.actions.set(act.subarray(0, m * A), row * A);
    out.nextObservations.set(next.subarray(0, m * O), row * O);
    row += m;
    state = next;
    ctx.onProgress?.(row, n);
  }
  return out;
}

/**
 * n generated transitions of a distribution: inputs from sampleInputs labelled by the model (EMP keeps the data's own
 * next states, CoDA makes whole transitions by swapping, DYNA rolls out).
 */
export async function sampleTransitions(dist: DistributionName, ctx: SamplingContext, n: number): Promise<Generated> {
  if (dist === 'CoDA') {
    const t = codaAugment(ctx.def, ctx.data, n, ctx.rng);
    ctx.onProgress?.(n, n);
    return { n, observations: t.observations, actions: t.actions, nextObservations: t.nextObservations, distribution: dist, acceptance: 1 / t.attemptsPerSample };
  }
  if (dist === 'DYNA') return { ...(await dynaTransitions(ctx, n)), distribution: dist, acceptance: 1 };
  if (dist === 'EMP') {
    const O = obsSizeOf(ctx.def);
    const A = actionSizeOf(ctx.def);
    const out: Generated = { n, observations: new Float64Array(n * O), actions: new Float64Array(n * A), nextObservations: new Float64Array(n * O), distribution: dist, acceptance: 1 };
    for (let i = 0; i < n; i++) {
      const j = Math.floor(ctx.rng.random() * ctx.data.n);
      out.observations.set(ctx.data.observations.subarray(j * O, (j + 1) * O), i * O);
      out.actions.set(ctx.data.actions.subarray(j * A, (j + 1) * A), i * A);
      out.nextObservations.set(ctx.data.nextObservations.subarray(j * O, (j + 1) * O), i * O);
    }
    ctx.onProgress?.(n, n);
    return out;
  }
  const model = need(ctx.model, 'a trained model', dist);
  const inputs = await sampleInputs(dist, { ...ctx, onProgress: undefined }, n);
  const next = await modelNext(model, inputs.observations, inputs.actions, n, ctx.rng, ctx.temperature ?? 3, ctx.signal, ctx.onProgress);
  return { n, observations: inputs.observations, actions: inputs.actions, nextObservations: next, distribution: dist, acceptance: inputs.acceptance };
}
