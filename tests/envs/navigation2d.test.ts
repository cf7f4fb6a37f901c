/**
 * Navigation2D-v0 (MOCODA's 2D navigation) against values computed independently (a python3 transcription of
 * REFERENCE.md 1.3, printed with repr and pasted as literals): the entangled quadrant, tasks and their goals, the
 * episode boundaries, the context, and the local causal structure (masks, regions, parent sets).
 */
import { describe, expect, it } from 'vitest';
import { EnvSession } from '../../src/core/session.js';
import { envSpecOf } from '../../src/core/definition.js';
import { getEnvEntry, makeDefinition } from '../../envs/registry.js';
import { navigation2dStep } from '../../envs/classic/navigation2d.js';
import { Rng } from '../../src/core/rng.js';

const def = makeDefinition('Navigation2D-v0');

function expectRow(actual: ArrayLike<number>, expected: readonly number[], digits = 15): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, k) => expect(actual[k]).toBeCloseTo(e, digits));
}

function stepOnce(state: readonly number[], action: readonly number[], ctx: readonly number[] = [0.05, 0.02]): Float64Array {
  const next = new Float64Array(2);
  navigation2dStep({ n: 1, states: Float64Array.from(state), actions: Float64Array.from(action), contexts: Float64Array.from(ctx), next, rngs: [] });
  return next;
}

describe('Navigation2D-v0 spec', () => {
  it('has a task option (default diagonal), Box actions in [-1, 1]^2 and speed/coupling context', () => {
    const entry = getEnvEntry('Navigation2D-v0');
    expect(entry.options.map((o) => [o.name, o.default])).toEqual([['task', 'diagonal']]);
    expect(entry.options[0].choices).toEqual(['diagonal', 'up', 'right', 'up_l', 'right_l']);
    expect(def.options).toEqual({ task: 'diagonal' });
    expect(makeDefinition('Navigation2D-v0', { task: 'up' }).options).toEqual({ task: 'up' });
    expect(() => makeDefinition('Navigation2D-v0', { task: 'left' })).toThrow(expect.objectContaining({ code: 'unknown_env_option' }));
    expect(Array.from(def.actionSpace.low)).toEqual([-1, -1]);
    expect(Array.from(def.actionSpace.high)).toEqual([1, 1]);
    expect(def.context.toMap(def.context.defaults)).toEqual({ speed: 0.05, coupling: 0.02 });
    expect(def.maxEpisodeSteps).toBe(70);
    const spec = envSpecOf(entry, def);
    expect(spec.causal?.roots.map((r) => r.name)).toEqual(['x', 'y', 'ax', 'ay']);
  });

  it('declares an observation box containing every state reachable within 71 steps at the most extreme context', () => {
    const ctx = [def.context.params[0].high, def.context.params[1].high];
    const rng = Rng.fromSeed(11);
    for (let trial = 0; trial < 200; trial++) {
      let s = [rng.random(), rng.random()];
      // Extreme actions push as far as possible: each component is +-1.
      const sx = rng.random() < 0.5 ? -1 : 1;
      const sy = rng.random() < 0.5 ? -1 : 1;
      for (let k = 0; k < 71; k++) {
        s = Array.from(stepOnce(s, [sx, rng.random() < 0.9 ? sy : -sy], ctx));
        expect(def.observationSpace.contains(s)).toBe(true);
      }
    }
  });
});

