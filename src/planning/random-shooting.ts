/**
 * Random shooting as PerSim plans discrete actions (REFERENCE.md 4): 1000 uniformly random action sequences of
 * horizon 50; candidate 0 is the previous best sequence shifted by one step; each ensemble member rolls out its own
 * trajectory from the true current state; a step's reward counts until that member's rollout is done; scores are
 * averaged over members and summed over time; the first action of the best sequence is executed.
 */
import { Rng } from '../core/rng.js';
import { ensembleSize } from './ensemble.js';
import { checkBonus, rankable, ReturnAccumulator, type PositionBonus } from './objective.js';
import { checkCount, checkPlanInput, requireFiniteActions, type PlanResult, type Planner, type PlanningTarget } from './planner.js';
import { RolloutEngine } from './rollout.js';

/** Random shooting's knobs; the defaults are PerSim's. */
export interface RandomShootingSettings {
  /** Sequences per decision (1000). */
  candidates: number;
  /** Steps per sequence (50). */
  horizon: number;
  /** Each ensemble member rolls out its own trajectory (true, PerSim); false propagates the ensemble mean instead. */
  perMember: boolean;
  /** Candidate 0 is the previous best shifted by one step (true). */
  warmStart: boolean;
  /** PerSim's MountainCar bonus (null: none). */
  positionBonus: PositionBonus | null;
  /**
   * Step each distinct action prefix once where that cannot change the result (RolloutSpec.sharePrefixes): true by
   * default; false only to measure what it saves.
   */
  sharePrefixes: boolean;
}

/** PerSim's settings. */
export const RANDOM_SHOOTING_DEFAULTS: Readonly<RandomShootingSettings> = Object.freeze({
  candidates: 1000,
  horizon: 50,
  perMember: true,
  warmStart: true,
  positionBonus: null,
  sharePrefixes: true,
});

/** Seeded, deterministic random shooting over any action space with finite bounds (integers drawn for integer spaces). */
export class RandomShooting implements Planner {
  readonly kind = 'random_shooting' as const;
  readonly settings: Readonly<RandomShootingSettings>;
  private rng: Rng;
  private previous: Float64Array | null = null;
  private readonly engine = new RolloutEngine();
  private readonly acc = new ReturnAccumulator();
  private actions = new Float64Array(0);
  private readonly members: number;

  /** `seed` (or a generator, which the planner then owns) fixes every decision's samples. */
  constructor(private readonly target: PlanningTarget, settings: Partial<RandomShootingSettings> = {}, seed: number | Rng = 0) {
    const s = { ...RANDOM_SHOOTING_DEFAULTS, ...settings };
    checkCount(s.candidates, 1, 'settings.candidates');
    checkCount(s.horizon, 1, 'settings.horizon');
    checkBonus(s.positionBonus, target.definition, 'settings.position_bonus');
    requireFiniteActions(target.definition, 'random shooting');
    this.settings = Object.freeze(s);
    this.rng = typeof seed === 'number' ? Rng.fromSeed(seed) : seed;
    this.members = s.perMember ? ensembleSize(target.dynamics) : 1;
  }

  transitionsPerDecision(): number {
    return this.settings.candidates * this.settings.horizon * this.members;
  }

  resetWarmStart(): void {
    this.previous = null;
  }

  /** Rows the dynamics actually stepped in the last decision (below transitionsPerDecision when prefixes were shared). */
  get lastSteppedRows(): number {
    return this.engine.lastSteppedRows;
  }

  get hasWarmStart(): boolean {
    return this.settings.warmStart && this.previous !== null;
  }

  plan(state: Float64Array, context: Float64Array, useWarmStart = true): PlanResult {
    const def = this.target.definition;
    checkPlanInput(def, state, context);
    const { candidates: N, horizon: H, positionBonus } = this.settings;
    const A = def.actionSpace.size;
    const { low, high } = def.actionSpace;
    const integral = def.actionSpace.integral;
    // Draw from a copy: the planner's generator advances only when the decision succeeds.
    const rng = this.rng.clone();
    if (this.actions.length !== N * H * A) this.actions = new Float64Array(N * H * A);
    const actions = this.actions;
    if (integral && A === 1) rng.fillIntegers(actions, 0, N * H, low[0], high[0]);
    else {
      for (let i = 0; i < N * H; i++) {
        for (let k = 0; k < A; k++) actions[i * A + k] = integral ? rng.integer(low[k], high[k]) : rng.uniform(low[k], high[k]);
      }
    }
    const warm = useWarmStart && this.hasWarmStart;
    if (warm) actions.set(this.previous!.subarray(A), 0); // step H-1 keeps its fresh draw

    const M = this.members;
    const O = def.observationSpace.size;
    let startValue = 0;
    if (positionBonus) {
      const obs = new Float64Array(O);
      def.observe(state, 1, obs);
      startValue = obs[positionBonus.index];
    }
    this.acc.begin(M * N, O, positionBonus, startValue);
    this.engine.run({
      definition: def, dynamics: this.target.dynamics, batch: N, horizon: H, start: state, actions, contexts: context,
      perMember: this.settings.perMember, rng, trusted: true, sharePrefixes: this.settings.sharePrefixes,
    }, this.acc.sink);
    this.acc.finish();
    const scores = new Float64Array(N);
    const returns = new Float64Array(N);
    ReturnAccumulator.memberMean(this.acc.score, M, N, scores);
    ReturnAccumulator.memberMean(this.acc.ret, M, N, returns);
    // Ties go to the lowest index, so an equally good warm start (candidate 0) keeps the plan stable.
    let best = 0;
    for (let b = 1; b < N; b++) if (rankable(scores[b]) > rankable(scores[best])) best = b;
    const sequence = actions.slice(best * H * A, (best + 1) * H * A);

    this.rng = rng;
    this.previous = sequence.slice();
    return {
      action: sequence.slice(0, A),
      sequence,
      predictedReturn: returns[best],
      score: scores[best],
      transitions: this.transitionsPerDecision(),
      warmStarted: warm,
    };
  }
}
