/**
 * The batched rollout primitive against values derived independently: MountainCar's transition written out from
 * REFERENCE.md 1.1, the session stepping the same actions, and hand-computed trajectories of the fake ensemble.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDefinition } from '../../envs/registry.js';
import { TwinGymError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { collectDataset } from '../../src/data/collect.js';
import { ensureBackend } from '../../src/models/nn/index.js';
import { defaultHyper, PersimDynamics, persimModelFromTraining, trainPersim } from '../../src/models/persim/index.js';
import { EnvSession } from '../../src/core/session.js';
import { rollout, RolloutEngine } from '../../src/planning/rollout.js';
import { fakeEnsemble, pointMass } from './point-mass.js';

/** REFERENCE.md 1.1, independently of envs/. */
function mcStep(x: number, v: number, a: number, g: number): [number, number] {
  let v2 = Math.min(Math.max(v + (a - 1) * 0.001 - g * Math.cos(3 * x), -0.07), 0.07);
  const x2 = Math.min(Math.max(x + v2, -1.2), 0.6);
  if (x2 === -1.2 && v2 < 0) v2 = 0;
  return [x2, v2];
}

const mc = makeDefinition('MountainCar-v0');

describe('rollout on the true MountainCar', () => {
  it('matches the formula step by step for every sequence, with per-sequence starts and contexts', () => {
    const B = 3;
    const H = 7;
    const starts = [[-0.5, 0], [-0.3, 0.01], [0.1, -0.02]];
    const gravities = [0.0025, 0.0001, 0.0035];
    const actions = Float64Array.from({ length: B * H }, (_, i) => (i * 7 + 3) % 3);
    const r = rollout({
      definition: mc, dynamics: mc.trueDynamics(), batch: B, horizon: H,
      start: Float64Array.from(starts.flat()), actions, contexts: Float64Array.from(gravities), keepStates: true,
    });
    expect(r.members).toBe(1);
    for (let b = 0; b < B; b++) {
      let [x, v] = starts[b];
      for (let t = 0; t < H; t++) {
        [x, v] = mcStep(x, v, actions[b * H + t], gravities[b]);
        expect(r.observations![(b * H + t) * 2]).toBe(x);
        expect(r.observations![(b * H + t) * 2 + 1]).toBe(v);
        expect(r.states![(b * H + t) * 2]).toBe(x);
        expect(r.rewards[b * H + t]).toBe(-1);
        expect(r.terminated[b * H + t]).toBe(0);
      }
    }
  });

  it('equals stepping a session with the same actions from a shared start', () => {
    const H = 20;
    const actions = Float64Array.from({ length: 2 * H }, (_, i) => (i < H ? 2 : i % 3));
    const start = Float64Array.of(-0.52, 0.003);
    const r = rollout({ definition: mc, dynamics: mc.trueDynamics(), batch: 2, horizon: H, start, actions, contexts: Float64Array.of(0.001) });
    for (let b = 0; b < 2; b++) {
      const s = new EnvSession({ definition: mc, contexts: { gravity: 0.001 } });
      s.reset({ state: start });
      for (let t = 0; t < H; t++) {
        const st = s.step(actions.subarray(b * H + t, b * H + t + 1));
        expect(Array.from(r.observations!.subarray((b * H + t) * 2, (b * H + t) * 2 + 2))).toEqual(Array.from(st.obs));
        expect(r.rewards[b * H + t]).toBe(st.reward[0]);
      }
    }
  });

  it('counts the terminating step, then freezes the state with reward 0 and terminated 1', () => {
    // From x = 0.49, v = 0.05 pushing right, the car crosses 0.5 on the first step (reward 0, terminated).
    const H = 4;
    const r = rollout({
      definition: mc, dynamics: mc.trueDynamics(), batch: 1, horizon: H, start: Float64Array.of(0.45, 0.05),
      actions: Float64Array.of(2, 0, 0, 0), contexts: Float64Array.of(0.0025),
    });
    const [x1, v1] = mcStep(0.45, 0.05, 2, 0.0025);
    expect(x1).toBeGreaterThanOrEqual(0.5);
    expect(Array.from(r.rewards)).toEqual([0, 0, 0, 0]);
    expect(Array.from(r.terminated)).toEqual([1, 1, 1, 1]);
    for (let t = 0; t < H; t++) expect([r.observations![2 * t], r.observations![2 * t + 1]]).toEqual([x1, v1]);
  });

  it('refuses malformed specs with a code and the offending field', () => {
    const base = { definition: mc, dynamics: mc.trueDynamics(), batch: 2, horizon: 3, start: Float64Array.of(-0.5, 0), contexts: Float64Array.of(0.0025) };
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as TwinGymError;
      }
      throw new Error('no error');
    };
    const short = err(() => rollout({ ...base, actions: new Float64Array(5) }));
    expect(short.code).toBe('bad_shape');
    expect(short.details).toMatchObject({ path: 'actions', expected: [2, 3] });
    const oob = err(() => rollout({ ...base, actions: Float64Array.of(0, 1, 2, 2, 3, 1) }));
    expect(oob.code).toBe('out_of_bounds');
    expect(oob.details).toMatchObject({ sequence: 1, step: 1, value: 3 });
    expect(err(() => rollout({ ...base, actions: new Float64Array(6), start: new Float64Array(3) })).code).toBe('bad_shape');
    expect(err(() => rollout({ ...base, actions: new Float64Array(6), contexts: new Float64Array(3) })).details.path).toBe('contexts');
  });
});

