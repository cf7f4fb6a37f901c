/**
 * Measuring a model on MOCODA's distributions (the paper's Table 1 and its HookSweep2 counterpart): for each
 * distribution draw n transitions, step the true simulator from every (s, a), and report
 *  - model_mse: the ensemble-mean prediction's squared error against the true next state (Table 1's number), and
 *  - generated_mse: the generated (sampled, std / 3) next state's squared error against the truth, i.e. how wrong the
 *    rows an augmented dataset would contain are;
 * both as means over rows and the dimensions the dynamics changes. HookSweep2 adds the two-box goal-region coverage
 * of the sampled states.
 */
import type { EnvDefinition } from '../../core/definition.js';
import type { Rng } from '../../core/rng.js';
import type { MocodaModel, ParentDistribution } from '../../models/mocoda/index.js';
import { dynamicDims, HOOK_ID, obsSizeOf, type Transitions } from './common.js';
import { twoBoxGoalCoverage } from './coverage.js';
import { modelMean, needsModel, needsParents, sampleTransitions, type DistributionName, type Generated } from './distributions.js';
import { trueNextObservations } from './true-error.js';

/** One distribution's numbers for one model. */
export interface DistributionScore {
  distribution: DistributionName;
  n: number;
  /** Ensemble-mean prediction vs the true next state. */
  modelMse: number;
  /** Sampled (generated) next state vs the true next state. */
  generatedMse: number;
  acceptance: number;
  /** HookSweep2 only: fraction of sampled states with both boxes in the two-box goal region. */
  goalCoverage?: number;
  /** HookSweep2 only: the loose measure, sampled states a success for some goal draw. */
  goalSuccessCoverage?: number;
}

/** Mean squared difference over rows and the first D dims of O-wide rows, skipping non-finite rows. */
export function rowMse(a: Float64Array, b: Float64Array, n: number, O: number, D: number): number {
  let sum = 0;
  let rows = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < D; k++) s += (a[i * O + k] - b[i * O + k]) ** 2;
    if (!Number.isFinite(s)) continue;
    sum += s;
    rows++;
  }
  return rows ? sum / (rows * D) : NaN;
}

/** Scores a model (or none, for EMP / CoDA) on one distribution; `generated` reuses transitions already drawn. */
export function scoreTransitions(def: EnvDefinition, g: Generated, model?: MocodaModel): DistributionScore {
  const O = obsSizeOf(def);
  const D = dynamicDims(def);
  const truth = trueNextObservations(def, g);
  const score: DistributionScore = {
    distribution: g.distribution,
    n: g.n,
    modelMse: model ? rowMse(modelMean(model, g.observations, g.actions, g.n), truth, g.n, O, D) : NaN,
    generatedMse: rowMse(g.nextObservations, truth, g.n, O, D),
    acceptance: g.acceptance,
  };
  if (def.id === HOOK_ID) {
    const c = twoBoxGoalCoverage(g.observations, g.n);
    score.goalCoverage = c.fraction;
    score.goalSuccessCoverage = c.successFraction;
  }
  return score;
}

/** What evaluateDistributions needs. */
export interface EvaluateOptions {
  def: EnvDefinition;
  /** Real transitions (EMP draws from them; DYNA starts from them; CoDA swaps them). */
  data: Transitions;
  model?: MocodaModel;
  parents?: ParentDistribution;
  distributions: readonly DistributionName[];
  /** Transitions per distribution. */
  n: number;
  rng: Rng;
  targetAcceptance?: number;
}

/** Scores every requested distribution (skipping none: a distribution that needs a missing model throws). */
export async function evaluateDistributions(options: EvaluateOptions): Promise<{ scores: DistributionScore[]; samples: Map<DistributionName, Generated> }> {
  const scores: DistributionScore[] = [];
  const samples = new Map<DistributionName, Generated>();
  for (const dist of options.distributions) {
    if (needsModel(dist) && !options.model) throw new Error(`${dist} needs a model`);
    if (needsParents(dist) && !options.parents) throw new Error(`${dist} needs the parent distribution`);
    const g = await sampleTransitions(dist, { def: options.def, data: options.data, model: options.model, parents: options.parents, rng: options.rng, targetAcceptance: options.targetAcceptance }, options.n);
    samples.set(dist, g);
    scores.push(scoreTransitions(options.def, g, options.model));
  }
  return { scores, samples };
}
