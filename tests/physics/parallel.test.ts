import { afterAll, describe, expect, it } from 'vitest';
import { EnvSession } from '../../src/core/session.js';
import { buildHalfCheetah } from '../../envs/physics/cheetah/definition.js';
import { buildHookSweep2 } from '../../envs/physics/hooksweep/definition.js';
import { CheetahKernel } from '../../envs/physics/cheetah/kernel.js';
import { HookKernel } from '../../envs/physics/hooksweep/kernel.js';
import { PhysicsDynamics } from '../../envs/physics/shared/parallel.js';
import type { EnvDefinition } from '../../src/core/definition.js';
import type { PhysicsKernel } from '../../envs/physics/shared/kernel.js';

const opened: PhysicsDynamics[] = [];
afterAll(() => opened.forEach((d) => d.dispose()));

/** Steps a session of n envs with varied contexts and returns every observation. */
function trajectory(def: EnvDefinition, dynamics: PhysicsDynamics, n: number, steps: number, contexts: Array<Record<string, number>>): Float64Array[] {
  const s = new EnvSession({ definition: def, numEnvs: n, dynamics, contexts });
  s.reset({ seed: 42 });
  const A = def.actionSpace.size;
  const out: Float64Array[] = [];
  for (let t = 0; t < steps; t++) out.push(s.step(Float64Array.from({ length: n * A }, (_, k) => Math.sin(1.3 * t + 0.7 * k))).obs);
  return out;
}