describe('Navigation2D-v0 dynamics', () => {
  it('moves by 0.05 a outside the quadrant and is never clipped', () => {
    expectRow(stepOnce([0.1, 0.2], [1, -0.5]), [0.15000000000000002, 0.17500000000000002]);
    expectRow(stepOnce([0.02, 0.1], [-1, -1]), [0.02 - 0.05, 0.1 - 0.05]);
    expectRow(stepOnce([0.98, 0.3], [1, 0]), [1.03, 0.3]);
  });

  it('entangles the axes where x > 0.5 and y > 0.5, tested before the move', () => {
    expectRow(stepOnce([0.6, 0.7], [0.4, -1]), [0.64, 0.6419999999999999]);
    expectRow(stepOnce([0.64, 0.6419999999999999], [1, 1]), [0.67, 0.6719999999999999]);
    // x = 0.5 is not inside (strict), so the same action moves separately.
    expectRow(stepOnce([0.5, 0.7], [0.4, -1]), [0.52, 0.6499999999999999]);
    // A move INTO the quadrant is still separate: the test uses the state before the move.
    expectRow(stepOnce([0.49, 0.49], [1, 1]), [0.54, 0.54]);
  });

  it('speed and coupling change the step (0.07, 0.01) and read back', () => {
    expectRow(stepOnce([0.6, 0.7], [0.4, -1], [0.07, 0.01]), [0.638, 0.6259999999999999]);
    expectRow(stepOnce([0.1, 0.2], [1, -0.5], [0.07, 0.01]), [0.17, 0.165]);
    const s = new EnvSession({ definition: def, contexts: { speed: 0.07, coupling: 0.01 } });
    expect(s.getContexts()).toEqual([{ speed: 0.07, coupling: 0.01 }]);
    s.reset({ state: Float64Array.of(0.6, 0.7) });
    expectRow(s.step(Float64Array.of(0.4, -1)).obs, [0.638, 0.6259999999999999]);
    expect(() => s.setContexts({ coupling: 0.05 })).toThrow(expect.objectContaining({ code: 'context_out_of_range' }));
  });

  it('diagonal: pushing (1, 1) from (0.1, 0.1) slows to 0.03 per step in the quadrant and terminates on step 18', () => {
    const s = new EnvSession({ definition: def });
    s.reset({ state: Float64Array.of(0.1, 0.1) });
    const xs: number[] = [];
    for (let k = 1; k <= 18; k++) {
      const r = s.step(Float64Array.of(1, 1));
      xs.push(r.obs[0]);
      expect(r.terminated[0]).toBe(k === 18 ? 1 : 0);
      expect(r.reward[0]).toBe(k === 18 ? 0 : -1);
      if (k === 18) expectRow(r.obs, [0.8200000000000002, 0.8200000000000002]);
    }
    // Step 8 lands just below 0.5 (0.49999999999999994), so step 9 is still a full 0.05 move.
    expect(xs[7]).toBeCloseTo(0.49999999999999994, 16);
    expect(xs[8]).toBeCloseTo(0.5499999999999999, 15);
    expect(xs[9]).toBeCloseTo(0.58, 15);
  });

  it('diagonal goal is the OPEN box (0.8, 0.9)^2', () => {
    const out = new Uint8Array(6);
    def.terminated(Float64Array.of(0.85, 0.85, 0.8, 0.85, 0.9, 0.85, 0.85, 0.9, 0.81, 0.89, 0.95, 0.85), def.context.defaults, 6, out);
    expect(Array.from(out)).toEqual([1, 0, 0, 0, 1, 0]);
  });

  it('up: goal y > 0.9; pushing up from (0.7, 0.1) drifts left in the quadrant and ends on step 16 at (0.56, 0.9)', () => {
    const up = makeDefinition('Navigation2D-v0', { task: 'up' });
    const s = new EnvSession({ definition: up });
    s.reset({ state: Float64Array.of(0.7, 0.1) });
    let r = s.step(Float64Array.of(0, 1));
    for (let k = 2; k <= 16; k++) {
      expect(r.terminated[0]).toBe(0);
      r = s.step(Float64Array.of(0, 1));
    }
    expect(r.terminated[0]).toBe(1);
    expect(r.reward[0]).toBe(0);
    expectRow(r.obs, [0.5599999999999998, 0.9000000000000002]);
  });

  it('right: goal x > 0.9, reached on step 16 from (0.1, 0.3)', () => {
    const right = makeDefinition('Navigation2D-v0', { task: 'right_l' });
    const s = new EnvSession({ definition: right });
    s.reset({ state: Float64Array.of(0.1, 0.3) });
    let r = s.step(Float64Array.of(1, 0));
    for (let k = 2; k <= 16; k++) r = s.step(Float64Array.of(1, 0));
    expect(r.terminated[0]).toBe(1);
    expectRow(r.obs, [0.9000000000000002, 0.3]);
  });

  it('keeps the diagonal goal reachable within 70 steps at every corner of the context ranges', () => {
    const [speed, coupling] = def.context.params;
    const clip = (v: number) => Math.max(-1, Math.min(1, v));
    for (const sp of [speed.low, speed.high]) {
      for (const c of [coupling.low, coupling.high]) {
        for (const start of [[0, 0], [0.15, 0], [0, 0.15], [0.15, 0.15]]) {
          const s = new EnvSession({ definition: def, contexts: { speed: sp, coupling: c } });
          let [x, y] = s.reset({ state: Float64Array.from(start) }).obs;
          let reached = 0;
          for (let k = 1; k <= 70 && !reached; k++) {
            // Climb outside the quadrant to the line x + y = 1.7 above it, then slide along (1, -1) to x = 0.85.
            const inside = x > 0.5 && y > 0.5;
            let a: number[];
            if (!inside && y < 1.2 - 1e-9) a = [clip((0.5 - x) / sp), clip((1.2 - y) / sp)];
            else {
              const t = clip((0.85 - x) / (inside ? sp + c : sp));
              a = [t, -t];
            }
            const r = s.step(Float64Array.from(a));
            [x, y] = r.obs;
            if (r.terminated[0]) reached = k;
          }
          expect(reached, `speed ${sp} coupling ${c} start ${start}`).toBeGreaterThan(0);
        }
      }
    }
  });

  it('truncates after exactly 70 steps', () => {
    const s = new EnvSession({ definition: def });
    s.reset({ state: Float64Array.of(0.1, 0.1) });
    for (let k = 1; k <= 70; k++) {
      const r = s.step(Float64Array.of(0, 0));
      expect(r.reward[0]).toBe(-1);
      expect(r.terminated[0]).toBe(0);
      expect(r.truncated[0]).toBe(k === 70 ? 1 : 0);
    }
  });

  it('starts each task where MOCODA does', () => {
    const starts = (task: string) => {
      const s = new EnvSession({ definition: makeDefinition('Navigation2D-v0', { task }), numEnvs: 400 });
      return s.reset({ seed: 5 }).obs;
    };
    const all = (obs: Float64Array, f: (x: number, y: number) => boolean) => {
      for (let i = 0; i < obs.length / 2; i++) if (!f(obs[2 * i], obs[2 * i + 1])) return false;
      return true;
    };
    const count = (obs: Float64Array, f: (x: number, y: number) => boolean) => {
      let c = 0;
      for (let i = 0; i < obs.length / 2; i++) if (f(obs[2 * i], obs[2 * i + 1])) c++;
      return c;
    };
    expect(all(starts('diagonal'), (x, y) => x >= 0 && x < 0.15 && y >= 0 && y < 0.15)).toBe(true);
    expect(all(starts('up_l'), (x, y) => x >= 0.6 && x < 1 && y >= 0 && y < 0.15)).toBe(true);
    expect(all(starts('right_l'), (x, y) => x >= 0 && x < 0.15 && y >= 0 && y < 0.4)).toBe(true);
    const up = starts('up');
    expect(all(up, (x, y) => ((x >= 0 && x < 0.4) || (x >= 0.6 && x < 1)) && y >= 0 && y < 0.15)).toBe(true);
    // Each side with probability 1/2: 400 draws give 200 +- 10 per side; 140..260 is over 6 standard deviations.
    const rightSide = count(up, (x) => x >= 0.6);
    expect(rightSide).toBeGreaterThan(140);
    expect(rightSide).toBeLessThan(260);
    const right = starts('right');
    expect(all(right, (x, y) => ((y >= 0 && y < 0.4) || (y >= 0.6 && y < 1)) && x >= 0 && x < 0.15)).toBe(true);
    const lower = count(right, (_x, y) => y < 0.4);
    expect(lower).toBeGreaterThan(140);
    expect(lower).toBeLessThan(260);
  });
});

