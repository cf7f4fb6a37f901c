/**
 * Random shooting and CEM on problems whose optima are known by hand (the point mass), on the true MountainCar, and on
 * the fake two-member ensemble, where the expected averaged costs are computed here from the members' formulas.
 */
import { describe, expect, it } from 'vitest';
import { makeDefinition } from '../../envs/registry.js';
import { EnvSession } from '../../src/core/session.js';
import { Cem } from '../../src/planning/cem.js';
import { MOUNTAIN_CAR_BONUS } from '../../src/planning/objective.js';
import { RandomShooting } from '../../src/planning/random-shooting.js';
import type { Planner } from '../../src/planning/planner.js';
import { fakeEnsemble, pointMass } from './point-mass.js';

const CTX = Float64Array.of(1);

/** Runs a planner in closed loop on the definition's true dynamics; returns the visited states and the return. */
function closedLoop(planner: Planner, step: (x: number, a: number) => number, reward: (x: number) => number, x0: number, steps: number) {
  const xs: number[] = [];
  let x = x0;
  let ret = 0;
  for (let t = 0; t < steps; t++) {
    const d = planner.plan(Float64Array.of(x), CTX);
    x = step(x, d.action[0]);
    ret += reward(x);
    xs.push(x);
  }
  return { xs, ret };
}

