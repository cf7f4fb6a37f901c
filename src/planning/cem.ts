/**
 * The cross-entropy method as PerSim plans continuous actions (REFERENCE.md 4): 200 candidates of horizon 30, 1 + 5
 * iterations (6 evaluations), 50 elites, smoothing 0.1 (new = 0.1 * old + 0.9 * elite statistic, for mean and std),
 * the initial std drawn from U(0.3, 0.6) at each planning step, samples outside the bounds redrawn, a warm start from
 * the previous mean shifted by one step, every member fed the ensemble-mean state (the dynamics' own step), and the
 * executed action the first step of the mean of the last iteration's elites.
 *
 * Choices where the reference leaves room (documented defaults): one std value is drawn per planning step and used for
 * every step and action element; for action bounds other than [-1, 1] the std is scaled by the half-range, so PerSim's
 * numbers keep their meaning; the warm start is the smoothed mean (the sampling distribution's), while the executed
 * action is the elites' mean as the reference says; the step the shift leaves empty starts at the bounds' midpoint.
 */
import { Rng } from '../core/rng.js';
import { TwinGymError } from '../core/errors.js';
import { checkBonus, rankable, ReturnAccumulator, type PositionBonus } from './objective.js';
import { checkCount, checkPlanInput, requireFiniteActions, type PlanResult, type Planner, type PlanningTarget } from './planner.js';
import { RolloutEngine } from './rollout.js';

/** CEM's knobs; the defaults are PerSim's. */
export interface CemSettings {
  /** Sequences sampled per iteration (200). */
  candidates: number;
  /** Steps per sequence (30). */
  horizon: number;
  /** Evaluations per decision, the first included (6 = PerSim's 1 + 5). */
  iterations: number;
  /** Best sequences the distribution is refitted to (50). */
  elites: number;
  /** Weight of the old statistic in each update (0.1). */
  smoothing: number;
  /** The initial std is drawn from U(initStdLow, initStdHigh) at every decision (0.3, 0.6). */
  initStdLow: number;
  initStdHigh: number;
  /** Start from the previous mean shifted by one step (true). */
  warmStart: boolean;
  /** Draws of one element before it is clipped into the bounds instead (100; redraws almost never run out). */
  maxRedraws: number;
  /** PerSim's MountainCar bonus (null: none). */
  positionBonus: PositionBonus | null;
}

/** PerSim's settings. */
export const CEM_DEFAULTS: Readonly<CemSettings> = Object.freeze({
  candidates: 200,
  horizon: 30,
  iterations: 6,
  elites: 50,
  smoothing: 0.1,
  initStdLow: 0.3,
  initStdHigh: 0.6,
  warmStart: true,
  maxRedraws: 100,
  positionBonus: null,
});

/** Seeded, deterministic CEM over a Box action space with finite bounds. */
export class Cem implements Planner {
  readonly kind = 'cem' as const;
  readonly settings: Readonly<CemSettings>;
  private rng: Rng;
  private previousMean: Float64Array | null = null;
  private readonly engine = new RolloutEngine();
  private readonly acc = new ReturnAccumulator();

  /** `seed` (or a generator, which the planner then owns) fixes every decision's samples. */
  constructor(private readonly target: PlanningTarget, settings: Partial<CemSettings> = {}, seed: number | Rng = 0) {
    const s = { ...CEM_DEFAULTS, ...settings };
    const def = target.definition;
    checkCount(s.candidates, 1, 'settings.candidates');
    checkCount(s.horizon, 1, 'settings.horizon');
    checkCount(s.iterations, 1, 'settings.iterations');
    checkCount(s.elites, 1, 'settings.elites');
    checkCount(s.maxRedraws, 1, 'settings.max_redraws');
    if (s.elites > s.candidates) throw new TwinGymError('invalid_argument', `settings.elites (${s.elites}) cannot exceed settings.candidates (${s.candidates})`, { path: 'settings.elites' });
    if (!(s.smoothing >= 0 && s.smoothing <= 1)) throw new TwinGymError('invalid_argument', `settings.smoothing must be in [0, 1], got ${s.smoothing}`, { path: 'settings.smoothing' });
    if (!(s.initStdLow > 0 && s.initStdHigh >= s.initStdLow && Number.isFinite(s.initStdHigh))) {
      throw new TwinGymError('invalid_argument', `settings.init_std must satisfy 0 < low <= high < infinity, got [${s.initStdLow}, ${s.initStdHigh}]`, { path: 'settings.init_std' });
    }
    checkBonus(s.positionBonus, def, 'settings.position_bonus');
    if (def.actionSpace.integral) {
      throw new TwinGymError('unsupported', `CEM plans continuous actions; ${def.id} has an integer action space: use random_shooting`, { planner: 'cem' });
    }
    requireFiniteActions(def, 'CEM');
    this.settings = Object.freeze(s);
    this.rng = typeof seed === 'number' ? Rng.fromSeed(seed) : seed;
  }

