/**
 * MountainCar-v0, PerSim's heterogeneous variant (REFERENCE.md 1.1): gravity is the context, reward is 0 on the step
 * that reaches the goal, and episodes truncate after 500 steps.
 */
import { ContextSpace } from '../../src/core/context.js';
import type { Drawing, EnvDefinition, EnvEntry, TransitionBatch } from '../../src/core/definition.js';
import type { Rng } from '../../src/core/rng.js';
import { Box, Discrete } from '../../src/core/spaces.js';
import { observeIdentity, pureDynamics, stateFromObservationIdentity } from './identity.js';
import { svgDocument } from '../render/svg.js';

export const MIN_POSITION = -1.2;
export const MAX_POSITION = 0.6;
export const MAX_SPEED = 0.07;
export const GOAL_POSITION = 0.5;
export const FORCE = 0.001;

/** The context: gravity, with PerSim's range and default. */
export const mountainCarContext = new ContextSpace([
  { name: 'gravity', default: 0.0025, low: 0.0001, high: 0.0035, description: 'downhill pull per step; PerSim test agents use 0.0001, 0.0005, 0.001, 0.0025, 0.0035' },
]);

/**
 * The update both MountainCar variants share: velocity gains `push` minus gravity's pull, is clipped to the speed limit,
 * the position follows and is clipped to the track, and hitting the left wall stops the car.
 */
export function advanceCar(states: Float64Array, next: Float64Array, i: number, push: number, gravity: number): void {
  const x = states[2 * i];
  let v = states[2 * i + 1] + push - gravity * Math.cos(3 * x);
  v = Math.min(Math.max(v, -MAX_SPEED), MAX_SPEED);
  const x2 = Math.min(Math.max(x + v, MIN_POSITION), MAX_POSITION);
  if (x2 === MIN_POSITION && v < 0) v = 0;
  next[2 * i] = x2;
  next[2 * i + 1] = v;
}

/** The batched transition (exported so tests and planners can call the formula directly). */
export function mountainCarStep(b: TransitionBatch): void {
  const { n, states, actions, contexts, next } = b;
  for (let i = 0; i < n; i++) advanceCar(states, next, i, (actions[i] - 1) * FORCE, contexts[i]);
}

function hillHeight(x: number): number {
  return Math.sin(3 * x) * 0.45 + 0.55;
}

/**
 * The drawing shared by both MountainCar variants: the hill, a flag at the goal position and the car at x. `label`
 * carries the variant's context so a dashboard shows which system it is looking at.
 */
export function renderMountainCar(x: number, v: number, goal: number, label: string): Drawing {
  const W = 600;
  const H = 400;
  const scale = W / (MAX_POSITION - MIN_POSITION);
  const px = (p: number) => ((p - MIN_POSITION) * scale).toFixed(1);
  const py = (p: number) => (H - 20 - hillHeight(p) * scale * 0.6).toFixed(1);
  const pts: string[] = [];
  for (let k = 0; k <= 100; k++) {
    const p = MIN_POSITION + ((MAX_POSITION - MIN_POSITION) * k) / 100;
    pts.push(`${px(p)},${py(p)}`);
  }
  const body = [
    `<polyline points="${pts.join(' ')}" fill="none" stroke="#333" stroke-width="2"/>`,
    `<line x1="${px(goal)}" y1="${py(goal)}" x2="${px(goal)}" y2="${(Number(py(goal)) - 40).toFixed(1)}" stroke="#c00" stroke-width="2"/>`,
    `<circle cx="${px(x)}" cy="${(Number(py(x)) - 8).toFixed(1)}" r="8" fill="#1f77b4"/>`,
    `<text x="8" y="18" font-size="13" font-family="sans-serif">x=${x.toFixed(4)} v=${v.toFixed(5)} ${label}</text>`,
  ];
  return { mode: 'svg', data: svgDocument(W, H, body) };
}

/** Both MountainCar variants start at rest somewhere in the valley: x ~ U(-0.6, -0.4), v = 0. */
export function mountainCarInitial(rng: Rng, _context: Float64Array, _contextOffset: number, out: Float64Array, offset: number): void {
  out[offset] = rng.uniform(-0.6, -0.4);
  out[offset + 1] = 0;
}

/** terminated() of a MountainCar variant: at or past `goal` while not rolling back. */
export function reachedGoal(goal: number): EnvDefinition['terminated'] {
  return (nextObs, _contexts, n, out) => {
    for (let i = 0; i < n; i++) out[i] = nextObs[2 * i] >= goal && nextObs[2 * i + 1] >= 0 ? 1 : 0;
  };
}

/** Builds the definition (MountainCar has no options). */
export function buildMountainCar(): EnvDefinition {
  return {
    id: 'MountainCar-v0',
    description: 'Drive an underpowered car up a hill (PerSim variant: gravity context, reward 0 on reaching the goal).',
    observationSpace: new Box([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED], [2], 'f32'),
    actionSpace: new Discrete(3),
    context: mountainCarContext,
    stateSize: 2,
    maxEpisodeSteps: 500,
    rewardRange: [-1, 0],
    options: {},
    initial: mountainCarInitial,
    observe: observeIdentity,
    stateFromObservation: stateFromObservationIdentity,
    terminated: reachedGoal(GOAL_POSITION),
    reward(_obs, _actions, _nextObs, terminated, n, out) {
      for (let i = 0; i < n; i++) out[i] = terminated[i] ? 0 : -1;
    },
    trueDynamics: () => pureDynamics(mountainCarStep),
    render(states, contexts, index) {
      return renderMountainCar(states[2 * index], states[2 * index + 1], GOAL_POSITION, `gravity=${contexts[index]}`);
    },
  };
}

export const mountainCarEntry: EnvEntry = {
  id: 'MountainCar-v0',
  description: 'Discrete MountainCar, PerSim variant with a gravity context.',
  options: [],
  build: buildMountainCar,
};
