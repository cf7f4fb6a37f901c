/**
 * Sim versus real for a served model (PerSim's protocol, REFERENCE.md 6), shared by the `compare` op and the
 * "compare" job: a trained agent's simulator and the real environment at that agent's true context start from the
 * same initial states and receive the same test-policy actions; the model is fed the true states for the warm-up
 * steps, then rolls out open loop. Reported: RMSE and R^2 (mean and median over episodes) and the RMSE of each
 * observation element over every scored step.
 */
import { Type, type Static } from '@sinclair/typebox';
import { makeDefinition } from '../../envs/registry.js';
import { TwinGymError } from '../core/errors.js';
import { Discrete } from '../core/spaces.js';
import { compareDynamics, type ComparisonResult } from '../eval/compare.js';
import { testPolicyFor } from '../eval/test-policies.js';
import { MocodaProvider } from '../models/mocoda/provider.js';
import { PersimProvider } from '../models/persim/provider.js';
import type { ModelInfo, ModelProvider } from '../models/provider.js';
import { readManifest } from '../models/registry.js';
import type { JobKind, JobPlaces, JobRunContext } from './types.js';

export const CompareParamsSchema = Type.Object({
  model: Type.String({ description: 'a served model id' }),
  agent: Type.Integer({ minimum: 0, description: 'the trained agent compared with its real system' }),
  episodes: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'default 20' })),
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'default 0' })),
  warmup: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'steps fed with the true states (default 10)' })),
  horizon: Type.Optional(Type.Integer({ minimum: 2, maximum: 10_000, description: 'open-loop steps (default 50)' })),
  policy: Type.Optional(Type.String({ description: 'the test policy by name (default: the environment\'s)' })),
}, { additionalProperties: false });
/** Parameters of a comparison (the compare op's fields). */
export type CompareParams = Static<typeof CompareParamsSchema>;

/** The comparison's outcome in wire names (the compare op's reply fields). */
export interface CompareOutcome {
  env_id: string;
  model: string;
  agent: number;
  episodes: number;
  policy: string;
  warmup: number;
  horizon: number;
  rmse: { mean: number; median: number };
  r2: { mean: number; median: number };
  per_dimension_rmse: number[];
}

/** RMSE of each observation element over the open-loop steps of every kept episode. */
export function perDimensionRmse(r: ComparisonResult): number[] {
  const O = r.obsSize;
  const sse = new Float64Array(O);
  let count = 0;
  for (const e of r.episodes) {
    if (!e.truth || !e.predicted) continue;
    // Rows 0..length of the episode's window; the open-loop rows are warmup+1 .. length.
    for (let t = r.warmup + 1; t <= e.length; t++) {
      for (let d = 0; d < O; d++) sse[d] += (e.predicted[t * O + d] - e.truth[t * O + d]) ** 2;
      count += 1;
    }
  }
  return Array.from(sse, (s) => (count > 0 ? Math.sqrt(s / count) : Number.NaN));
}

/** The provider serving `id` and the model's description, or unknown_dynamics listing the served ids. */
async function findModel(id: string, providers: readonly ModelProvider[]): Promise<{ provider: ModelProvider; info: ModelInfo }> {
  const known: string[] = [];
  for (const provider of providers) {
    const list = await provider.list();
    const info = list.find((m) => m.id === id);
    if (info) return { provider, info };
    known.push(...list.map((m) => m.id));
  }
  throw new TwinGymError('unknown_dynamics', `no model "${id}"; served models: ${known.join(', ') || 'none'} (list_models)`, { model: id, known });
}

/**
 * Runs the comparison of one trained agent of a served model against the real environment; `onStep` is called after
 * every comparison step (see CompareConfig.onStep).
 */
