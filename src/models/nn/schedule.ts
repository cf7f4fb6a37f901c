/**
 * Step learning-rate schedules. PerSim trains 300 epochs with Adam at 1e-3, halved after epochs 150 and 300
 * (REFERENCE.md 3; the second halving never takes effect in a 300-epoch run). Smaller runs keep the same shape by
 * scaling the milestones with the epoch count.
 */

/** A schedule: the learning rate for a 0-based epoch. */
export interface StepSchedule {
  base: number;
  /** Epoch counts after which the rate is multiplied by `factor`. */
  milestones: number[];
  factor: number;
}

/** PerSim's schedule with milestones scaled from a 300-epoch run to `epochs` (rounded, at least 1). */
export function persimSchedule(epochs: number, base = 1e-3): StepSchedule {
  const scale = epochs / 300;
  return { base, milestones: [150, 300].map((e) => Math.max(1, Math.round(e * scale))), factor: 0.5 };
}

/** The learning rate in 0-based epoch `epoch`: one factor per milestone already passed. */
export function learningRateAt(s: StepSchedule, epoch: number): number {
  let lr = s.base;
  for (const m of s.milestones) if (epoch >= m) lr *= s.factor;
  return lr;
}