describe('rollout on the physics HalfCheetah-v0', () => {
  it('equals stepping a vector session with the same actions (40 sequences: the batch spreads over worker threads)', () => {
    const hc = makeDefinition('HalfCheetah-v0');
    const B = 40;
    const H = 3;
    const session = new EnvSession({ definition: hc, numEnvs: B, seed: 5, autoreset: 'disabled' });
    session.reset();
    const start = session.currentStates();
    const A = hc.actionSpace.size;
    const actions = Float64Array.from({ length: B * H * A }, (_, i) => Math.sin(i * 0.7) * 0.9);
    const dynamics = hc.trueDynamics();
    try {
      const r = rollout({ definition: hc, dynamics, batch: B, horizon: H, start, actions, contexts: Float64Array.from(hc.context.defaults) });
      const O = hc.observationSpace.size;
      for (let t = 0; t < H; t++) {
        const stepActions = new Float64Array(B * A);
        for (let b = 0; b < B; b++) stepActions.set(actions.subarray((b * H + t) * A, (b * H + t + 1) * A), b * A);
        const st = session.step(stepActions);
        for (let b = 0; b < B; b++) {
          expect(Array.from(r.observations!.subarray((b * H + t) * O, (b * H + t + 1) * O))).toEqual(Array.from(st.obs.subarray(b * O, (b + 1) * O)));
          expect(r.rewards[b * H + t]).toBe(st.reward[b]);
        }
      }
    } finally {
      dynamics.dispose?.();
      session.close();
    }
  });
});

describe('rollout on a fake two-member ensemble', () => {
  const def = pointMass({ discrete: true, gain: 0.1, target: 0.2, terminateAt: 0.25 });
  // Sequence 0: u = +1, +1, +1; sequence 1: u = -1, 0, +1.
  const actions = Float64Array.of(2, 2, 2, 0, 1, 2);

  it('per member: each member follows its own trajectory, with its own termination, in one call per step', () => {
    const ens = fakeEnsemble(true, [0.1, 0.3]);
    const r = rollout({ definition: def, dynamics: ens, batch: 2, horizon: 3, start: Float64Array.of(0), actions, contexts: Float64Array.of(1), perMember: true });
    expect(r.members).toBe(2);
    expect(ens.calls).toEqual({ step: 0, members: 3 });
    // Member 0 (gain 0.1): seq 0 -> 0.1, 0.2, 0.3 (terminates at 0.3); seq 1 -> -0.1, -0.1, 0.
    // Member 1 (gain 0.3): seq 0 -> 0.3 (terminates), frozen; seq 1 -> -0.3, -0.3, 0.
    const obs = Array.from(r.observations!);
    const expected = [0.1, 0.2, 0.1 + 0.1 + 0.1, -0.1, -0.1, -0.1 + 0.1, 0.3, 0.3, 0.3, -0.3, -0.3, -0.3 + 0.3];
    obs.forEach((x, k) => expect(x).toBeCloseTo(expected[k], 15));
    expect(Array.from(r.terminated)).toEqual([0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0]);
    const sq = (x: number) => -((x - 0.2) ** 2);
    const rewards = [sq(0.1), sq(0.2), sq(0.3), sq(-0.1), sq(-0.1), sq(0), sq(0.3), 0, 0, sq(-0.3), sq(-0.3), sq(0)];
    Array.from(r.rewards).forEach((x, k) => expect(x).toBeCloseTo(rewards[k], 15));
  });

  it('ensemble mean: the members are fed the mean state, one step call per imagined step', () => {
    const ens = fakeEnsemble(true, [0.1, 0.3]);
    const r = rollout({ definition: def, dynamics: ens, batch: 2, horizon: 3, start: Float64Array.of(0), actions, contexts: Float64Array.of(1) });
    expect(r.members).toBe(1);
    expect(ens.calls.step).toBe(3);
    // The mean gain is 0.2: seq 0 -> 0.2, 0.4 (terminates), frozen; seq 1 -> -0.2, -0.2, 0.
    const expected = [0.2, 0.4, 0.4, -0.2, -0.2, 0];
    Array.from(r.observations!).forEach((x, k) => expect(x).toBeCloseTo(expected[k], 15));
    expect(Array.from(r.terminated)).toEqual([0, 1, 1, 0, 0, 0]);
  });

  it('a reused engine gives the same result as a fresh one', () => {
    const engine = new RolloutEngine();
    const spec = { definition: def, dynamics: fakeEnsemble(true, [0.1, 0.3]), batch: 2, horizon: 3, start: Float64Array.of(0), actions, contexts: Float64Array.of(1), perMember: true };
    const big = rollout({ ...spec, batch: 1, actions: actions.subarray(0, 3), start: Float64Array.of(0.05) }, engine);
    expect(big.rewards.length).toBe(6);
    const again = rollout(spec, engine);
    const fresh = rollout(spec);
    expect(Array.from(again.rewards)).toEqual(Array.from(fresh.rewards));
    expect(Array.from(again.observations!)).toEqual(Array.from(fresh.observations!));
  });
});

