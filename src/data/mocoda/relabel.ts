/**
 * Relabelling with a target task's reward (REFERENCE.md 5): MOCODA's augmented datasets are used for a task the data
 * was not collected for. Navigation2D: rewards and terminals are recomputed by the target task's own definition (e.g.
 * "diagonal"). HookSweep2: each row gets goals drawn afresh from the two-box goal distribution (the same goals in its
 * observation and next observation, since goals are constant within an episode), then the definition's reward.
 */
import type { Navigation2DTask } from '../../../envs/classic/navigation2d.js';
import { sampleHookGoals } from '../../../envs/physics/hooksweep/goals.js';
import { O_GOAL1 } from '../../../envs/physics/hooksweep/layout.js';
import type { GoalSide } from '../../../envs/physics/hooksweep/task.js';
import { Rng } from '../../core/rng.js';
import type { Dataset } from '../dataset.js';
import { HOOK_ID, mocodaDefinition, NAV_ID, transitionsToDataset } from './common.js';

/** What to relabel for. */
export interface RelabelOptions {
  /** Navigation2D task (default "diagonal"). */
  task?: Navigation2DTask;
  /** HookSweep2 goal side of the resampled goals (default "random", the two-box task's distribution). */
  goalSide?: GoalSide;
  /** Seed of HookSweep2's goal draws. */
  seed?: number;
  /** Rows whose goals are kept as they are (HookSweep2: e.g. the real rows, relabelled only in their reward). */
  keepGoals?: (row: number) => boolean;
}

/**
 * A copy of the dataset with rewards and terminals of the target task. Timeouts are kept, except on rows the new task
 * calls terminal (D4RL keeps terminated and truncated apart).
 */
export function relabelDataset(d: Dataset, options: RelabelOptions = {}): Dataset {
  const observations = Float64Array.from(d.observations);
  const nextObservations = Float64Array.from(d.nextObservations);
  let def;
  if (d.envId === NAV_ID) {
    def = mocodaDefinition(NAV_ID, { task: options.task ?? 'diagonal' });
  } else if (d.envId === HOOK_ID) {
    def = mocodaDefinition(HOOK_ID, { goal_side: options.goalSide ?? 'random' });
    const rng = Rng.fromSeed(options.seed ?? 0);
    const goals = new Float64Array(4);
    const O = d.obsSize;
    for (let i = 0; i < d.n; i++) {
      if (options.keepGoals?.(i)) continue;
      sampleHookGoals(rng, options.goalSide ?? 'random', goals, 0);
      observations.set(goals, i * O + O_GOAL1);
      nextObservations.set(goals, i * O + O_GOAL1);
    }
  } else {
    throw new Error(`relabelling knows ${NAV_ID} and ${HOOK_ID}, not ${d.envId}`);
  }
  const out = transitionsToDataset(def, { n: d.n, observations, actions: Float64Array.from(d.actions), nextObservations }, {
    policy: d.policy,
    policyDescription: d.policyDescription,
    seed: d.seed,
  });
  for (let i = 0; i < d.n; i++) out.timeouts[i] = d.timeouts[i] && !out.terminals[i] ? 1 : 0;
  return out;
}