  transitionsPerDecision(): number {
    const s = this.settings;
    // Rows stepped: the ensemble mean is one row per candidate, however many members compute it.
    return s.candidates * s.horizon * s.iterations;
  }

  resetWarmStart(): void {
    this.previousMean = null;
  }

  get hasWarmStart(): boolean {
    return this.settings.warmStart && this.previousMean !== null;
  }

  plan(state: Float64Array, context: Float64Array, useWarmStart = true): PlanResult {
    const def = this.target.definition;
    checkPlanInput(def, state, context);
    const { candidates: N, horizon: H, iterations, elites: E, smoothing, positionBonus, maxRedraws } = this.settings;
    const A = def.actionSpace.size;
    const { low, high } = def.actionSpace;
    const L = H * A;
    const rng = this.rng.clone();

    const mean = new Float64Array(L);
    const std = new Float64Array(L);
    for (let t = 0; t < H; t++) for (let k = 0; k < A; k++) mean[t * A + k] = (low[k] + high[k]) / 2;
    const warm = useWarmStart && this.hasWarmStart;
    if (warm) mean.set(this.previousMean!.subarray(A), 0);
    const std0 = rng.uniform(this.settings.initStdLow, this.settings.initStdHigh);
    for (let t = 0; t < H; t++) for (let k = 0; k < A; k++) std[t * A + k] = std0 * ((high[k] - low[k]) / 2);

    const O = def.observationSpace.size;
    let startValue = 0;
    if (positionBonus) {
      const obs = new Float64Array(O);
      def.observe(state, 1, obs);
      startValue = obs[positionBonus.index];
    }
    const gauss = new PairedNormal(rng);
    const samples = new Float64Array(N * L);
    const order = Array.from({ length: N }, (_, i) => i);
    const eliteMean = new Float64Array(L);
    const eliteStd = new Float64Array(L);
    let eliteReturn = 0;
    let eliteScore = 0;
    for (let it = 0; it < iterations; it++) {
      for (let i = 0; i < N; i++) {
        for (let j = 0; j < L; j++) {
          const k = j % A;
          let x = mean[j] + std[j] * gauss.next();
          for (let tries = 1; (x < low[k] || x > high[k]) && tries < maxRedraws; tries++) x = mean[j] + std[j] * gauss.next();
          samples[i * L + j] = Math.min(Math.max(x, low[k]), high[k]);
        }
      }
      this.acc.begin(N, O, positionBonus, startValue);
      this.engine.run({
        definition: def, dynamics: this.target.dynamics, batch: N, horizon: H, start: state, actions: samples, contexts: context,
        perMember: false, rng, trusted: true,
      }, this.acc.sink);
    this.acc.finish();
      const score = this.acc.score;
      const ret = this.acc.ret;
      // Best first; ties by index so the order, and hence the plan, is deterministic.
      order.sort((a, b) => rankable(score[b]) - rankable(score[a]) || a - b);
      eliteMean.fill(0);
      eliteStd.fill(0);
      eliteReturn = 0;
      eliteScore = 0;
      for (let e = 0; e < E; e++) {
        const i = order[e];
        eliteReturn += ret[i];
        eliteScore += score[i];
        for (let j = 0; j < L; j++) eliteMean[j] += samples[i * L + j];
      }
      for (let j = 0; j < L; j++) eliteMean[j] /= E;
      for (let e = 0; e < E; e++) {
        const i = order[e];
        for (let j = 0; j < L; j++) {
          const d = samples[i * L + j] - eliteMean[j];
          eliteStd[j] += d * d;
        }
      }
      for (let j = 0; j < L; j++) {
        eliteStd[j] = Math.sqrt(eliteStd[j] / E);
        mean[j] = smoothing * mean[j] + (1 - smoothing) * eliteMean[j];
        std[j] = smoothing * std[j] + (1 - smoothing) * eliteStd[j];
      }
    }

    this.rng = rng;
    this.previousMean = mean.slice();
    return {
      action: eliteMean.slice(0, A),
      sequence: eliteMean.slice(),
      predictedReturn: eliteReturn / E,
      score: eliteScore / E,
      transitions: this.transitionsPerDecision(),
      warmStarted: warm,
    };
  }
}

/**
 * Standard normal draws by Box-Muller using both outputs of each pair (Rng.normal keeps one so its stream position is
 * simple; CEM draws tens of thousands per decision, so halving the logs and square roots matters). Made per decision
 * from the decision's generator, so the draws depend on the seed alone.
 */
class PairedNormal {
  private spare = 0;
  private hasSpare = false;

  constructor(private readonly rng: Rng) {}

  next(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = 0;
    while (u === 0) u = this.rng.random();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * this.rng.random();
    this.spare = r * Math.sin(theta);
    this.hasSpare = true;
    return r * Math.cos(theta);
  }
}
