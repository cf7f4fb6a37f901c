/**
 * MOCODA's empirical (real) datasets. Navigation2D: the "L-shaped" data of REFERENCE.md 1.3, exactly as described
 * there. HookSweep2: the paper learns from a noisy expert sweeping ONE box; no learned expert exists here, so the
 * scripted one-box sweeper (envs/physics/hooksweep/scripted.ts) stands in, with the paper's noise (Gaussian std 0.1
 * on half of the steps) and 50-step episodes.
 */
import { navigation2dStep, type Navigation2DTask } from '../../../envs/classic/navigation2d.js';
import { oneBoxSweeper } from '../../../envs/physics/hooksweep/scripted.js';
import { HOOK_ACTION_SIZE, HOOK_OBS_SIZE, HOOK_STATE_SIZE } from '../../../envs/physics/hooksweep/layout.js';
import { sampleHookScene, type GoalSide } from '../../../envs/physics/hooksweep/task.js';
import { HookWorld } from '../../../envs/physics/hooksweep/world.js';
import { Rng } from '../../core/rng.js';
import type { Dataset } from '../dataset.js';
import { HOOK_ID, mocodaDefinition, NAV_ID, transitionsToDataset } from './common.js';

/** Options of the L-shaped Navigation2D data. */
export interface NavEmpiricalOptions {
  seed?: number;
  /** Total transitions, split evenly between the two halves (REFERENCE.md: 40,000). */
  transitions?: number;
  /** Task whose reward and terminal labels the rows carry (default "diagonal", the target task). */
  task?: Navigation2DTask;
}

/** The reference's per-episode step limit of the L-shaped data (its loop allows 71 steps). */
export const NAV_DATA_EPISODE_STEPS = 71;
/** Size of the paper's Navigation2D data. */
export const NAV_DATA_SIZE = 40_000;

/**
 * The L-shaped data (REFERENCE.md 1.3): half bottom-to-top episodes (start x in [0.6, 1), y in [0, 0.15); both action
 * components U(-0.05, 0.05), then ay += U[0.4, 0.9); until y > 0.9 or 71 steps) and half left-to-right (start
 * y in [0, 0.4), x in [0, 0.15); ax += U[0.4, 0.9); until x > 0.9). Exactly `transitions` rows: the last episode of
 * each half is cut where the half is full. Rewards and terminals are the labelling task's (the diagonal target task by
 * default); `timeouts` marks the rows where a collected episode ended for any other reason (its own goal, its step
 * limit, or the cut), so episode boundaries survive in the file.
 */
export function navigationLShaped(options: NavEmpiricalOptions = {}): Dataset {
  const total = options.transitions ?? NAV_DATA_SIZE;
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(total) || total < 2) throw new Error(`the L-shaped data needs at least 2 transitions, got ${total}`);
  const def = mocodaDefinition(NAV_ID, { task: options.task ?? 'diagonal' });
  const rng = Rng.fromSeed(seed);
  const obs = new Float64Array(total * 2);
  const actions = new Float64Array(total * 2);
  const next = new Float64Array(total * 2);
  const episodeEnd = new Uint8Array(total);
  const context = Float64Array.from(def.context.defaults);
  const one = { n: 1, states: new Float64Array(2), actions: new Float64Array(2), contexts: context, next: new Float64Array(2), rngs: [] };
  let row = 0;
  for (const half of ['up', 'right'] as const) {
    const end = half === 'up' ? Math.floor(total / 2) : total;
    while (row < end) {
      if (half === 'up') { one.states[0] = rng.uniform(0.6, 1); one.states[1] = rng.uniform(0, 0.15); } else { one.states[1] = rng.uniform(0, 0.4); one.states[0] = rng.uniform(0, 0.15); }
      for (let t = 0; t < NAV_DATA_EPISODE_STEPS && row < end; t++) {
        one.actions[0] = rng.uniform(-0.05, 0.05);
        one.actions[1] = rng.uniform(-0.05, 0.05);
        one.actions[half === 'up' ? 1 : 0] += rng.uniform(0.4, 0.9);
        navigation2dStep(one);
        obs.set(one.states, 2 * row);
        actions.set(one.actions, 2 * row);
        next.set(one.next, 2 * row);
        const done = half === 'up' ? one.next[1] > 0.9 : one.next[0] > 0.9;
        row++;
        if (done || t === NAV_DATA_EPISODE_STEPS - 1 || row === end) { episodeEnd[row - 1] = 1; break; }
        one.states.set(one.next);
      }
    }
  }
  const d = transitionsToDataset(def, { n: total, observations: obs, actions, nextObservations: next }, {
    policy: 'empirical',
    policyDescription: 'MOCODA L-shaped data: half bottom-to-top (ay += U[0.4,0.9)), half left-to-right (ax += U[0.4,0.9)), action noise U(-0.05,0.05)',
    seed,
  });
  // A row the labelling task calls terminal is not also a timeout (D4RL keeps the two apart).
  for (let i = 0; i < total; i++) d.timeouts[i] = episodeEnd[i] && !d.terminals[i] ? 1 : 0;
  return d;
}