export async function compareModel(p: CompareParams, providers: readonly ModelProvider[], onStep?: (done: number, total: number) => void): Promise<CompareOutcome> {
  const { provider, info } = await findModel(p.model, providers);
  if (info.agents !== null && p.agent >= info.agents) {
    throw new TwinGymError('invalid_argument', `agent ${p.agent} is outside the model's agents 0..${info.agents - 1} (test agents: ${info.test_agents.join(', ') || 'none'})`, { path: 'agent', agents: info.agents });
  }
  const def = makeDefinition(info.env_id, info.env_options);
  const discrete = def.actionSpace instanceof Discrete ? def.actionSpace.n : 0;
  const policy = testPolicyFor(def.id, discrete);
  if (p.policy !== undefined && p.policy !== policy.name) {
    throw new TwinGymError('invalid_argument', `no test policy "${p.policy}" for ${def.id}; its test policy is "${policy.name}" (${policy.description})`, { path: 'policy', known: [policy.name] });
  }
  const made = await provider.create({ model: p.model, agent: p.agent }, def);
  if (!made) throw new TwinGymError('unknown_dynamics', `model "${p.model}" is listed but its provider does not serve it`, { model: p.model });
  const episodes = p.episodes ?? 20;
  let r: ComparisonResult;
  try {
    r = compareDynamics({
      definition: def, context: made.contexts ?? {}, model: made.dynamics, episodes, seed: p.seed ?? 0,
      warmup: p.warmup ?? 10, horizon: p.horizon ?? 50, policy, keepTrajectories: episodes, onStep,
    });
  } catch (e) {
    if (e instanceof RangeError || (e instanceof Error && /terminated within/.test(e.message))) {
      throw new TwinGymError('invalid_argument', `${e.message}; use a shorter warmup`, { path: 'warmup' });
    }
    throw e;
  } finally {
    made.dynamics.dispose?.();
  }
  return {
    env_id: def.id, model: p.model, agent: p.agent, episodes: r.episodes.length, policy: r.policy, warmup: r.warmup, horizon: r.horizon,
    rmse: { mean: r.rmseMean, median: r.rmseMedian }, r2: { mean: r.r2Mean, median: r.r2Median }, per_dimension_rmse: perDimensionRmse(r),
  };
}

/**
 * The compare job kind: the compare op as a background job, for comparisons too big for one request. It runs in a
 * worker thread (a HalfCheetah comparison steps physics for minutes), on the models of the server's registry, with
 * progress per comparison step (all episodes advance together).
 */
export const compareJob: JobKind<CompareParams> = {
  kind: 'compare',
  description: 'compare a trained agent\'s simulator with its real system (PerSim\'s protocol: RMSE and R^2)',
  params: CompareParamsSchema,
  runsIn: 'worker',

  async validate(p: CompareParams, places: JobPlaces): Promise<void> {
    // The registry holds every kind's models; other registries are checked when the job runs.
    if (!(await readManifest(places.modelsDir, p.model))) {
      throw new TwinGymError('unknown_dynamics', `no model "${p.model}" in the server's model registry (list_models)`, { model: p.model });
    }
  },

  async run(p: CompareParams, ctx: JobRunContext): Promise<Record<string, unknown>> {
    // In a worker there are no server providers to borrow: the registry's models are loaded here.
    const own = ctx.models ? [] : [new PersimProvider(ctx.places.modelsDir), new MocodaProvider(ctx.places.modelsDir)];
    const providers = ctx.models ?? own;
    const label = `comparing ${p.model} agent ${p.agent} with the real environment`;
    ctx.progress({ done: 0, total: (p.warmup ?? 10) + (p.horizon ?? 50), unit: 'steps', message: label });
    try {
      const out = await compareModel(p, providers, (done, total) => {
        ctx.progress({ done, total, unit: 'steps', message: label });
        if (ctx.signal.aborted) throw new Error('cancelled');
      });
      ctx.progress({ done: out.warmup + out.horizon, total: out.warmup + out.horizon, unit: 'steps', message: `rmse ${out.rmse.mean.toExponential(2)}`, metrics: { rmse_mean: out.rmse.mean, r2_median: out.r2.median } });
      return { ...out };
    } finally {
      await Promise.all(own.map((provider) => provider.dispose()));
    }
  },
};
