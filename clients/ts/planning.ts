/**
 * Model-predictive control from the client, in one of two places:
 * - "server": one `plan` request per decision; the server samples, imagines and scores (fastest: one round trip).
 * - "local": the client samples and scores, and the server only imagines, with one `rollout` request per decision
 *   (random shooting) or per CEM iteration. Use it to change the objective or the sampling without touching the server.
 * Both follow PerSim's planners (protocol/SPEC.md, plan): random shooting with candidate 0 the previous best shifted
 * and per-member scores averaged; CEM with smoothing, a fresh initial std per decision, redrawn out-of-bound samples,
 * a shifted warm start and the elites' mean executed. Local plans draw from the client's own generator, so they are
 * reproducible per seed but not equal to the server's decisions.
 */
import type { Env, Observation, PlanDecision, PlanSettings, RolloutResult, VectorEnv } from './env.js';
import { SeededRandom } from './random.js';
import { DiscreteSpace, FlatSpace } from './spaces.js';

/** Where and how to plan. */
export interface MpcOptions {
  /** "server" (default) sends plan; "local" plans here on top of rollout. */
  where?: 'server' | 'local';
  /** Default: random_shooting for integer action spaces, cem for real ones. */
  planner?: 'random_shooting' | 'cem';
  settings?: PlanSettings;
  /** Seeds the planner (the server's, on the first decision, or the local generator). */
  seed?: number;
  /** The env of a vector session to plan for (default 0). */
  env?: number;
}

type AnyEnv<O extends Observation> = Env<O> | VectorEnv<O>;

const RS = { candidates: 1000, horizon: 50 };
const CEM = { candidates: 200, horizon: 30, iterations: 6, elites: 50, smoothing: 0.1, initStd: [0.3, 0.6] as [number, number], maxRedraws: 100 };

/** Bounds of one action (element-wise) and whether its values are integers. */
function actionBounds(env: AnyEnv<Observation>): { low: Float64Array; high: Float64Array; integral: boolean } {
  const a = env.singleActionSpace;
  if (a instanceof DiscreteSpace) return { low: Float64Array.of(a.start), high: Float64Array.of(a.start + a.n - 1), integral: true };
  if (a instanceof FlatSpace) return { low: a.low, high: a.high, integral: a.integral };
  throw new Error(`cannot plan over a ${a.spec.type} action space`);
}

/** An MPC planner bound to one env of a session. */
export class MpcPlanner<O extends Observation = Float32Array> {
  readonly where: 'server' | 'local';
  readonly kind: 'random_shooting' | 'cem';
  private readonly settings: PlanSettings;
  private readonly bounds: { low: Float64Array; high: Float64Array; integral: boolean };
  private readonly rng: SeededRandom;
  private firstServerCall = true;
  /** Local warm start: the previous best sequence (random shooting) or sampling mean (CEM). */
  private previous: Float64Array | null = null;

  constructor(private readonly env: AnyEnv<O>, private readonly options: MpcOptions = {}) {
    this.where = options.where ?? 'server';
    this.bounds = actionBounds(env as AnyEnv<Observation>);
    this.kind = options.planner ?? (this.bounds.integral ? 'random_shooting' : 'cem');
    this.settings = options.settings ?? {};
    this.rng = new SeededRandom(options.seed);
    if (this.where === 'local') {
      for (let k = 0; k < this.bounds.low.length; k++) {
        if (!Number.isFinite(this.bounds.low[k]) || !Number.isFinite(this.bounds.high[k])) throw new Error('local planning needs a bounded action space');
      }
      if (this.kind === 'cem' && this.bounds.integral) throw new Error('CEM plans continuous actions; use random_shooting for integer action spaces');
    }
  }

  /**
   * Forgets the local warm start; call it when the env is reset. (The server decides this itself from the env's
   * episode_step, so a server planner needs nothing.)
   */
  resetWarmStart(): void {
    this.previous = null;
  }

  /**
   * One decision from the env's current state. A local planner with a position bonus also wants the current
   * observation (`obs`, as returned by reset or step), whose bonus element the peak starts from; without it the peak
   * starts at the first imagined step. The server planner reads the state itself.
   */
  async act(obs?: ArrayLike<number>): Promise<PlanDecision> {
    const bonus = this.settings.positionBonus;
    this.startValue = bonus && obs ? Number(obs[bonus.index ?? 0]) : -Infinity;
    if (this.where === 'server') {
      const seed = this.firstServerCall && this.options.seed !== undefined ? this.options.seed : undefined;
      const d = await this.env.plan({ env: this.options.env, planner: this.kind, settings: this.settings, seed });
      this.firstServerCall = false;
      return d;
    }
    return this.kind === 'cem' ? this.localCem() : this.localRandomShooting();
  }

  /** Per-sequence objective of a rollout: rewards (already 0 after done) plus the bonus, averaged over members. */
  private scores(r: RolloutResult<O>): { score: Float64Array; ret: Float64Array } {
    const { members: M, batch: B, horizon: H } = r;
    const bonus = this.settings.positionBonus;
    const score = new Float64Array(B);
    const ret = new Float64Array(B);
    const O = bonus && r.obs ? r.obs.length / (M * B * H) : 0;
    const start = this.startValue;
    for (let m = 0; m < M; m++) {
      for (let b = 0; b < B; b++) {
        const row = m * B + b;
        let sr = 0;
        let peak = start;
        let running = 0;
        let alive = 0;
        for (let t = 0; t < H; t++) {
          const k = row * H + t;
          if (t > 0 && r.terminated[k - 1]) break;
          sr += r.reward[k];
          alive += 1;
          if (bonus && r.obs) {
            const x = Number(r.obs[k * O + (bonus.index ?? 0)]);
            if (x > peak) peak = x;
            running += bonus.weight * peak;
          }
        }
        ret[b] += sr / M;
        score[b] += (sr + (bonus ? (bonus.mode === 'running' ? running : bonus.weight * peak * alive) : 0)) / M;
      }
    }
    return { score, ret };
  }

