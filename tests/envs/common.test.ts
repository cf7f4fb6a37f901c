/**
 * What every classic environment must satisfy: Gymnasium check_env's seeding rules, vector seeding (env i gets
 * seed + i), observations inside the declared space in its dtype, and snapshots that replay bit for bit, through
 * autoresets and with or without the random generators.
 */
import { describe, expect, it } from 'vitest';
import { EnvSession, type AutoresetMode, type StepResult } from '../../src/core/session.js';
import { restoreSession, snapshotSession } from '../../src/core/snapshot.js';
import { envSpecOf, type EnvDefinition } from '../../src/core/definition.js';
import { getEnvEntry, listEnvEntries, makeDefinition } from '../../envs/registry.js';
import { Rng } from '../../src/core/rng.js';
import { EnvSpecSchema } from '../../protocol/ts/spaces.js';
import { Value } from '@sinclair/typebox/value';

const CASES: Array<[string, Record<string, string>]> = [
  ['MountainCar-v0', {}],
  ['MountainCarContinuous-v0', {}],
  ['CartPole-v0', {}],
  ['Navigation2D-v0', {}],
  ['Navigation2D-v0', { task: 'up' }],
  ['Navigation2D-v0', { task: 'right_l' }],
];

function bits(a: Float64Array | Uint8Array | Int32Array): number[] {
  return Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

function actionsFor(def: EnvDefinition, n: number, rng: Rng): Float64Array {
  const A = def.actionSpace.size;
  const out = new Float64Array(n * A);
  for (let i = 0; i < n; i++) def.actionSpace.sampleInto(rng, out, i * A);
  return out;
}

/** Everything a step reports, as bytes, so two runs compare bit for bit. */
function record(r: StepResult): number[][] {
  const out = [bits(r.obs), bits(r.reward), bits(r.terminated), bits(r.truncated), bits(r.episodeStep)];
  if (r.finalObs) out.push(bits(r.finalObs), bits(r.finalMask!));
  return out;
}

describe('registry', () => {
  it('lists the four classic environments with specs that validate against the wire schema', () => {
    const ids = listEnvEntries().map((e) => e.id);
    for (const id of ['MountainCar-v0', 'MountainCarContinuous-v0', 'CartPole-v0', 'Navigation2D-v0']) expect(ids).toContain(id);
    for (const id of ['MountainCar-v0', 'MountainCarContinuous-v0', 'CartPole-v0', 'Navigation2D-v0']) {
      const entry = getEnvEntry(id);
      const spec = envSpecOf(entry, makeDefinition(id));
      expect(Value.Check(EnvSpecSchema, spec)).toBe(true);
      expect(spec.render_modes).toEqual(['svg']);
    }
  });
});

describe.each(CASES)('%s %j', (id, options) => {
  const def = makeDefinition(id, options);

  it("passes check_env's seeding sequence: reset(123), reset(), reset(123), reset()", () => {
    const s = new EnvSession({ definition: def });
    const o1 = s.reset({ seed: 123 }).obs;
    const o2 = s.reset().obs;
    const o3 = s.reset({ seed: 123 }).obs;
    const o4 = s.reset().obs;
    expect(bits(o1)).toEqual(bits(o3));
    expect(bits(o2)).toEqual(bits(o4));
    expect(bits(o1)).not.toEqual(bits(o2));
    const other = s.reset({ seed: 124 }).obs;
    expect(bits(other)).not.toEqual(bits(o1));
  });

  it('gives equal results for two identically seeded reset + step runs; truncated is not set after one step', () => {
    const run = () => {
      const s = new EnvSession({ definition: def });
      const rng = Rng.fromSeed(9);
      const out = [bits(s.reset({ seed: 42 }).obs)];
      for (let k = 0; k < 5; k++) {
        const r = s.step(actionsFor(def, 1, rng));
        if (k === 0) expect(r.truncated[0]).toBe(0);
        out.push(...record(r));
        if (r.terminated[0] || r.truncated[0]) break;
      }
      return out;
    };
    expect(run()).toEqual(run());
  });

  it('seeds vector env i with seed + i: it equals a single env seeded with seed + i', () => {
    const n = 3;
    const v = new EnvSession({ definition: def, numEnvs: n });
    const rng = Rng.fromSeed(4);
    const vObs = [v.reset({ seed: 100 }).obs];
    const acts: Float64Array[] = [];
    for (let k = 0; k < 4; k++) {
      const a = actionsFor(def, n, rng);
      acts.push(a);
      vObs.push(v.step(a).obs);
    }
    const O = def.observationSpace.size;
    const A = def.actionSpace.size;
    for (let i = 0; i < n; i++) {
      const s = new EnvSession({ definition: def });
      const single = [s.reset({ seed: 100 + i }).obs];
      for (const a of acts) single.push(s.step(a.slice(i * A, (i + 1) * A)).obs);
      single.forEach((o, k) => expect(bits(o)).toEqual(bits(vObs[k].slice(i * O, (i + 1) * O))));
    }
  });

  it('returns observations inside the observation space, also after the cast to its dtype', () => {
    const s = new EnvSession({ definition: def, numEnvs: 8, maxEpisodeSteps: 30 });
    const rng = Rng.fromSeed(1);
    const O = def.observationSpace.size;
    let obs = s.reset({ seed: 0 }).obs;
    for (let k = 0; k < 60; k++) {
      for (let i = 0; i < 8; i++) {
        const row = obs.slice(i * O, (i + 1) * O);
        expect(def.observationSpace.contains(row)).toBe(true);
        expect(def.observationSpace.contains(Float32Array.from(row))).toBe(true);
      }
      const r = s.step(actionsFor(def, 8, rng));
      for (const v of r.reward) {
        expect(v).toBeGreaterThanOrEqual(def.rewardRange[0]);
        expect(v).toBeLessThanOrEqual(def.rewardRange[1]);
      }
      obs = r.obs;
    }
  });

  for (const mode of ['next_step', 'same_step'] as AutoresetMode[]) {
    it(`restores a snapshot bit for bit, through ${mode} autoresets (with generators)`, () => {
      const rng = Rng.fromSeed(77);
      // Heterogeneous contexts; the restoring session starts with other ones, which the snapshot must replace.
      const make = () => new EnvSession({
        definition: def, numEnvs: 4, maxEpisodeSteps: 5, autoreset: mode,
        contexts: Array.from({ length: 4 }, () => def.context.sampleUniform(rng)),
      });
      const a = make();
      a.reset({ seed: 10 });
      for (let k = 0; k < 7; k++) a.step(actionsFor(def, 4, rng));
      const snap = snapshotSession(a);
      const actions = Array.from({ length: 20 }, () => actionsFor(def, 4, rng));
      const original = actions.map((x) => record(a.step(x)));
      // The window crosses episode ends (time limit 5), so replaying it exercises the autoreset draws.
      expect(original.filter((r) => r[3].some((t) => t === 1)).length).toBeGreaterThanOrEqual(3);
      // A fresh session seeded differently: everything it replays comes from the snapshot.
      const b = make();
      b.reset({ seed: 999 });
      expect(b.getContexts()).not.toEqual(a.getContexts());
      const restoredObs = restoreSession(b, snap);
      expect(b.getContexts()).toEqual(a.getContexts());
      expect(restoredObs.length).toBe(4 * def.observationSpace.size);
      const replay = actions.map((x) => record(b.step(x)));
      expect(replay).toEqual(original);
      // The same bytes restore the original session too (going back in time).
      restoreSession(a, snap);
      expect(actions.map((x) => record(a.step(x)))).toEqual(original);
      // And re-snapshotting a restored session gives the same bytes.
      restoreSession(b, snap);
      expect(bits(snapshotSession(b))).toEqual(bits(snap));
    });
  }

  it('restores a snapshot without generators: identical until the first reset, the session keeps its own stream', () => {
    const a = new EnvSession({ definition: def, maxEpisodeSteps: 4 });
    a.reset({ seed: 5 });
    const snap = snapshotSession(a, false);
    const rng = Rng.fromSeed(6);
    const acts = Array.from({ length: 4 }, () => actionsFor(def, 1, rng));
    const first = acts.map((x) => record(a.step(x)));
    const after1 = a.reset().obs; // draws from a's stream
    restoreSession(a, snap);
    expect(acts.map((x) => record(a.step(x)))).toEqual(first);
    // The generator was not rewound, so the next reset continues a's stream instead of repeating after1.
    const after2 = a.reset().obs;
    expect(bits(after2)).not.toEqual(bits(after1));
    // With generators the reset repeats.
    const withRng = new EnvSession({ definition: def, maxEpisodeSteps: 4 });
    withRng.reset({ seed: 5 });
    const snap2 = snapshotSession(withRng);
    acts.forEach((x) => withRng.step(x));
    const r1 = withRng.reset().obs;
    restoreSession(withRng, snap2);
    acts.forEach((x) => withRng.step(x));
    expect(bits(withRng.reset().obs)).toEqual(bits(r1));
  });
});
