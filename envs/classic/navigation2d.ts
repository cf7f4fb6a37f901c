/**
 * Navigation2D-v0: MOCODA's 2D navigation task (REFERENCE.md 1.3). A point moves by speed * action; in the top-right
 * quadrant (x > 0.5 and y > 0.5, tested before the move) each action component also pushes the OTHER coordinate back by
 * coupling * action, so there the two coordinates are causally entangled. The local causal structure (masks, regions,
 * parent sets) is what MOCODA's models and sampler consume. The state is never clipped, as in the reference.
 *
 * Tasks (env option `task`), named after MOCODA's toymode enum (spitis/mocoda, augment_offline_toy.py):
 * - diagonal (default, the target task): start U[0, 0.15)^2, goal the open box (0.8, 0.9)^2.
 * - up: start y ~ U[0, 0.15) and, with probability 1/2 each, x ~ U[0.6, 1) or U[0, 0.4); goal y > 0.9.
 * - right: start x ~ U[0, 0.15) and, with probability 1/2 each, y ~ U[0, 0.4) or U[0.6, 1); goal x > 0.9.
 * - up_l / right_l: the one-sided starts of the L-shaped dataset (x ~ U[0.6, 1), resp. y ~ U[0, 0.4)), same goals.
 * Every task: reward -1 per step and 0 on the step that enters the goal (which terminates); truncated after 70 steps.
 */
import type { CausalSpec } from '../../protocol/ts/spaces.js';
import { ContextSpace } from '../../src/core/context.js';
import type { CausalStructure, EnvDefinition, EnvEntry, TransitionBatch } from '../../src/core/definition.js';
import type { Rng } from '../../src/core/rng.js';
import { Box } from '../../src/core/spaces.js';
import { svgDocument } from '../render/svg.js';
import { observeIdentity, pureDynamics, stateFromObservationIdentity } from './identity.js';

/** The tasks, in the order list_envs reports them. */
export const NAVIGATION2D_TASKS = ['diagonal', 'up', 'right', 'up_l', 'right_l'] as const;
/** One of the task names. */
export type Navigation2DTask = (typeof NAVIGATION2D_TASKS)[number];

/** The quadrant threshold: entangled when both coordinates exceed it. */
export const ENTANGLE_THRESHOLD = 0.5;
/** The arena the tasks are posed in (MOCODA's declared observation space); states may leave it. */
export const ARENA: readonly [number, number] = [0, 1];
/** The time limit (the reference's loop allows 71 steps, an off-by-one not reproduced). */
export const MAX_EPISODE_STEPS = 70;

const SPEED = 0;
const COUPLING = 1;

/**
 * speed and coupling; the defaults reproduce the reference exactly. The ranges are ours. In the quadrant an action a
 * moves the point by [[speed, -coupling], [-coupling, speed]] a, a map that can point in every direction only while
 * coupling < speed: keeping coupling <= 0.025 < 0.03 <= speed guarantees that for every context. The diagonal goal
 * stays reachable within the 70 steps everywhere in the ranges (the slowest corner, speed 0.03, needs about 50 steps
 * on a path that enters the quadrant from above and slides along its fast direction (1, -1)); coupling 0 switches the
 * entanglement off (the local mask then over-approximates, see Navigation2DCausal).
 */
export const navigation2dContext = new ContextSpace([
  { name: 'speed', default: 0.05, low: 0.03, high: 0.08, description: 'displacement per unit of action on the same axis' },
  { name: 'coupling', default: 0.02, low: 0, high: 0.025, description: 'displacement per unit of action on the OTHER axis (against it), only where x > 0.5 and y > 0.5' },
]);

/**
 * Bounds of the observation Box: every state reachable from a start in [0, 1]^2 within the time limit (71 steps, the
 * reference's off-by-one included) at the largest per-step move of (max speed + max coupling) = 0.105 per axis, i.e.
 * [-7.455, 8.455], rounded out. A longer time limit (make's max_episode_steps) or a start given at the edge of this box
 * can leave it: the dynamics never clip.
 */
export const OBS_LOW = -8;
export const OBS_HIGH = 9;

/**
 * The batched transition. The quadrant test uses the state before the move; the update is x + speed*ax - coupling*ay,
 * evaluated left to right as REFERENCE.md writes it.
 */
export function navigation2dStep(b: TransitionBatch): void {
  const { n, states, actions, contexts, next } = b;
  for (let i = 0; i < n; i++) {
    const x = states[2 * i];
    const y = states[2 * i + 1];
    const ax = actions[2 * i];
    const ay = actions[2 * i + 1];
    const speed = contexts[2 * i + SPEED];
    if (x > ENTANGLE_THRESHOLD && y > ENTANGLE_THRESHOLD) {
      const coupling = contexts[2 * i + COUPLING];
      next[2 * i] = x + speed * ax - coupling * ay;
      next[2 * i + 1] = y + speed * ay - coupling * ax;
    } else {
      next[2 * i] = x + speed * ax;
      next[2 * i + 1] = y + speed * ay;
    }
  }
}