describe('prefix sharing', () => {
  beforeAll(async () => {
    await ensureBackend();
  });

  /** Distinct action prefixes of length 1..H among B sequences of horizon H: the rows a shared rollout must step. */
  function distinctPrefixes(actions: Float64Array, B: number, H: number): number[] {
    return Array.from({ length: H }, (_, t) => new Set(Array.from({ length: B }, (_, b) => Array.from(actions.subarray(b * H, b * H + t + 1)).join(','))).size);
  }

  it('steps each distinct prefix once on the true MountainCar and gives exactly the unshared result, terminations included', () => {
    const B = 400;
    const H = 30;
    const rng = Rng.fromSeed(11);
    const actions = Float64Array.from({ length: B * H }, () => rng.integer(0, 2));
    // Close to the flag and moving right: many sequences terminate, and their frozen rows must stay right.
    const spec = { definition: mc, dynamics: mc.trueDynamics(), batch: B, horizon: H, start: Float64Array.of(0.42, 0.03), actions, contexts: Float64Array.of(0.0025), keepStates: true };
    const shared = new RolloutEngine();
    const a = rollout(spec, shared);
    const plain = new RolloutEngine();
    const b = rollout({ ...spec, sharePrefixes: false }, plain);
    expect(a.terminated.some((x) => x === 1)).toBe(true);
    expect(a.terminated.some((x) => x === 0)).toBe(true);
    expect(Array.from(a.observations!)).toEqual(Array.from(b.observations!));
    expect(Array.from(a.states!)).toEqual(Array.from(b.states!));
    expect(Array.from(a.rewards)).toEqual(Array.from(b.rewards));
    expect(Array.from(a.terminated)).toEqual(Array.from(b.terminated));
    expect(plain.lastSteppedRows).toBe(B * H);
    // Sharing stops once distinct prefixes exceed 95% of the sequences; until then one row per prefix.
    const counts = distinctPrefixes(actions, B, H);
    const stop = counts.findIndex((c) => c > 0.95 * B);
    const expected = counts.slice(0, stop).reduce((s, c) => s + c, 0) + (H - stop) * B;
    expect(shared.lastSteppedRows).toBe(expected);
    expect(shared.lastSteppedRows).toBeLessThan(0.9 * B * H);
  });

  it('is not used for per-sequence starts, and per member on a PerSim ensemble gives exactly the unshared result', () => {
    const B = 64;
    const H = 12;
    const rng = Rng.fromSeed(5);
    const actions = Float64Array.from({ length: B * H }, () => rng.integer(0, 2));
    const starts = Float64Array.from({ length: 2 * B }, (_, i) => (i % 2 ? 0 : -0.5 + 0.001 * i));
    const engine = new RolloutEngine();
    rollout({ definition: mc, dynamics: mc.trueDynamics(), batch: B, horizon: H, start: starts, actions, contexts: Float64Array.of(0.0025) }, engine);
    expect(engine.lastSteppedRows).toBe(B * H);

    const data = collectDataset({ envId: 'MountainCar-v0', numAgents: 4, policy: 'random', seed: 3, includeTestAgents: false, maxSteps: 60 });
    const r = trainPersim(data, defaultHyper('MountainCar-v0', { epochs: 2, members: 3, stateHidden: [16], seed: 2, standardize: true }));
    const model = persimModelFromTraining(r.network, data, r.curve, r.seconds, 'wasm');
    const dynamics = new PersimDynamics(mc, model, { agent: 1 });
    expect(dynamics.rowDeterministic).toBe(true);
    expect(new PersimDynamics(mc, model, { agent: 1 }, { mode: 'sample' }).rowDeterministic).toBe(false);
    const spec = { definition: mc, dynamics, batch: B, horizon: H, start: Float64Array.of(-0.5, 0.001), actions, contexts: Float64Array.of(0.0025), perMember: true };
    const shared = new RolloutEngine();
    const a = rollout(spec, shared);
    const b = rollout({ ...spec, sharePrefixes: false });
    expect(a.members).toBe(3);
    expect(Array.from(a.observations!)).toEqual(Array.from(b.observations!));
    const counts = distinctPrefixes(actions, B, H);
    const stop = counts.findIndex((c) => c > 0.95 * B);
    expect(shared.lastSteppedRows).toBe(3 * (counts.slice(0, stop).reduce((s, c) => s + c, 0) + (H - stop) * B));
    model.dispose();
  });
});