describe('random shooting (discretised point mass)', () => {
  // From 0 to target 0.5 at 0.1 per step: the optimum is five steps of u = +1, then u = 0 forever.
  const def = pointMass({ discrete: true, gain: 0.1, target: 0.5 });
  const reward = (x: number) => -((x - 0.5) ** 2);
  const step = (x: number, a: number) => x + 0.1 * (a - 1);
  const optimal = [0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.5, 0.5].reduce((s, x) => s + reward(x), 0);

  it('reaches the target along the optimal path and stays', () => {
    // Horizon 4 has 81 sequences, so 1000 candidates hold the optimal one at every decision (all but surely).
    const rs = new RandomShooting({ definition: def, dynamics: def.trueDynamics() }, { candidates: 1000, horizon: 4 }, 1);
    const { xs, ret } = closedLoop(rs, step, reward, 0, 8);
    xs.forEach((x, t) => expect(x).toBeCloseTo(Math.min(0.1 * (t + 1), 0.5), 12));
    expect(ret).toBeCloseTo(optimal, 12);
  });

  it('the reported return is the imagined return of the reported sequence', () => {
    const rs = new RandomShooting({ definition: def, dynamics: def.trueDynamics() }, { candidates: 50, horizon: 4 }, 3);
    const d = rs.plan(Float64Array.of(0.2), CTX);
    let x = 0.2;
    let ret = 0;
    for (const a of d.sequence) {
      x = step(x, a);
      ret += reward(x);
    }
    expect(d.predictedReturn).toBeCloseTo(ret, 14);
    expect(d.score).toBe(d.predictedReturn);
    expect(d.transitions).toBe(50 * 4);
    expect(Array.from(d.action)).toEqual([d.sequence[0]]);
  });

  it('adds the position bonus to the score only: peak = max over the rollout per step, running = max so far', () => {
    // Terminating at x >= 0.2 limits the bonus to the steps until done.
    const term = pointMass({ discrete: true, gain: 0.1, target: 0.5, terminateAt: 0.2 });
    for (const mode of ['peak', 'running'] as const) {
      for (const seed of [1, 2, 3, 4]) {
        const rs = new RandomShooting({ definition: term, dynamics: term.trueDynamics() }, { candidates: 1, horizon: 4, positionBonus: { weight: 0.5, index: 0, mode } }, seed);
        const d = rs.plan(Float64Array.of(0.05), CTX);
        let x = 0.05;
        let peak = 0.05;
        let ret = 0;
        let running = 0;
        let alive = 0;
        for (const a of d.sequence) {
          x = step(x, a);
          peak = Math.max(peak, x);
          ret += reward(x);
          running += 0.5 * peak;
          alive += 1;
          if (x >= 0.2) break;
        }
        expect(d.predictedReturn).toBeCloseTo(ret, 14);
        expect(d.score).toBeCloseTo(ret + (mode === 'peak' ? 0.5 * peak * alive : running), 14);
      }
    }
  });

  it('is seeded: the same seed repeats every decision, another seed samples differently', () => {
    const run = (seed: number) => {
      const rs = new RandomShooting({ definition: def, dynamics: def.trueDynamics() }, { candidates: 20, horizon: 6 }, seed);
      return [0, 0.1, 0.3].map((x) => Array.from(rs.plan(Float64Array.of(x), CTX).sequence));
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it('candidate 0 is the previous best shifted by one step', () => {
    // With one candidate there is nothing but the warm start to choose (plus one fresh last step).
    const rs = new RandomShooting({ definition: def, dynamics: def.trueDynamics() }, { candidates: 1, horizon: 5 }, 9);
    const first = rs.plan(Float64Array.of(0), CTX).sequence;
    const second = rs.plan(Float64Array.of(0.1), CTX).sequence;
    expect(Array.from(second.subarray(0, 4))).toEqual(Array.from(first.subarray(1)));
    rs.resetWarmStart();
    const cold = new RandomShooting({ definition: def, dynamics: def.trueDynamics() }, { candidates: 1, horizon: 5, warmStart: false }, 9);
    cold.plan(Float64Array.of(0), CTX);
    // Without a warm start the second decision is a fresh draw, which differs from the shifted one here.
    expect(Array.from(cold.plan(Float64Array.of(0.1), CTX).sequence.subarray(0, 4))).not.toEqual(Array.from(first.subarray(1)));
  });
});

describe('random shooting with the fake two-member ensemble', () => {
  // Gains 0.1 and 0.3, target 0.2, terminating at x >= 0.25 (after which a member's rewards stop counting).
  const def = pointMass({ discrete: true, gain: 0.1, target: 0.2, terminateAt: 0.25 });
  const H = 3;
  /** A member's return of a sequence of u's, by hand: rewards until (and including) the terminating step. */
  const memberReturn = (gain: number, us: number[]) => {
    let x = 0;
    let ret = 0;
    for (const u of us) {
      x += gain * u;
      ret += -((x - 0.2) ** 2);
      if (x >= 0.25) break;
    }
    return ret;
  };
  const all: number[][] = [];
  for (let k = 0; k < 27; k++) all.push([Math.floor(k / 9) - 1, (Math.floor(k / 3) % 3) - 1, (k % 3) - 1]);
  const averaged = (us: number[]) => (memberReturn(0.1, us) + memberReturn(0.3, us)) / 2;

  it('scores a sequence by the members\' own rollouts, averaged, and picks the best of all 27', () => {
    const ens = fakeEnsemble(true, [0.1, 0.3]);
    // 400 candidates cover all 27 sequences (the chance one is missing is 27 x (26/27)^399, about 1e-5).
    const rs = new RandomShooting({ definition: def, dynamics: ens }, { candidates: 400, horizon: H }, 11);
    const d = rs.plan(Float64Array.of(0), CTX);
    const us = Array.from(d.sequence, (a) => a - 1);
    expect(d.predictedReturn).toBeCloseTo(averaged(us), 14);
    const best = Math.max(...all.map(averaged));
    expect(d.predictedReturn).toBeCloseTo(best, 14);
    expect(d.transitions).toBe(400 * H * 2);
    // The averaged optimum, u = (+1, +1, 0), differs from what member 1 alone (+1, -1, -1) or the mean model
    // (+1, 0, 0) would pick (enumerated by hand over the 27 sequences).
    const bestOf = (f: (us: number[]) => number) => all.reduce((b, s) => (f(s) > f(b) ? s : b));
    expect(us).toEqual([1, 1, 0]);
    expect(bestOf((s) => memberReturn(0.3, s))).toEqual([1, -1, -1]);
    expect(bestOf((s) => memberReturn(0.2, s))).toEqual([1, 0, 0]);
    expect(ens.calls.step).toBe(0);
    expect(ens.calls.members).toBe(H);
  });

  it('with perMember off it propagates the mean (gain 0.2)', () => {
    const ens = fakeEnsemble(true, [0.1, 0.3]);
    const rs = new RandomShooting({ definition: def, dynamics: ens }, { candidates: 400, horizon: H, perMember: false }, 11);
    const d = rs.plan(Float64Array.of(0), CTX);
    const us = Array.from(d.sequence, (a) => a - 1);
    expect(d.predictedReturn).toBeCloseTo(memberReturn(0.2, us), 14);
    expect(d.predictedReturn).toBeCloseTo(Math.max(...all.map((s) => memberReturn(0.2, s))), 14);
    expect(us).toEqual([1, 0, 0]);
    expect(d.transitions).toBe(400 * H);
  });
});

describe('random shooting on the true MountainCar-v0', () => {
  const mc = makeDefinition('MountainCar-v0');
  // Without PerSim's position bonus, 50-step random sequences from the valley all score -50 and nothing steers the car
  // uphill: the bonus is part of PerSim's planner for MountainCar, so it is what this test runs.
  for (const bonus of [MOUNTAIN_CAR_BONUS]) {
    it('reaches the goal within the 500-step limit at gravity 0.0025 (PerSim settings with the position bonus)', () => {
      const s = new EnvSession({ definition: mc, contexts: { gravity: 0.0025 } });
      s.reset({ seed: 4 });
      const rs = new RandomShooting({ definition: mc, dynamics: s.dynamics }, { positionBonus: bonus }, 21);
      let terminated = false;
      let truncated = false;
      while (!terminated && !truncated) {
        const st = s.step(rs.plan(s.currentStates(), Float64Array.of(0.0025)).action);
        terminated = st.terminated[0] === 1;
        truncated = st.truncated[0] === 1;
      }
      expect(terminated).toBe(true);
      const [x, v] = s.currentObs();
      expect(x).toBeGreaterThanOrEqual(0.5);
      expect(v).toBeGreaterThanOrEqual(0);
    });
  }

  it('decides exactly as without prefix sharing, decision after decision, while stepping fewer rows', () => {
    const dyn = mc.trueDynamics();
    const shared = new RandomShooting({ definition: mc, dynamics: dyn }, { positionBonus: MOUNTAIN_CAR_BONUS }, 8);
    const plain = new RandomShooting({ definition: mc, dynamics: dyn }, { positionBonus: MOUNTAIN_CAR_BONUS, sharePrefixes: false }, 8);
    const s = new EnvSession({ definition: mc, contexts: { gravity: 0.0025 } });
    s.reset({ seed: 2 });
    for (let t = 0; t < 15; t++) {
      const a = shared.plan(s.currentStates(), Float64Array.of(0.0025));
      const b = plain.plan(s.currentStates(), Float64Array.of(0.0025));
      expect(Array.from(a.sequence)).toEqual(Array.from(b.sequence));
      expect(a.score).toBe(b.score);
      expect(a.predictedReturn).toBe(b.predictedReturn);
      expect(plain.lastSteppedRows).toBe(1000 * 50);
      // 3 actions: at most 1 + 3 + 9 + ... distinct rows over the first steps instead of 1000 each.
      expect(shared.lastSteppedRows).toBeLessThan(1000 * 50 - 5000);
      s.step(a.action);
    }
  });
});

describe('CEM (continuous point mass)', () => {
  // Gain 0.5 from 0 to 0.35: the optimum is the interior action 0.7, then 0 forever, with return 0.
  const def = pointMass({ discrete: false, gain: 0.5, target: 0.35 });
  const reward = (x: number) => -((x - 0.35) ** 2);
  const step = (x: number, a: number) => x + 0.5 * a;

  it('finds the interior optimum (action 0.7, then hold) and stays at the target', () => {
    const cem = new Cem({ definition: def, dynamics: def.trueDynamics() }, { horizon: 2 }, 2);
    const first = cem.plan(Float64Array.of(0), CTX).action[0];
    expect(Math.abs(first - 0.7)).toBeLessThan(0.05);
    cem.resetWarmStart();
    const { xs, ret } = closedLoop(cem, step, reward, 0, 10);
    expect(ret).toBeLessThanOrEqual(0);
    expect(ret).toBeGreaterThan(-0.001);
    for (const x of xs.slice(1)) expect(Math.abs(x - 0.35)).toBeLessThan(0.01);
  });

  it('keeps every sampled action inside the bounds and executes the first elite-mean step', () => {
    let outside = 0;
    const base = def.trueDynamics();
    const spy = { ...base, step: (b: Parameters<typeof base.step>[0]) => { for (let i = 0; i < b.n; i++) if (b.actions[i] < -1 || b.actions[i] > 1) outside++; base.step(b); } };
    const cem = new Cem({ definition: def, dynamics: spy }, { horizon: 5, candidates: 40, elites: 8 }, 4);
    const d = cem.plan(Float64Array.of(0), CTX);
    expect(outside).toBe(0);
    expect(d.action[0]).toBe(d.sequence[0]);
    expect(d.action[0]).toBeGreaterThan(0.5);
    expect(d.transitions).toBe(40 * 5 * 6);
  });

  it('is seeded and deterministic', () => {
    const run = (seed: number) => {
      const cem = new Cem({ definition: def, dynamics: def.trueDynamics() }, { horizon: 6, candidates: 30, elites: 5 }, seed);
      return [0, 0.05].map((x) => Array.from(cem.plan(Float64Array.of(x), CTX).sequence));
    };
    expect(run(8)).toEqual(run(8));
    expect(run(8)).not.toEqual(run(9));
  });

  it('propagates the ensemble mean: on the fake ensemble it equals CEM on the mean model, bit for bit', () => {
    const ens = fakeEnsemble(false, [0.1, 0.3]);
    // The mean model written out: the average of the two members' predictions, in member order.
    const meanModel = { kind: 'mean', info: {}, step: (b: Parameters<typeof ens.step>[0]) => {
      for (let i = 0; i < b.n; i++) b.next[i] = ((b.states[i] + 0.1 * b.actions[i]) + (b.states[i] + 0.3 * b.actions[i])) / 2;
    } };
    const a = new Cem({ definition: def, dynamics: ens }, { horizon: 6, candidates: 30, elites: 5 }, 12);
    const b = new Cem({ definition: def, dynamics: meanModel }, { horizon: 6, candidates: 30, elites: 5 }, 12);
    for (const x of [0, 0.2]) {
      const da = a.plan(Float64Array.of(x), CTX);
      const db = b.plan(Float64Array.of(x), CTX);
      expect(Array.from(da.sequence)).toEqual(Array.from(db.sequence));
      expect(da.predictedReturn).toBe(db.predictedReturn);
    }
    expect(ens.calls.step).toBe(2 * 6 * 6);
  });

  it('refuses integer action spaces with unsupported', () => {
    const discrete = pointMass({ discrete: true, gain: 0.1, target: 0.35 });
    expect(() => new Cem({ definition: discrete, dynamics: discrete.trueDynamics() })).toThrow(expect.objectContaining({ code: 'unsupported' }));
  });
});
