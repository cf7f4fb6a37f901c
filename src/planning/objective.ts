/**
 * What planners maximise: the sum over an imagined rollout of the environment's own rewards (masked once the rollout
 * is done, see rollout.ts), plus PerSim's optional MountainCar position bonus, averaged over ensemble members.
 */
import type { EnvDefinition } from '../core/definition.js';
import { TwinGymError } from '../core/errors.js';
import type { StepSink } from './rollout.js';

/**
 * PerSim's MountainCar shaping (REFERENCE.md 4): on every step until the rollout is done, `weight` x the largest value of
 * observation element `index` reached (the start included). PerSim uses weight 0.01 on the car's position (index 0). It
 * only steers the choice of sequence: predicted returns never include it.
 */
export interface PositionBonus {
  weight: number;
  index: number;
  /**
   * "peak" (default): every step until done adds weight x the largest value reached over the whole rollout, so a late
   * peak counts as much as an early one. "running": step t adds weight x the largest value reached up to step t.
   * REFERENCE.md 4 says "0.01 x (max position reached) per step", which allows both readings. With PerSim's settings on
   * the true MountainCar (8 episodes per gravity, same seeds), "peak" scored -115 / -184 / -193 at gravity 0.001 /
   * 0.0025 / 0.0035 and "running" -88 / -232 / -227, against the paper's true env + MPC -110.8 / -182.9 / -197.5:
   * "peak" is the reading that reproduces the paper (20-episode table: docs/results/mpc-rewards.md).
   */
  mode?: 'peak' | 'running';
}

/** PerSim's setting for MountainCar. */
export const MOUNTAIN_CAR_BONUS: Readonly<PositionBonus> = Object.freeze({ weight: 0.01, index: 0, mode: 'peak' });

/** Checks a bonus against an environment; throws invalid_argument naming the field. */
export function checkBonus(bonus: PositionBonus | null, def: EnvDefinition, path: string): void {
  if (bonus === null) return;
  const O = def.observationSpace.size;
  if (!Number.isInteger(bonus.index) || bonus.index < 0 || bonus.index >= O) {
    throw new TwinGymError('invalid_argument', `${path}.index ${bonus.index} is not an observation element of ${def.id} (0..${O - 1})`, { path: `${path}.index` });
  }
  if (!Number.isFinite(bonus.weight)) throw new TwinGymError('invalid_argument', `${path}.weight must be a finite number`, { path: `${path}.weight` });
  if (bonus.mode !== undefined && bonus.mode !== 'running' && bonus.mode !== 'peak') {
    throw new TwinGymError('invalid_argument', `${path}.mode must be "peak" or "running", got ${String(bonus.mode)}`, { path: `${path}.mode` });
  }
}

/**
 * Per-row objective and return of one rollout, filled by its step sink: score = rewards + bonus while not done,
 * ret = rewards alone. Rows are member-major (rollout.ts); memberMean folds them into per-sequence averages.
 */
export class ReturnAccumulator {
  score = new Float64Array(0);
  ret = new Float64Array(0);
  private maxPos = new Float64Array(0);
  private doneBefore = new Uint8Array(0);
  /** Steps a row counted, set when it terminates (rows still running at the end counted every step). */
  private doneAt = new Float64Array(0);
  private steps = 0;
  private rows = 0;
  private obsSize = 1;
  private bonus: PositionBonus | null = null;

  /** Prepares for a rollout of `rows` rows that all start from an observation whose bonus element is `startValue`. */
  begin(rows: number, obsSize: number, bonus: PositionBonus | null, startValue: number): void {
    if (this.score.length < rows) {
      this.score = new Float64Array(rows);
      this.ret = new Float64Array(rows);
      this.maxPos = new Float64Array(rows);
      this.doneBefore = new Uint8Array(rows);
      this.doneAt = new Float64Array(rows);
    }
    this.rows = rows;
    this.obsSize = obsSize;
    this.bonus = bonus;
    this.score.fill(0, 0, rows);
    this.ret.fill(0, 0, rows);
    this.maxPos.fill(startValue, 0, rows);
    this.doneBefore.fill(0, 0, rows);
    this.steps = 0;
  }

  /**
   * The sink to hand RolloutEngine.run. Fields are read into locals once per step: this loop runs rows x horizon times.
   * Without a running bonus a row's score is its return until finish() adds the peak bonus, so only the return is
   * summed per step.
   */
  readonly sink: StepSink = (t, nextObs, _states, rewards, terminated) => {
    const R = this.rows;
    const O = this.obsSize;
    const { score, ret, maxPos, doneBefore, doneAt, bonus } = this;
    const index = bonus ? bonus.index : 0;
    const running = bonus !== null && bonus.mode === 'running';
    const weight = bonus ? bonus.weight : 0;
    this.steps = t + 1;
    for (let r = 0; r < R; r++) {
      if (doneBefore[r]) continue;
      const rew = rewards[r];
      ret[r] += rew;
      if (bonus) {
        const x = nextObs[r * O + index];
        if (x > maxPos[r]) maxPos[r] = x;
        if (running) score[r] += rew + weight * maxPos[r];
      }
      if (terminated[r]) {
        doneBefore[r] = 1;
        doneAt[r] = t + 1;
      }
    }
  };

  /** Completes the scores once the rollout has ended (the peak bonus needs the whole rollout). */
  finish(): void {
    const bonus = this.bonus;
    if (bonus && bonus.mode === 'running') return;
    const { score, ret, maxPos, doneBefore, doneAt } = this;
    for (let r = 0; r < this.rows; r++) {
      score[r] = ret[r];
      // Steps counted: up to and including the terminating one.
      if (bonus) score[r] += bonus.weight * maxPos[r] * (doneBefore[r] ? doneAt[r] : this.steps);
    }
  }

  /**
   * Averages member-major rows into `out` (one value per sequence): out[b] = mean over m of values[m*batch + b], summed
   * in member order so the result does not depend on anything but the inputs.
   */
  static memberMean(values: Float64Array, members: number, batch: number, out: Float64Array): void {
    for (let b = 0; b < batch; b++) {
      let sum = 0;
      for (let m = 0; m < members; m++) sum += values[m * batch + b];
      out[b] = members === 1 ? sum : sum / members;
    }
  }
}

/** A NaN score (a diverged model) must never win a comparison: it ranks below every number. */
export function rankable(x: number): number {
  return Number.isNaN(x) ? -Infinity : x;
}
