import { describe, expect, it } from 'vitest';
import { EnvSession } from '../../src/core/session.js';
import { snapshotSession, restoreSession } from '../../src/core/snapshot.js';
import { Rng } from '../../src/core/rng.js';
import { buildHalfCheetah } from '../../envs/physics/cheetah/definition.js';
import { CheetahWorld, DEFAULT_CHEETAH_SIM } from '../../envs/physics/cheetah/world.js';
import { CHEETAH_STATE_SIZE, NQ, generalizedFromState, stateFromGeneralized, X_BEFORE } from '../../envs/physics/cheetah/kinematics.js';
import { ARMATURE, LINKS, NUM_JOINTS, TORSO_HEIGHT, linkBodies } from '../../envs/physics/cheetah/model.js';
import { CHEETAH_OBS_SIZE, observeCheetah } from '../../envs/physics/cheetah/observation.js';
import { thighSineGait } from '../../envs/physics/cheetah/gaits.js';

const DEFAULT = { massScale: 1, dampingScale: 1, friction: 0.4, gravity: 9.81 };

function gen(qpos: number[], qvel: number[] = new Array(NQ).fill(0)): Float64Array {
  const s = new Float64Array(CHEETAH_STATE_SIZE);
  stateFromGeneralized(qpos, qvel, s, 0);
  return s;
}

function rollout(world: CheetahWorld, start: Float64Array, steps: number, action: (t: number, a: Float64Array) => void): Float64Array[] {
  let s = start.slice();
  const out: Float64Array[] = [];
  const a = new Float64Array(NUM_JOINTS);
  for (let t = 0; t < steps; t++) {
    action(t, a);
    const n = new Float64Array(CHEETAH_STATE_SIZE);
    world.step(s, 0, a, 0, n, 0);
    out.push(n);
    s = n;
  }
  return out;
}

describe('HalfCheetah model', () => {
  it('derives link masses from capsule volumes as MuJoCo does (REFERENCE.md masses, 14 kg total)', () => {
    const bodies = linkBodies();
    const expected = [6.25, 1.54, 1.59, 1.1, 1.44, 1.2, 0.89];
    bodies.forEach((b, i) => expect(b.mass).toBeCloseTo(expected[i], 1));
    expect(bodies.reduce((s, b) => s + b.mass, 0)).toBeCloseTo(14, 10);
    // The armature dominates the link inertias, as REFERENCE.md says (0.003 .. 0.016 kg m^2).
    for (const b of bodies.slice(1)) {
      expect(b.inertia).toBeGreaterThan(0.002);
      expect(b.inertia).toBeLessThan(0.02);
      expect(b.inertia).toBeLessThan(ARMATURE);
    }
  });

  it('maps generalized coordinates to body states and back', () => {
    const rng = Rng.fromSeed(1);
    for (let trial = 0; trial < 20; trial++) {
      const qpos = Array.from({ length: NQ }, (_, k) => (k < 2 ? rng.uniform(-1, 1) : rng.uniform(-0.4, 0.4)));
      const qvel = Array.from({ length: NQ }, () => rng.uniform(-3, 3));
      const s = gen(qpos, qvel);
      const qp = new Float64Array(NQ);
      const qv = new Float64Array(NQ);
      generalizedFromState(s, 0, qp, qv);
      for (let k = 0; k < NQ; k++) {
        expect(qp[k]).toBeCloseTo(qpos[k], 12);
        expect(qv[k]).toBeCloseTo(qvel[k], 12);
      }
      expect(CheetahWorld.jointSeparation(s, 0)).toBeLessThan(1e-12);
    }
  });

  it('puts the back thigh joint at (-0.5, 0.7) and the torso frame at height 0.7 in the rest pose', () => {
    const s = gen(new Array(NQ).fill(0));
    const b = linkBodies();
    // bthigh's COM in the world minus its COM offset in its own frame gives its frame origin.
    expect(s[20] - b[1].comX).toBeCloseTo(-0.5, 12);
    expect(s[22] - b[1].comZ).toBeCloseTo(TORSO_HEIGHT, 12);
  });
});

