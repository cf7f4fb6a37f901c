import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { buildHookSweep2 } from '../../envs/physics/hooksweep/definition.js';
import { HookWorld } from '../../envs/physics/hooksweep/world.js';
import { HOOK_OBS_SIZE, HOOK_STATE_SIZE, O_BOX1_VEL, O_BOX2_VEL, S_BOX1, S_BOX2, S_GOAL1, S_GOAL2 } from '../../envs/physics/hooksweep/layout.js';
import { sampleHookScene } from '../../envs/physics/hooksweep/task.js';
import { oneBoxSweeper } from '../../envs/physics/hooksweep/scripted.js';
import { BODY_ANGVEL, BODY_QUAT, BODY_VEL } from '../../envs/physics/shared/body-state.js';

const def = buildHookSweep2({ goal_side: 'random' }, { workers: 0 });

/** Real states of noisy one-box expert episodes (the states MOCODA's HookSweep2 data is made of). */
function expertStates(seeds: number[], steps: number): { states: Float64Array[]; actions: Float64Array[] } {
  const world = new HookWorld();
  const states: Float64Array[] = [];
  const actions: Float64Array[] = [];
  for (const seed of seeds) {
    const rng = Rng.fromSeed(seed);
    let s = new Float64Array(HOOK_STATE_SIZE);
    sampleHookScene(rng, 'random', s, 0);
    const o = new Float64Array(HOOK_OBS_SIZE);
    def.observe(s, 1, o);
    const { policy } = oneBoxSweeper(o, 0, rng, 0.1);
    for (let t = 0; t < steps; t++) {
      def.observe(s, 1, o);
      const a = new Float64Array(4);
      policy.act(o, 0, a, 0);
      states.push(s);
      actions.push(a);
      const next = new Float64Array(HOOK_STATE_SIZE);
      world.step(s, 0, a, 0, next, 0);
      s = next;
    }
  }
  return { states, actions };
}

function obsOf(s: Float64Array): Float64Array {
  const o = new Float64Array(HOOK_OBS_SIZE);
  def.observe(s, 1, o);
  return o;
}

describe('HookSweep2 stateFromObservation', () => {
  const { states, actions } = expertStates([0, 1, 2, 3, 4, 5], 50);

  it('builds states whose observation is the observation it was given', () => {
    const n = states.length;
    const obs = new Float64Array(n * HOOK_OBS_SIZE);
    states.forEach((s, i) => obs.set(obsOf(s), i * HOOK_OBS_SIZE));
    const rebuilt = new Float64Array(n * HOOK_STATE_SIZE);
    def.stateFromObservation!(obs, n, rebuilt);
    const back = new Float64Array(n * HOOK_OBS_SIZE);
    def.observe(rebuilt, n, back);
    let worst = 0;
    for (let k = 0; k < obs.length; k++) worst = Math.max(worst, Math.abs(back[k] - obs[k]));
    // Velocities are divided by dt and multiplied back: exact up to one rounding.
    expect(worst).toBeLessThan(1e-15);
    for (let i = 0; i < n; i++) {
      const s = i * HOOK_STATE_SIZE;
      // What the observation does not carry is filled in as documented: upright, not spinning, no vertical velocity.
      for (const box of [S_BOX1, S_BOX2]) {
        expect(Array.from(rebuilt.subarray(s + box + BODY_QUAT, s + box + BODY_QUAT + 4))).toEqual([0, 0, 0, 1]);
        expect(Array.from(rebuilt.subarray(s + box + BODY_ANGVEL, s + box + BODY_ANGVEL + 3))).toEqual([0, 0, 0]);
        expect(rebuilt[s + box + BODY_VEL + 2]).toBe(0);
      }
      // Goals sit at the task's height 0.42 (scene.ts GOAL_Z, written by sampleHookScene).
      expect(rebuilt[s + S_GOAL1 + 2]).toBe(0.42);
      expect(rebuilt[s + S_GOAL2 + 2]).toBe(0.42);
    }
  });

  it('steps a rebuilt mid-episode state to nearly the same next observation as the real state', () => {
    const world = new HookWorld();
    let worstResting = 0;
    let worstPushed = 0;
    let pushed = 0;
    let sumSq = 0;
    for (let i = 0; i < states.length; i++) {
      const o = obsOf(states[i]);
      const rebuilt = new Float64Array(HOOK_STATE_SIZE);
      def.stateFromObservation!(o, 1, rebuilt);
      const a = actions[i];
      const realNext = new Float64Array(HOOK_STATE_SIZE);
      const rebuiltNext = new Float64Array(HOOK_STATE_SIZE);
      world.step(states[i], 0, a, 0, realNext, 0);
      world.step(rebuilt, 0, a, 0, rebuiltNext, 0);
      const on = obsOf(realNext);
      const orb = obsOf(rebuiltNext);
      let d = 0;
      for (let k = 0; k < HOOK_OBS_SIZE; k++) {
        d = Math.max(d, Math.abs(on[k] - orb[k]));
        sumSq += (on[k] - orb[k]) ** 2;
      }
      // A box counts as pushed when it moves before or after the step (the hook's first touch starts from rest).
      const speed = (x: Float64Array) => Math.hypot(x[O_BOX1_VEL], x[O_BOX1_VEL + 1], x[O_BOX2_VEL], x[O_BOX2_VEL + 1]);
      const moving = speed(o) > 1e-4 || speed(on) > 1e-4;
      if (moving) { pushed++; worstPushed = Math.max(worstPushed, d); } else worstResting = Math.max(worstResting, d);
    }
    // Measured on seeds 0-5 (300 states, 94 with a box in motion): boxes at rest differ by at most 1.1e-5 (a box that
    // was just released keeps a small unobserved tilt and spin while it settles); boxes being pushed by the hook by
    // up to 5.7e-3 per component (their tilt and spin under contact are not observed); the MSE over all components
    // is 1.2e-8. Bounds sit above what was measured.
    expect(pushed).toBeGreaterThan(20);
    expect(worstResting).toBeLessThan(1e-4);
    expect(worstPushed).toBeLessThan(1e-2);
    expect(sumSq / (states.length * HOOK_OBS_SIZE)).toBeLessThan(1e-7);
  });
});