describe('physics worker threads', () => {
  const cases: Array<[string, EnvDefinition, () => PhysicsKernel, (i: number) => Record<string, number>]> = [
    ['HalfCheetah-v0', buildHalfCheetah({}), () => new CheetahKernel(), (i) => ({ mass_scale: 0.2 + 0.2 * (i % 8), damping_scale: 1.8 - 0.2 * (i % 8) })],
    ['HookSweep2-v0', buildHookSweep2({}), () => new HookKernel(), (i) => ({ box1_mass_scale: 0.2 + 0.2 * (i % 8) })],
  ];
  for (const [id, def, kernel, ctx] of cases) {
    it(`${id}: a batch split over a worker thread is bit-identical to the single-threaded batch`, () => {
      const n = 6;
      const contexts = Array.from({ length: n }, (_, i) => ctx(i));
      const serial = new PhysicsDynamics(id, def.options, kernel, { workers: 0 });
      const threaded = new PhysicsDynamics(id, def.options, kernel, { workers: 1, minBatch: 2, blockingStart: true });
      opened.push(serial, threaded);
      const a = trajectory(def, serial, n, 8, contexts);
      const b = trajectory(def, threaded, n, 8, contexts);
      expect(threaded.activeWorkers).toBe(1);
      expect(serial.activeWorkers).toBe(0);
      a.forEach((o, t) => expect(Array.from(b[t])).toEqual(Array.from(o)));
    });
  }

  it('grows a worker\'s shared buffers when a larger batch arrives, without changing results', () => {
    const def = buildHookSweep2({});
    const serial = new PhysicsDynamics('HookSweep2-v0', def.options, () => new HookKernel(), { workers: 0 });
    const threaded = new PhysicsDynamics('HookSweep2-v0', def.options, () => new HookKernel(), { workers: 1, minBatch: 2, blockingStart: true });
    opened.push(serial, threaded);
    const contexts = Array.from({ length: 140 }, (_, i) => ({ friction: 0.1 + (0.9 * i) / 139 }));
    // 4 envs start the worker with its default capacity; 140 envs give it 70 rows, more than the 64 it started with.
    trajectory(def, threaded, 4, 1, contexts.slice(0, 4));
    const a = trajectory(def, serial, 140, 2, contexts);
    const b = trajectory(def, threaded, 140, 2, contexts);
    a.forEach((o, t) => expect(Array.from(b[t])).toEqual(Array.from(o)));
  });

  it('workers rebuild the kernel from the env options (substeps 3 through definition.trueDynamics)', () => {
    const contexts = Array.from({ length: 4 }, (_, i) => ({ mass_scale: 0.3 + 0.4 * i }));
    const serial = buildHalfCheetah({ substeps: 3 }, { workers: 0 }).trueDynamics() as PhysicsDynamics;
    const threaded = buildHalfCheetah({ substeps: 3 }, { workers: 1, minBatch: 2, blockingStart: true }).trueDynamics() as PhysicsDynamics;
    const twoSteps = buildHalfCheetah({}, { workers: 0 }).trueDynamics() as PhysicsDynamics;
    opened.push(serial, threaded, twoSteps);
    const def = buildHalfCheetah({ substeps: 3 });
    const a = trajectory(def, serial, 4, 3, contexts);
    const b = trajectory(def, threaded, 4, 3, contexts);
    const c = trajectory(def, twoSteps, 4, 3, contexts);
    expect(threaded.activeWorkers).toBe(1);
    a.forEach((o, t) => expect(Array.from(b[t])).toEqual(Array.from(o)));
    expect(Array.from(c[2])).not.toEqual(Array.from(a[2]));
  });

  it('falls back to one thread when a worker cannot build its kernel', () => {
    const def = buildHookSweep2({});
    // Workers look kernels up by env id; an unknown id makes them fail at start-up.
    const broken = new PhysicsDynamics('NoSuchEnv-v0', def.options, () => new HookKernel(), { workers: 1, minBatch: 2, blockingStart: true });
    const serial = new PhysicsDynamics('HookSweep2-v0', def.options, () => new HookKernel(), { workers: 0 });
    opened.push(broken, serial);
    const contexts = [{}, {}, {}];
    const a = trajectory(def, broken, 3, 2, contexts);
    const b = trajectory(def, serial, 3, 2, contexts);
    expect(broken.activeWorkers).toBe(0);
    expect(broken.lastWorkerError).toMatch(/NoSuchEnv-v0/);
    a.forEach((o, t) => expect(Array.from(o)).toEqual(Array.from(b[t])));
  });

  it('steps on the session thread while the workers start, then switches to them, without changing a bit', async () => {
    const def = buildHookSweep2({});
    const serial = new PhysicsDynamics('HookSweep2-v0', def.options, () => new HookKernel(), { workers: 0 });
    const lazy = new PhysicsDynamics('HookSweep2-v0', def.options, () => new HookKernel(), { workers: 1, minBatch: 2 });
    opened.push(serial, lazy);
    const make = (d: PhysicsDynamics) => {
      const s = new EnvSession({ definition: def, numEnvs: 4, dynamics: d, contexts: [{}, { friction: 0.2 }, {}, { box2_mass_scale: 0.3 }] });
      s.reset({ seed: 5 });
      return s;
    };
    const a = make(serial);
    const b = make(lazy);
    let before = 0;
    let after = 0;
    for (let t = 0; t < 400 && after < 3; t++) {
      const act = Float64Array.from({ length: 16 }, (_, k) => Math.sin(0.9 * t + k));
      const oa = a.step(act).obs;
      const ob = b.step(act).obs;
      expect(Array.from(ob)).toEqual(Array.from(oa));
      if (lazy.activeWorkers === 0) before++;
      else after++;
      if (lazy.activeWorkers === 0) await new Promise((r) => setTimeout(r, 25)); // the worker boots meanwhile
    }
    expect(before).toBeGreaterThan(0);
    expect(after).toBe(3);
  });

  it('keeps small batches on the session thread and reports the applied contexts from the main kernel', () => {
    const def = buildHalfCheetah({});
    const d = new PhysicsDynamics('HalfCheetah-v0', def.options, () => new CheetahKernel(), { workers: 1, minBatch: 32 });
    opened.push(d);
    trajectory(def, d, 3, 1, [{}, {}, {}]);
    expect(d.activeWorkers).toBe(0);
    const out = new Float64Array(8);
    d.readContexts(Float64Array.from([0.3, 1.7, 0.4, 9.81, 1.7, 0.3, 1.2, 4]), 2, out);
    expect(Array.from(out).map((v) => Number(v.toFixed(12)))).toEqual([0.3, 1.7, 0.4, 9.81, 1.7, 0.3, 1.2, 4]);
  });
});
