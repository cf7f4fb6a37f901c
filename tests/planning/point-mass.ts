/**
 * Test problems with optima known by hand: a 1-D point mass that moves by `gain` x u per step toward a target, with
 * reward -(x' - target)^2, in a discretised form (Discrete(3): u = a - 1) and a continuous one (u = a in [-1, 1]);
 * and a fake two-member ensemble of the discrete one whose members move with different gains.
 */
import { ContextSpace } from '../../src/core/context.js';
import type { Dynamics, EnvDefinition, TransitionBatch } from '../../src/core/definition.js';
import { Box, Discrete } from '../../src/core/spaces.js';
import { meanStepFromMembers } from '../../src/planning/ensemble.js';

export interface PointMassOptions {
  discrete: boolean;
  /** Distance moved per unit of u per step. */
  gain: number;
  target: number;
  /** Terminate when x' >= this (Infinity: never). */
  terminateAt?: number;
}

/** u of an action: Discrete actions are 0, 1, 2 for u = -1, 0, +1. */
export function controlOf(discrete: boolean, a: number): number {
  return discrete ? a - 1 : a;
}

/** The point mass as an environment definition; the context (unused by the dynamics) is a dummy parameter. */
export function pointMass(o: PointMassOptions): EnvDefinition {
  const terminateAt = o.terminateAt ?? Infinity;
  const step = (b: TransitionBatch) => {
    for (let i = 0; i < b.n; i++) b.next[i] = b.states[i] + o.gain * controlOf(o.discrete, b.actions[i]);
  };
  return {
    id: o.discrete ? 'PointMassDiscrete-test' : 'PointMass-test',
    description: 'a point mass moved toward a target (test problem)',
    observationSpace: new Box([-10], [10], [1], 'f64'),
    actionSpace: o.discrete ? new Discrete(3) : new Box(-1, 1, [1], 'f32'),
    context: new ContextSpace([{ name: 'unused', default: 1, low: 0, high: 2, description: 'not read by the dynamics' }]),
    stateSize: 1,
    maxEpisodeSteps: 100,
    rewardRange: [-Infinity, 0],
    options: {},
    initial(_rng, _c, _co, out, offset) {
      out[offset] = 0;
    },
    observe(states, n, out) {
      out.set(states.subarray(0, n));
    },
    stateFromObservation(obs, n, out) {
      out.set(obs.subarray(0, n));
    },
    terminated(nextObs, _c, n, out) {
      for (let i = 0; i < n; i++) out[i] = nextObs[i] >= terminateAt ? 1 : 0;
    },
    reward(_obs, _a, nextObs, _term, n, out) {
      for (let i = 0; i < n; i++) out[i] = -((nextObs[i] - o.target) ** 2);
    },
    trueDynamics: () => ({ kind: 'true', info: { kind: 'true' }, step }),
    render: () => ({ mode: 'svg', data: '<svg xmlns="http://www.w3.org/2000/svg"/>' }),
  };
}

/**
 * A fake 2-member ensemble of the point mass: member m moves by gains[m] x u. Its mean step goes through
 * meanStepFromMembers, so it also exercises that helper; `calls` counts the dynamics calls.
 */
export function fakeEnsemble(discrete: boolean, gains: readonly [number, number]): Dynamics & { calls: { step: number; members: number } } {
  const calls = { step: 0, members: 0 };
  const stepMembers = (b: TransitionBatch) => {
    calls.members += 1;
    const k = b.n / 2;
    for (let r = 0; r < b.n; r++) {
      const m = r < k ? 0 : 1;
      b.next[r] = b.states[r] + gains[m] * controlOf(discrete, b.actions[r]);
    }
  };
  return {
    kind: 'fake-ensemble',
    info: { kind: 'fake-ensemble' },
    members: 2,
    calls,
    stepMembers,
    step(b) {
      calls.step += 1;
      meanStepFromMembers(stepMembers, 2, b, 1);
    },
  };
}