  /** The bonus element of the current observation (local planning with a position bonus). */
  private startValue = -Infinity;

  private sample(A: number, mean?: Float64Array, std?: Float64Array, j = 0): Float64Array {
    const out = new Float64Array(A);
    const { low, high, integral } = this.bounds;
    for (let k = 0; k < A; k++) {
      if (!mean || !std) {
        out[k] = integral ? low[k] + this.rng.below(high[k] - low[k] + 1) : low[k] + (high[k] - low[k]) * this.rng.random();
        continue;
      }
      const maxRedraws = this.settings.maxRedraws ?? CEM.maxRedraws;
      let x = mean[j + k] + std[j + k] * this.rng.normal();
      for (let tries = 1; (x < low[k] || x > high[k]) && tries < maxRedraws; tries++) x = mean[j + k] + std[j + k] * this.rng.normal();
      out[k] = Math.min(Math.max(x, low[k]), high[k]);
    }
    return out;
  }

  private async localRandomShooting(): Promise<PlanDecision> {
    const N = this.settings.candidates ?? RS.candidates;
    const H = this.settings.horizon ?? RS.horizon;
    const A = this.bounds.low.length;
    const actions = new Float64Array(N * H * A);
    for (let i = 0; i < N * H; i++) actions.set(this.sample(A), i * A);
    const warm = (this.settings.warmStart ?? true) && this.previous !== null;
    if (warm) actions.set(this.previous!.subarray(A), 0);
    const r = await this.env.rollout({
      actions, batch: N, horizon: H, env: this.options.env, perMember: this.settings.perMember ?? true, includeObs: this.settings.positionBonus !== undefined,
    });
    const { score, ret } = this.scores(r);
    let best = 0;
    for (let b = 1; b < N; b++) if (rank(score[b]) > rank(score[best])) best = b;
    const sequence = actions.slice(best * H * A, (best + 1) * H * A);
    this.previous = sequence;
    return this.decision(sequence, ret[best], score[best], warm, r.transitions);
  }

  private async localCem(): Promise<PlanDecision> {
    const s = { ...CEM, ...this.settings };
    const { candidates: N, horizon: H, iterations, elites: E, smoothing } = s;
    const A = this.bounds.low.length;
    const L = H * A;
    const { low, high } = this.bounds;
    const mean = new Float64Array(L);
    for (let j = 0; j < L; j++) mean[j] = (low[j % A] + high[j % A]) / 2;
    const warm = (this.settings.warmStart ?? true) && this.previous !== null;
    if (warm) mean.set(this.previous!.subarray(A), 0);
    const std0 = s.initStd[0] + (s.initStd[1] - s.initStd[0]) * this.rng.random();
    const std = Float64Array.from({ length: L }, (_, j) => std0 * ((high[j % A] - low[j % A]) / 2));
    const eliteMean = new Float64Array(L);
    let eliteReturn = 0;
    let eliteScore = 0;
    let transitions = 0;
    for (let it = 0; it < iterations; it++) {
      const samples = new Float64Array(N * L);
      for (let i = 0; i < N; i++) for (let t = 0; t < H; t++) samples.set(this.sample(A, mean, std, t * A), i * L + t * A);
      const r = await this.env.rollout({ actions: samples, batch: N, horizon: H, env: this.options.env, includeObs: this.settings.positionBonus !== undefined });
      transitions += r.transitions;
      const { score, ret } = this.scores(r);
      const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => rank(score[b]) - rank(score[a]) || a - b);
      eliteMean.fill(0);
      eliteReturn = 0;
      eliteScore = 0;
      for (let e = 0; e < E; e++) {
        const i = order[e];
        eliteReturn += ret[i] / E;
        eliteScore += score[i] / E;
        for (let j = 0; j < L; j++) eliteMean[j] += samples[i * L + j] / E;
      }
      for (let j = 0; j < L; j++) {
        let v = 0;
        for (let e = 0; e < E; e++) v += (samples[order[e] * L + j] - eliteMean[j]) ** 2;
        mean[j] = smoothing * mean[j] + (1 - smoothing) * eliteMean[j];
        std[j] = smoothing * std[j] + (1 - smoothing) * Math.sqrt(v / E);
      }
    }
    this.previous = mean;
    return this.decision(eliteMean.slice(), eliteReturn, eliteScore, warm, transitions);
  }

  private decision(sequence: Float64Array, predictedReturn: number, score: number, warmStarted: boolean, transitions: number): PlanDecision {
    const A = this.bounds.low.length;
    const first = sequence.slice(0, A);
    const scalar = this.env.singleActionSpace instanceof DiscreteSpace;
    const typed = this.bounds.integral ? Int32Array.from(first) : Float32Array.from(first);
    return {
      action: scalar ? first[0] : typed,
      predictedReturn,
      score,
      sequence: this.bounds.integral ? Int32Array.from(sequence) : Float32Array.from(sequence),
      planner: this.kind,
      warmStarted,
      transitions,
    };
  }
}

/** A NaN score (a diverged model) never wins. */
function rank(x: number): number {
  return Number.isNaN(x) ? -Infinity : x;
}