describe('HalfCheetah physics', () => {
  it('falls freely as the sub-stepped integrator predicts when dropped from high up', () => {
    for (const g of [4, 9.81, 16]) {
      const world = new CheetahWorld();
      world.setPhysics({ ...DEFAULT, gravity: g });
      const start = gen([0, 2, 0, 0, 0, 0, 0, 0, 0]);
      const traj = rollout(world, start, 4, (_t, a) => a.fill(0));
      const qp = new Float64Array(NQ);
      const qv = new Float64Array(NQ);
      const h = world.h;
      traj.forEach((s, k) => {
        generalizedFromState(s, 0, qp, qv);
        const N = 10 * (k + 1);
        // Semi-implicit Euler: v_N = -g h N, z_N = -g h^2 N (N + 1) / 2; the continuous formula is -g t^2 / 2.
        expect(qv[1]).toBeCloseTo(-g * h * N, 9);
        expect(qp[1] - 2).toBeCloseTo((-g * h * h * N * (N + 1)) / 2, 9);
        expect(Math.abs(qp[1] - 2 + (g * (N * h) ** 2) / 2)).toBeLessThan(g * h * N * h);
        for (let j = 0; j < NUM_JOINTS; j++) expect(Math.abs(qp[3 + j])).toBeLessThan(1e-9);
      });
    }
  });

  it('keeps joints together, angles near their limits and numbers finite under bang-bang actions at the grid corners', () => {
    for (const [m, d] of [[0.2, 0.2], [1.8, 1.8], [0.2, 1.8], [1.8, 0.2], [1, 1]]) {
      const world = new CheetahWorld();
      world.setPhysics({ ...DEFAULT, massScale: m, dampingScale: d });
      const rng = Rng.fromSeed(7);
      const traj = rollout(world, gen(new Array(NQ).fill(0)), 150, (_t, a) => {
        for (let j = 0; j < NUM_JOINTS; j++) a[j] = rng.random() < 0.5 ? -1 : 1;
      });
      const qp = new Float64Array(NQ);
      const qv = new Float64Array(NQ);
      for (const s of traj) {
        expect(s.every(Number.isFinite)).toBe(true);
        expect(CheetahWorld.jointSeparation(s, 0)).toBeLessThan(1e-9);
        generalizedFromState(s, 0, qp, qv);
        // Limits are soft (as in MuJoCo): violations stay below 0.15 rad even under full torque.
        for (let j = 0; j < NUM_JOINTS; j++) {
          expect(qp[3 + j]).toBeLessThan(LINKS[j + 1].hi + 0.15);
          expect(qp[3 + j]).toBeGreaterThan(LINKS[j + 1].lo - 0.15);
        }
        expect(qp[1]).toBeGreaterThan(-TORSO_HEIGHT); // the torso frame never goes through the floor
      }
      expect(world.gapBeforeProjection).toBeLessThan(0.02);
    }
  });

  it('leaves smaller joint gaps with more sub-steps (the substeps option)', () => {
    const worst = (substeps: number) => {
      const world = new CheetahWorld({ ...DEFAULT_CHEETAH_SIM, substeps });
      world.setPhysics({ ...DEFAULT, massScale: 0.2, dampingScale: 0.2 });
      const rng = Rng.fromSeed(5);
      let gap = 0;
      let s = gen(new Array(NQ).fill(0));
      const n = new Float64Array(CHEETAH_STATE_SIZE);
      const a = new Float64Array(NUM_JOINTS);
      for (let t = 0; t < 200; t++) {
        for (let j = 0; j < NUM_JOINTS; j++) a[j] = rng.random() < 0.5 ? -1 : 1;
        world.step(s, 0, a, 0, n, 0);
        s = n.slice();
        gap = Math.max(gap, world.gapBeforeProjection);
      }
      return gap;
    };
    expect(worst(3)).toBeLessThan(worst(2));
  });

  it('dissipates energy in the air: damped springs never add energy', () => {
    for (const [m, d] of [[0.2, 0.2], [1.8, 1.8]]) {
      const world = new CheetahWorld();
      world.setPhysics({ ...DEFAULT, massScale: m, dampingScale: d });
      const qpos = [0, 3, 0, 0.3, -0.2, 0.2, -0.3, 0.4, -0.2];
      const qvel = [0, 0, 0, 4, -3, 5, -4, 3, -5];
      const energy = (s: Float64Array) => {
        let e = 0;
        world.restore(s, 0);
        for (const b of world.bodies) {
          e += 0.5 * b.mass * (b.velocity.x ** 2 + b.velocity.z ** 2) + 0.5 * b.inertia.y * b.angularVelocity.y ** 2 + b.mass * 9.81 * b.position.z;
        }
        const qp = new Float64Array(NQ);
        const qv = new Float64Array(NQ);
        generalizedFromState(s, 0, qp, qv);
        for (let j = 0; j < NUM_JOINTS; j++) e += 0.5 * LINKS[j + 1].stiffness * qp[3 + j] ** 2;
        return e;
      };
      const start = gen(qpos, qvel);
      const e0 = energy(start);
      const traj = rollout(world, start, 8, (_t, a) => a.fill(0));
      let prev = e0;
      for (const s of traj) {
        const e = energy(s);
        expect(e).toBeLessThan(prev + 0.05);
        prev = e;
      }
      expect(prev).toBeLessThan(e0);
    }
  });

  it('runs forward with the open-loop thigh sine gait and stays near the start without actions', () => {
    const world = new CheetahWorld();
    world.setPhysics(DEFAULT);
    const start = gen(new Array(NQ).fill(0));
    const qp = new Float64Array(NQ);
    const qv = new Float64Array(NQ);
    const gait = rollout(world, start, 100, (t, a) => thighSineGait(t, a, 0));
    generalizedFromState(gait[gait.length - 1], 0, qp, qv);
    expect(qp[0]).toBeGreaterThan(1);
    const still = rollout(world, start, 100, (_t, a) => a.fill(0));
    generalizedFromState(still[still.length - 1], 0, qp, qv);
    expect(Math.abs(qp[0])).toBeLessThan(0.3);
  });
});