/** Options of the HookSweep2 one-box expert data. */
export interface HookEmpiricalOptions {
  seed?: number;
  /**
   * Total transitions (a multiple of the episode length is not required: the last episode is cut). The paper uses
   * 1,000,000; the default 50,000 (1,000 episodes, about 10 s of physics on one core) keeps model training within this
   * machine's budget.
   */
  transitions?: number;
  /** Episode length (paper: 50). */
  episodeSteps?: number;
  /** Std of the Gaussian action noise added on half of the steps (paper: 0.1). */
  noiseStd?: number;
  /** Goal side of the episodes (default random, the task's). */
  goalSide?: GoalSide;
  /** Called after each episode with the rows written so far. */
  onProgress?: (rows: number, total: number) => void;
}

/** Default size of the HookSweep2 expert data here (the paper's is 1M, see HookEmpiricalOptions.transitions). */
export const HOOK_DATA_SIZE = 50_000;

/**
 * The noisy one-box expert's data: each 50-step episode starts from the task's initial scene, the scripted sweeper
 * moves one box to a goal side and leaves the other in place. Rewards are the definition's (for the episode's
 * two-box goals); nothing terminates; the last row of each episode is a timeout.
 */
export function hookOneBoxExpert(options: HookEmpiricalOptions = {}): Dataset {
  const total = options.transitions ?? HOOK_DATA_SIZE;
  const steps = options.episodeSteps ?? 50;
  const noise = options.noiseStd ?? 0.1;
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(total) || total < 1) throw new Error(`the HookSweep2 data needs at least 1 transition, got ${total}`);
  const def = mocodaDefinition(HOOK_ID, { goal_side: options.goalSide ?? 'random' });
  const world = new HookWorld();
  const rng = Rng.fromSeed(seed);
  const O = HOOK_OBS_SIZE;
  const A = HOOK_ACTION_SIZE;
  const obs = new Float64Array(total * O);
  const actions = new Float64Array(total * A);
  const next = new Float64Array(total * O);
  const timeouts = new Uint8Array(total);
  let state = new Float64Array(HOOK_STATE_SIZE);
  let after = new Float64Array(HOOK_STATE_SIZE);
  let row = 0;
  while (row < total) {
    sampleHookScene(rng, options.goalSide ?? 'random', state, 0);
    def.observe(state, 1, obs.subarray(row * O, (row + 1) * O));
    const { policy } = oneBoxSweeper(obs, row * O, rng, noise);
    for (let t = 0; t < steps && row < total; t++) {
      if (t > 0) obs.set(next.subarray((row - 1) * O, row * O), row * O);
      policy.act(obs, row * O, actions, row * A);
      world.step(state, 0, actions, row * A, after, 0);
      def.observe(after, 1, next.subarray(row * O, (row + 1) * O));
      [state, after] = [after, state];
      row++;
      if (t === steps - 1 || row === total) timeouts[row - 1] = 1;
    }
    options.onProgress?.(row, total);
  }
  return transitionsToDataset(def, { n: total, observations: obs, actions, nextObservations: next }, {
    policy: 'empirical',
    policyDescription: `MOCODA HookSweep2 data: scripted one-box sweeper, ${steps}-step episodes, Gaussian action noise std ${noise} on half of the steps`,
    seed,
  }, timeouts);
}

/** The empirical dataset of a MOCODA environment with the paper's (or the documented default) settings. */
export function empiricalDataset(envId: string, options: { seed?: number; transitions?: number; onProgress?: (rows: number, total: number) => void } = {}): Dataset {
  if (envId === NAV_ID) return navigationLShaped({ seed: options.seed, transitions: options.transitions });
  if (envId === HOOK_ID) return hookOneBoxExpert({ seed: options.seed, transitions: options.transitions, onProgress: options.onProgress });
  throw new Error(`MOCODA has empirical data for ${NAV_ID} and ${HOOK_ID} only, not ${envId}`);
}