describe('Navigation2D-v0 causal structure', () => {
  const causal = def.causal!;
  const spec = causal.spec();

  it('describes roots, children, the two regions and their parent sets', () => {
    expect(spec.roots).toEqual([
      { name: 'x', source: 'obs', indices: [0] },
      { name: 'y', source: 'obs', indices: [1] },
      { name: 'ax', source: 'action', indices: [0] },
      { name: 'ay', source: 'action', indices: [1] },
    ]);
    expect(spec.children.map((c) => c.indices)).toEqual([[0], [1]]);
    expect(spec.local_masks.map((m) => m.region)).toEqual(['separate', 'entangled']);
    expect(spec.local_masks[0].mask).toEqual([[1, 0], [0, 1], [1, 0], [0, 1]]);
    expect(spec.local_masks[0].parent_sets).toEqual([['x', 'ax'], ['y', 'ay']]);
    expect(spec.local_masks[1].mask).toEqual([[1, 1], [1, 1], [1, 1], [1, 1]]);
    expect(spec.local_masks[1].parent_sets).toEqual([['x', 'ax', 'ay'], ['y', 'ax', 'ay']]);
    expect(spec.global_mask).toEqual([[1, 1], [1, 1], [1, 1], [1, 1]]);
  });

  it('is self-consistent: global mask = union of the local ones; parent sets lie inside their mask column', () => {
    const names = spec.roots.map((r) => r.name);
    for (let r = 0; r < 4; r++) {
      for (let k = 0; k < 2; k++) {
        expect(spec.global_mask[r][k]).toBe(Math.max(...spec.local_masks.map((m) => m.mask[r][k])));
      }
    }
    const column = (m: (typeof spec.local_masks)[number], k: number) => names.filter((_, r) => m.mask[r][k] === 1).sort();
    // Separate region: the parent sets are exactly the mask columns.
    spec.local_masks[0].parent_sets.forEach((set, k) => expect([...set].sort()).toEqual(column(spec.local_masks[0], k)));
    // Entangled region: MOCODA's mask is all ones although x' does not read y (nor y' x): the sets are a subset.
    spec.local_masks[1].parent_sets.forEach((set, k) => {
      for (const p of set) expect(column(spec.local_masks[1], k)).toContain(p);
    });
  });

  it('computes batched regions and masks from the state before the move', () => {
    const obs = Float64Array.of(0.6, 0.7, 0.5, 0.7, 0.2, 0.9, 0.51, 0.51, -3, 8);
    const actions = new Float64Array(10);
    const region = new Uint8Array(5);
    causal.region(obs, actions, 5, region);
    expect(Array.from(region)).toEqual([1, 0, 0, 1, 0]);
    const mask = new Uint8Array(5 * 8);
    causal.mask(obs, actions, 5, mask);
    const sep = [1, 0, 0, 1, 1, 0, 0, 1];
    const full = [1, 1, 1, 1, 1, 1, 1, 1];
    expect(Array.from(mask)).toEqual([...full, ...sep, ...sep, ...full, ...sep]);
  });

  it('matches the dynamics: a masked-out root never changes its child, a masked-in action does', () => {
    const rng = Rng.fromSeed(2);
    const mask = new Uint8Array(8);
    for (let t = 0; t < 500; t++) {
      const s = [rng.random(), rng.random()];
      const a = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
      causal.mask(Float64Array.from(s), Float64Array.from(a), 1, mask);
      const base = stepOnce(s, a);
      for (const r of [2, 3]) {
        const a2 = [...a];
        a2[r - 2] += 0.3;
        const moved = stepOnce(s, a2);
        for (let k = 0; k < 2; k++) expect(moved[k] !== base[k]).toBe(mask[r * 2 + k] === 1);
      }
    }
  });

  it('renders the arena with goal, quadrant and agent', () => {
    const s = new EnvSession({ definition: def });
    s.reset({ state: Float64Array.of(0.25, 0.75) });
    const d = s.render().data;
    expect(d.startsWith('<svg')).toBe(true);
    expect((d.match(/<rect/g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(d).toContain('<circle');
    expect(d).toContain('x=0.2500 y=0.7500');
  });
});