/** Whether a (next) state is inside the task's goal. */
function inGoal(task: Navigation2DTask, x: number, y: number): boolean {
  switch (task) {
    case 'diagonal':
      return x > 0.8 && x < 0.9 && y > 0.8 && y < 0.9;
    case 'up':
    case 'up_l':
      return y > 0.9;
    case 'right':
    case 'right_l':
      return x > 0.9;
  }
}

const ROOTS = ['x', 'y', 'ax', 'ay'] as const;
const SEPARATE_MASK = [[1, 0], [0, 1], [1, 0], [0, 1]];
const FULL_MASK = [[1, 1], [1, 1], [1, 1], [1, 1]];
/** Region indices into spec().local_masks. */
export const REGION_SEPARATE = 0;
export const REGION_ENTANGLED = 1;

/**
 * The local causal structure: roots (x, y, ax, ay), children (x', y'). Outside the top-right quadrant each coordinate
 * depends on itself and its own action component; inside, both children depend on both action components. Following
 * MOCODA (its toy mask sets every entry to 1 in the quadrant), the entangled mask is all ones even though x' does not
 * read y nor y' x; the parent sets name the exact dependencies. Masks may over-approximate (a model given a spurious
 * edge can learn to ignore it), never miss an edge: so with coupling 0, where nothing is entangled, the mask stays.
 */
export class Navigation2DCausal implements CausalStructure {
  /** The wire description; a fresh object each call so callers may keep or change it. */
  spec(): CausalSpec {
    return {
      roots: [
        { name: 'x', source: 'obs', indices: [0] },
        { name: 'y', source: 'obs', indices: [1] },
        { name: 'ax', source: 'action', indices: [0] },
        { name: 'ay', source: 'action', indices: [1] },
      ],
      children: [
        { name: "x'", indices: [0] },
        { name: "y'", indices: [1] },
      ],
      global_mask: FULL_MASK.map((r) => [...r]),
      local_masks: [
        {
          region: 'separate',
          description: 'x <= 0.5 or y <= 0.5: each coordinate moves with its own action component only',
          mask: SEPARATE_MASK.map((r) => [...r]),
          parent_sets: [['x', 'ax'], ['y', 'ay']],
        },
        {
          region: 'entangled',
          description: 'x > 0.5 and y > 0.5: each action component also moves the other coordinate',
          mask: FULL_MASK.map((r) => [...r]),
          parent_sets: [['x', 'ax', 'ay'], ['y', 'ax', 'ay']],
        },
      ],
    };
  }

  /** Writes n masks of 4 roots x 2 children, row-major per transition. */
  mask(obs: Float64Array, _actions: Float64Array, n: number, out: Uint8Array): void {
    const R = ROOTS.length;
    for (let i = 0; i < n; i++) {
      const m = obs[2 * i] > ENTANGLE_THRESHOLD && obs[2 * i + 1] > ENTANGLE_THRESHOLD ? FULL_MASK : SEPARATE_MASK;
      const base = i * R * 2;
      for (let r = 0; r < R; r++) {
        out[base + 2 * r] = m[r][0];
        out[base + 2 * r + 1] = m[r][1];
      }
    }
  }

  /** Writes the region index (REGION_SEPARATE or REGION_ENTANGLED) of each of n transitions. */
  region(obs: Float64Array, _actions: Float64Array, n: number, out: Uint8Array): void {
    for (let i = 0; i < n; i++) {
      out[i] = obs[2 * i] > ENTANGLE_THRESHOLD && obs[2 * i + 1] > ENTANGLE_THRESHOLD ? REGION_ENTANGLED : REGION_SEPARATE;
    }
  }
}

/** Samples a start for the task into out[offset ..], drawing in the reference's order (x, y, then the side). */
function sampleStart(task: Navigation2DTask, rng: Rng, out: Float64Array, offset: number): void {
  let x = rng.uniform(0, 0.15);
  let y = rng.uniform(0, 0.15);
  if (task === 'up_l' || (task === 'up' && rng.random() > 0.5)) x = rng.uniform(0.6, 1);
  else if (task === 'up') x = rng.uniform(0, 0.4);
  if (task === 'right_l' || (task === 'right' && rng.random() > 0.5)) y = rng.uniform(0, 0.4);
  else if (task === 'right') y = rng.uniform(0.6, 1);
  out[offset] = x;
  out[offset + 1] = y;
}

