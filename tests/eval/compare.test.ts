/**
 * The sim-versus-real protocol against hand-computable cases: the true dynamics judged against itself is perfect, a
 * model with a known constant bias on a motionless system has a closed-form open-loop error, R^2 is variance-weighted,
 * and the report files hold the numbers and one trajectory panel per dimension.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDefinition } from '../../envs/registry.js';
import { cartPoleStep, THETA_THRESHOLD, X_THRESHOLD } from '../../envs/classic/cart-pole.js';
import type { Dynamics } from '../../src/core/definition.js';
import { compareDynamics, median, trajectoryErrors, writeComparisonReport, type TestPolicy } from '../../src/eval/index.js';

const still: TestPolicy = { name: 'still', description: 'zero action', episode: () => ({ act: (_o, _t, out) => out.fill(0) }) };

describe('trajectoryErrors and median', () => {
  it('computes RMSE over all dims and steps and variance-weighted R^2', () => {
    // Two dims, steps 0..3; errors only in dim 0.
    const truth = Float64Array.of(0, 10, 1, 10, 2, 10, 3, 10);
    const pred = Float64Array.of(0, 10, 1, 10, 2, 10, 5, 10);
    const e = trajectoryErrors(truth, pred, 2, 0, 4);
    expect(e.rmse).toBeCloseTo(Math.sqrt(4 / 8), 12);
    // SST: dim 0 around 1.5 is 5, dim 1 is 0 -> 1 - 4/5.
    expect(e.r2).toBeCloseTo(0.2, 12);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('compareDynamics', () => {
  it('judges the true dynamics against itself as perfect', () => {
    const def = makeDefinition('CartPole-v0');
    const r = compareDynamics({ definition: def, context: { force_mag: 18, length: 0.15 }, model: def.trueDynamics(), episodes: 4, seed: 3 });
    expect(r.rmseMean).toBe(0);
    expect(r.r2Median).toBe(1);
    expect(r.episodes.length + r.excluded).toBe(4);
    expect(r.episodes.length).toBeGreaterThan(0);
    expect(r.policy).toBe('angle-pd-eps-25');
    expect(r.context).toEqual({ force_mag: 18, length: 0.15, masscart: 1, masspole: 0.1 });
  });

  it('gives the closed-form open-loop error of a biased model on a motionless system', () => {
    const def = makeDefinition('Navigation2D-v0');
    const c = 0.001;
    const biased: Dynamics = {
      kind: 'biased', info: {},
      step: (b) => { for (let i = 0; i < b.n; i++) { b.next[2 * i] = b.states[2 * i] + c; b.next[2 * i + 1] = b.states[2 * i + 1]; } },
    };
    const W = 10;
    const H = 50;
    const r = compareDynamics({ definition: def, context: {}, model: biased, episodes: 3, seed: 1, policy: still, warmup: W, horizon: H });
    // Warm-up predictions start from the truth (off by c); open-loop step k is off by c (k + 1) in x, 0 in y.
    let se = 0;
    for (let k = 1; k <= H; k++) se += (c * (k + 1)) ** 2;
    const expected = Math.sqrt(se / (2 * H));
    for (const e of r.episodes) expect(e.rmse).toBeCloseTo(expected, 12);
    const withWarmup = compareDynamics({ definition: def, context: {}, model: biased, episodes: 1, seed: 1, policy: still, includeWarmup: true });
    let se2 = W * c * c;
    for (let k = 1; k <= H; k++) se2 += (c * (k + 1)) ** 2;
    expect(withWarmup.episodes[0].rmse).toBeCloseTo(Math.sqrt(se2 / (2 * (W + H))), 12);
  });

  it('ends each window where the real episode terminates and leaves out episodes that end in the warm-up', () => {
    const def = makeDefinition('CartPole-v0');
    const right: TestPolicy = { name: 'right', description: 'always push right', episode: () => ({ act: (_o, _t, out) => { out[0] = 1; } }) };
    const E = 12;
    const r = compareDynamics({ definition: def, context: { force_mag: 18, length: 0.3 }, model: def.trueDynamics(), episodes: E, seed: 5, policy: right, warmup: 3, horizon: 40, keepTrajectories: E });
    // Replay every kept episode with the formula and find where |theta| first exceeds 12 degrees (or |x| > 2.4).
    for (const ep of r.episodes) {
      let s = ep.truth!.slice(0, 4);
      let end = 43;
      for (let t = 0; t < 43; t++) {
        const next = new Float64Array(4);
        cartPoleStep({ n: 1, states: s, actions: Float64Array.of(1), contexts: Float64Array.of(18, 0.3, 1, 0.1), next, rngs: [] });
        s = next;
        if (Math.abs(s[0]) > X_THRESHOLD || Math.abs(s[2]) > THETA_THRESHOLD) { end = t + 1; break; }
      }
      expect(ep.length).toBe(end);
      expect(ep.truth!.length).toBe((end + 1) * 4);
    }
    expect(r.episodes.length + r.excluded).toBe(E);
    expect(r.episodes.every((e) => e.length < 43)).toBe(true);
    const fixed = compareDynamics({ definition: def, context: { force_mag: 18, length: 0.3 }, model: def.trueDynamics(), episodes: E, seed: 5, policy: right, warmup: 3, horizon: 40, stopAtTermination: false });
    expect(fixed.episodes.map((e) => e.length)).toEqual(new Array(E).fill(43));
  });

  it('writes a markdown and JSON table and one SVG per agent with a panel per dimension', async () => {
    const def = makeDefinition('MountainCar-v0');
    const wrong = makeDefinition('MountainCar-v0').trueDynamics();
    // A "model" that believes gravity is 0.0025 while the real system has 0.001.
    const model: Dynamics = { kind: 'mis-specified', info: {}, step: (b) => wrong.step({ ...b, contexts: new Float64Array(b.n).fill(0.0025) }) };
    const r = compareDynamics({ definition: def, context: { gravity: 0.001 }, model, episodes: 5, seed: 2 });
    expect(r.rmseMean).toBeGreaterThan(0);
    expect(r.r2Median).toBeLessThan(1);
    const dir = await mkdtemp(join(tmpdir(), 'twingym-compare-'));
    const files = await writeComparisonReport(dir, 'mc', [{ agent: 2, label: 'test-agent-3', context: r.context, result: r }], '# title', ['position', 'velocity']);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['mc.md', 'mc.json', 'mc-test-agent-3.svg']);
    const json = JSON.parse(await readFile(files[1], 'utf8'));
    expect(json[0].rmse_mean).toBe(r.rmseMean);
    expect(json[0].rmse_per_episode).toHaveLength(5);
    const md = await readFile(files[0], 'utf8');
    expect(md).toContain('| test-agent-3 | gravity=0.001 |');
    expect(md).toContain('square-wave');
    const svg = await readFile(files[2], 'utf8');
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    expect(svg).toContain('velocity');
  });
});