describe('HalfCheetah-v0 definition', () => {
  const def = buildHalfCheetah({ ctrl_cost: 0.1, reset_noise: 0.001 }, { workers: 0 });

  it('observes the root velocity as (x_after - x_before) / 0.05 and the rest from generalized coordinates', () => {
    const qpos = [0.3, -0.05, 0.1, 0.2, -0.1, 0.05, 0.3, -0.2, 0.1];
    const qvel = [1, 0.2, -0.3, 2, -1, 0.5, 1.5, -2, 0.7];
    const s = gen(qpos, qvel);
    s[X_BEFORE] = 0.25;
    const obs = new Float64Array(CHEETAH_OBS_SIZE);
    observeCheetah(s, 1, obs);
    expect(obs[0]).toBeCloseTo((0.3 - 0.25) / 0.05, 10);
    for (let k = 1; k < NQ; k++) expect(obs[k]).toBeCloseTo(qpos[k], 12);
    for (let k = 0; k < NQ; k++) expect(obs[NQ + k]).toBeCloseTo(qvel[k], 12);
    const back = new Float64Array(CHEETAH_STATE_SIZE);
    def.stateFromObservation!(obs, 1, back);
    const obs2 = new Float64Array(CHEETAH_OBS_SIZE);
    observeCheetah(back, 1, obs2);
    for (let k = 0; k < CHEETAH_OBS_SIZE; k++) expect(obs2[k]).toBeCloseTo(obs[k], 10);
  });

  it('rewards forward velocity minus the control cost', () => {
    const nextObs = new Float64Array(2 * CHEETAH_OBS_SIZE);
    nextObs[0] = 1.5;
    nextObs[CHEETAH_OBS_SIZE] = -0.5;
    const actions = Float64Array.from([1, -1, 0.5, 0, 0, 0, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]);
    const out = new Float64Array(2);
    def.reward(new Float64Array(2 * CHEETAH_OBS_SIZE), actions, nextObs, new Uint8Array(2), 2, out);
    expect(out[0]).toBeCloseTo(1.5 - 0.1 * 2.25, 12);
    expect(out[1]).toBeCloseTo(-0.5 - 0.1 * 0.24, 12);
    const cheap = buildHalfCheetah({ ctrl_cost: 0.05 }, { workers: 0 });
    cheap.reward(new Float64Array(2 * CHEETAH_OBS_SIZE), actions, nextObs, new Uint8Array(2), 2, out);
    expect(out[0]).toBeCloseTo(1.5 - 0.05 * 2.25, 12);
  });

  it('resets with small noise, never terminates, truncates at 1000 steps', () => {
    const session = new EnvSession({ definition: def, seed: 5, maxEpisodeSteps: 3 });
    const { obs } = session.reset();
    for (let k = 1; k < CHEETAH_OBS_SIZE; k++) expect(Math.abs(obs[k])).toBeLessThan(0.01);
    expect(obs.some((v, k) => k > 0 && v !== 0)).toBe(true);
    let r = session.step(new Float64Array(6));
    expect(r.terminated[0]).toBe(0);
    r = session.step(new Float64Array(6));
    r = session.step(new Float64Array(6));
    expect(r.truncated[0]).toBe(1);
    expect(def.maxEpisodeSteps).toBe(1000);
    session.close();
  });

  it('replays bit-exactly from a seed and from a snapshot, and batching does not change any instance', () => {
    const actions = (t: number, n: number) => Float64Array.from({ length: 6 * n }, (_, k) => Math.sin(0.7 * t + k));
    const run = (n: number, snapAt = -1) => {
      const s = new EnvSession({ definition: def, numEnvs: n, contexts: Array.from({ length: n }, (_, i) => ({ mass_scale: 0.4 + 0.5 * i })) });
      s.reset({ seed: 11 });
      const obs: Float64Array[] = [];
      let snap: Uint8Array | null = null;
      for (let t = 0; t < 12; t++) {
        if (t === snapAt) snap = snapshotSession(s);
        obs.push(s.step(actions(t, n)).obs);
      }
      return { s, obs, snap };
    };
    const a = run(3, 5);
    const b = run(3);
    a.obs.forEach((o, t) => expect(Array.from(o)).toEqual(Array.from(b.obs[t])));
    restoreSession(a.s, a.snap!);
    for (let t = 5; t < 12; t++) expect(Array.from(a.s.step(actions(t, 3)).obs)).toEqual(Array.from(a.obs[t]));
    // Env 1 of the batch (mass 0.9) equals a single session with the same context, seed and actions.
    const single = new EnvSession({ definition: def, contexts: { mass_scale: 0.9 } });
    single.reset({ seed: 12 });
    for (let t = 0; t < 12; t++) {
      const o = single.step(actions(t, 3).subarray(6, 12)).obs;
      expect(Array.from(o)).toEqual(Array.from(a.obs[t].subarray(CHEETAH_OBS_SIZE, 2 * CHEETAH_OBS_SIZE)));
    }
    for (const s of [a.s, b.s, single]) s.close();
  });

  it('applies contexts: masses read back from the bodies, and a heavier cheetah moves differently', () => {
    const s = new EnvSession({ definition: def, numEnvs: 2, contexts: [{ mass_scale: 0.5, damping_scale: 1.5 }, { mass_scale: 1.5, friction: 0.8, gravity: 12 }] });
    const back = s.getContexts();
    expect(back[0].mass_scale).toBeCloseTo(0.5, 12);
    expect(back[0].damping_scale).toBeCloseTo(1.5, 12);
    expect(back[1]).toMatchObject({ friction: 0.8, gravity: 12 });
    expect(back[1].mass_scale).toBeCloseTo(1.5, 12);
    // Range ends read back exactly, so a client can send a read-back context again.
    expect(s.setContexts({ mass_scale: 1.8, damping_scale: 0.2 })[0]).toMatchObject({ mass_scale: 1.8, damping_scale: 0.2 });
    s.close();
    const traj = (mass: number) => {
      const x = new EnvSession({ definition: def, contexts: { mass_scale: mass } });
      x.reset({ seed: 3 });
      let o: Float64Array = new Float64Array();
      for (let t = 0; t < 10; t++) o = x.step(Float64Array.from([1, -1, 1, -1, 1, -1])).obs;
      x.close();
      return o;
    };
    const light = traj(0.5);
    const heavy = traj(1.5);
    const diff = Math.max(...Array.from(light, (v, k) => Math.abs(v - heavy[k])));
    expect(diff).toBeGreaterThan(0.05);
  });

  it('renders a side view with the floor and one stroke per capsule', () => {
    const s = new EnvSession({ definition: def });
    s.reset({ seed: 1 });
    const d = s.render();
    expect(d.mode).toBe('svg');
    expect(d.data.startsWith('<svg')).toBe(true);
    expect((d.data.match(/stroke-linecap="round"/g) ?? []).length).toBe(8);
    s.close();
  });
});