/** Builds the definition for a task (the registry has validated the option). */
export function buildNavigation2D(options: Readonly<Record<string, string | number | boolean>> = {}): EnvDefinition {
  const task = (options.task ?? 'diagonal') as Navigation2DTask;
  if (!NAVIGATION2D_TASKS.includes(task)) throw new RangeError(`Navigation2D task must be one of ${NAVIGATION2D_TASKS.join(', ')}`);
  return {
    id: 'Navigation2D-v0',
    description: `MOCODA 2D navigation, task "${task}": move a point to the goal; actions entangle in the top-right quadrant.`,
    observationSpace: new Box(OBS_LOW, OBS_HIGH, [2], 'f32'),
    actionSpace: new Box(-1, 1, [2], 'f32'),
    context: navigation2dContext,
    stateSize: 2,
    maxEpisodeSteps: MAX_EPISODE_STEPS,
    rewardRange: [-1, 0],
    options: { task },
    causal: new Navigation2DCausal(),
    initial(rng: Rng, _ctx, _co, out, offset) {
      sampleStart(task, rng, out, offset);
    },
    observe: observeIdentity,
    stateFromObservation: stateFromObservationIdentity,
    terminated(nextObs, _contexts, n, out) {
      for (let i = 0; i < n; i++) out[i] = inGoal(task, nextObs[2 * i], nextObs[2 * i + 1]) ? 1 : 0;
    },
    reward(_obs, _actions, _nextObs, terminated, n, out) {
      for (let i = 0; i < n; i++) out[i] = terminated[i] ? 0 : -1;
    },
    trueDynamics: () => pureDynamics(navigation2dStep),
    render(states, contexts, index) {
      const x = states[2 * index];
      const y = states[2 * index + 1];
      const W = 440;
      const H = 470;
      const margin = 20;
      const side = 400;
      // Arena coordinates have y up; SVG has y down.
      const px = (v: number) => (margin + v * side).toFixed(1);
      const py = (v: number) => (margin + (1 - v) * side).toFixed(1);
      const rect = (x0: number, y0: number, x1: number, y1: number, style: string) =>
        `<rect x="${px(x0)}" y="${py(y1)}" width="${((x1 - x0) * side).toFixed(1)}" height="${((y1 - y0) * side).toFixed(1)}" ${style}/>`;
      const goal =
        task === 'diagonal' ? rect(0.8, 0.8, 0.9, 0.9, 'fill="#2ca02c" fill-opacity="0.5"')
          : task === 'up' || task === 'up_l' ? rect(0, 0.9, 1, 1, 'fill="#2ca02c" fill-opacity="0.5"')
            : rect(0.9, 0, 1, 1, 'fill="#2ca02c" fill-opacity="0.5"');
      // Outside the arena the agent is drawn on its border (hollow), its true position is in the caption.
      const inside = x >= 0 && x <= 1 && y >= 0 && y <= 1;
      const cx = Math.min(Math.max(x, 0), 1);
      const cy = Math.min(Math.max(y, 0), 1);
      const body = [
        rect(0, 0, 1, 1, 'fill="none" stroke="#333" stroke-width="1.5"'),
        rect(0.5, 0.5, 1, 1, 'fill="#d62728" fill-opacity="0.12"'),
        goal,
        `<circle cx="${px(cx)}" cy="${py(cy)}" r="8" ${inside ? 'fill="#1f77b4"' : 'fill="none" stroke="#1f77b4" stroke-width="2"'}/>`,
        `<text x="${margin}" y="${H - 26}" font-size="13" font-family="sans-serif">task=${task} x=${x.toFixed(4)} y=${y.toFixed(4)}</text>`,
        `<text x="${margin}" y="${H - 8}" font-size="13" font-family="sans-serif">speed=${contexts[2 * index + SPEED]} coupling=${contexts[2 * index + COUPLING]} (red: entangled quadrant, green: goal)</text>`,
      ];
      return { mode: 'svg', data: svgDocument(W, H, body) };
    },
  };
}

/** The registry entry. */
export const navigation2dEntry: EnvEntry = {
  id: 'Navigation2D-v0',
  description: 'MOCODA 2D navigation with a local causal structure (entangled top-right quadrant); speed and coupling as context.',
  options: [
    {
      name: 'task',
      type: 'string',
      default: 'diagonal',
      choices: [...NAVIGATION2D_TASKS],
      description: 'diagonal: reach (0.8, 0.9)^2 from the bottom-left corner (the target task); up / right: MOCODA\'s ' +
        'bottom-to-top and left-to-right tasks (start on either side of the centre); up_l / right_l: the one-sided starts of the L-shaped dataset',
    },
  ],
  build: buildNavigation2D,
};
