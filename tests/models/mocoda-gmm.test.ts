/**
 * MOCODA's parent distribution: the diagonal Gaussian mixture (EM recovers a known mixture, conditional sampling
 * matches analytic conditionals, truncation and the variance floor hold) and the parent distribution built from it
 * (each parent set keeps its marginal, dependence between sets that share no variable is broken, overlapping sets
 * are conditioned on each other, and generated parents stay in the region they were generated for).
 */
import { describe, expect, it } from 'vitest';
import { buildNavigation2D } from '../../envs/classic/navigation2d.js';
import { makeDefinition } from '../../envs/registry.js';
import { Rng } from '../../src/core/rng.js';
import { DiagonalGmm, fitParentDistribution, ParentDistribution } from '../../src/models/mocoda/index.js';

function moments(xs: ArrayLike<number>): { mean: number; std: number } {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m += xs[i] / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - m) ** 2 / xs.length;
  return { mean: m, std: Math.sqrt(v) };
}

function corr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ma = moments(a);
  const mb = moments(b);
  let c = 0;
  for (let i = 0; i < a.length; i++) c += ((a[i] - ma.mean) * (b[i] - mb.mean)) / a.length;
  return c / (ma.std * mb.std);
}

/** Column j of n rows of width w. */
function col(x: Float64Array, w: number, j: number): Float64Array {
  return Float64Array.from({ length: x.length / w }, (_, i) => x[i * w + j]);
}

describe('DiagonalGmm', () => {
  it('recovers a known two-component mixture (weights, means, variances)', () => {
    const rng = Rng.fromSeed(1);
    const truth = [
      { w: 0.3, mean: [-2, 1], v: [0.25, 0.5] },
      { w: 0.7, mean: [3, -1], v: [1, 0.09] },
    ];
    const n = 6000;
    const x = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const c = truth[rng.random() < truth[0].w ? 0 : 1];
      for (let d = 0; d < 2; d++) x[2 * i + d] = c.mean[d] + Math.sqrt(c.v[d]) * rng.normal();
    }
    const g = DiagonalGmm.fit(x, n, 2, { components: 2, seed: 3 });
    expect(g.fitInfo?.converged).toBe(true);
    const order = [0, 1].sort((a, b) => g.means[a * 2] - g.means[b * 2]);
    order.forEach((k, j) => {
      expect(g.weights[k]).toBeCloseTo(truth[j].w, 1);
      expect(Math.abs(g.weights[k] - truth[j].w)).toBeLessThan(0.02);
      for (let d = 0; d < 2; d++) {
        expect(Math.abs(g.means[k * 2 + d] - truth[j].mean[d])).toBeLessThan(0.06);
        expect(g.variances[k * 2 + d] / truth[j].v[d]).toBeGreaterThan(0.88);
        expect(g.variances[k * 2 + d] / truth[j].v[d]).toBeLessThan(1.12);
      }
    });
  });

  it('conditional samples of a correlated 2-D Gaussian fitted as a mixture match the analytic conditional', () => {
    const rng = Rng.fromSeed(2);
    const rho = 0.8;
    const n = 12000;
    const x = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const a = rng.normal();
      x[2 * i] = a;
      x[2 * i + 1] = rho * a + Math.sqrt(1 - rho * rho) * rng.normal();
    }
    const g = DiagonalGmm.fit(x, n, 2, { components: 32, seed: 5 });
    // y | x = x0 ~ N(rho x0, 1 - rho^2) for a standard bivariate normal.
    for (const x0 of [1, -0.5]) {
      const ys = new Float64Array(8000);
      const row = new Float64Array(2);
      for (let i = 0; i < ys.length; i++) {
        row[0] = x0;
        g.sampleConditional(row, [1, 0], rng);
        expect(row[0]).toBe(x0);
        ys[i] = row[1];
      }
      const m = moments(ys);
      expect(Math.abs(m.mean - rho * x0)).toBeLessThan(0.05);
      expect(Math.abs(m.std - Math.sqrt(1 - rho * rho))).toBeLessThan(0.06);
    }
  });

  it('conditions a mixture through the posterior component weights of the known dimensions', () => {
    const w = [0.4, 0.6];
    const mu = [0, 0, 2, 1];
    const va = [1, 1, 0.5, 2];
    const g = new DiagonalGmm(2, w, mu, va);
    const x0 = 1;
    const dens = (k: number) => w[k] * Math.exp(-((x0 - mu[2 * k]) ** 2) / (2 * va[2 * k])) / Math.sqrt(2 * Math.PI * va[2 * k]);
    const p1 = dens(1) / (dens(0) + dens(1));
    const post = g.posterior([x0, 123], [1, 0]);
    expect(post[1]).toBeCloseTo(p1, 12);
    expect(post[0]).toBeCloseTo(1 - p1, 12);
    // Uniform weights drop w from the posterior.
    const u1 = dens(1) / w[1] / (dens(0) / w[0] + dens(1) / w[1]);
    expect(g.posterior([x0, 0], [1, 0], true)[1]).toBeCloseTo(u1, 12);
    // y | x0 is the mixture of the components' y marginals with those posterior weights.
    const rng = Rng.fromSeed(7);
    const ys = new Float64Array(20000);
    let picked1 = 0;
    const row = new Float64Array(2);
    for (let i = 0; i < ys.length; i++) {
      row[0] = x0;
      picked1 += g.sampleConditional(row, [1, 0], rng) === 1 ? 1 : 0;
      ys[i] = row[1];
    }
    expect(Math.abs(picked1 / ys.length - p1)).toBeLessThan(0.015);
    const mean = (1 - p1) * mu[1] + p1 * mu[3];
    const second = (1 - p1) * (va[1] + mu[1] ** 2) + p1 * (va[3] + mu[3] ** 2);
    const m = moments(ys);
    expect(Math.abs(m.mean - mean)).toBeLessThan(0.03);
    expect(Math.abs(m.std - Math.sqrt(second - mean * mean))).toBeLessThan(0.03);
  });

  it('truncates draws at the given number of component stds and floors variances', () => {
    const g = new DiagonalGmm(1, [1], [5], [4]);
    const s = g.sample(20000, Rng.fromSeed(3), { truncate: 2.5 });
    const m = moments(s);
    expect(Math.max(...s)).toBeLessThanOrEqual(5 + 2.5 * 2);
    expect(Math.min(...s)).toBeGreaterThanOrEqual(5 - 2.5 * 2);
    expect(Math.max(...s)).toBeGreaterThan(5 + 2.3 * 2);
    // A standard normal truncated at +-2.5 has std sqrt(1 - 2 * 2.5 * phi(2.5) / (2 Phi(2.5) - 1)) = 0.9606.
    expect(m.std / 2).toBeCloseTo(0.9606, 2);
    const flat = DiagonalGmm.fit(Float64Array.from({ length: 400 }, (_, i) => (i % 2 ? 0.3 : i / 400)), 200, 2, { components: 3 });
    for (let k = 0; k < 3; k++) expect(flat.variances[k * 2 + 1]).toBe(1e-4);
    expect(DiagonalGmm.fromJSON(JSON.parse(JSON.stringify(flat.toJSON()))).logDensity([0.5, 0.3])).toBe(flat.logDensity([0.5, 0.3]));
  });
});

describe('ParentDistribution', () => {
  const nav = buildNavigation2D();

  it('keeps each parent set\'s marginal and breaks dependence between disjoint sets', () => {
    // All rows in the separate region (x < 0.45), x and y nearly equal (a spurious cross-set dependence), and each
    // action component tied to its own coordinate (a real within-set dependence).
    const rng = Rng.fromSeed(11);
    const n = 4000;
    const obs = new Float64Array(2 * n);
    const act = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const x = rng.uniform(0, 0.45);
      obs[2 * i] = x;
      obs[2 * i + 1] = x + 0.01 * rng.normal();
      act[2 * i] = 0.5 + x + 0.05 * rng.normal();
      act[2 * i + 1] = -obs[2 * i + 1] + 0.05 * rng.normal();
    }
    const pd = fitParentDistribution(nav, { n, observations: obs, actions: act }, { components: 12, seed: 1 });
    expect(pd.regions[0].rows).toBe(n);
    expect(pd.regions[1].sets).toEqual([]);
    const s = pd.sample(6000, Rng.fromSeed(4), { uniformWeights: false });
    expect(s.acceptance).toBe(1);
    expect(corr(col(obs, 2, 0), col(obs, 2, 1))).toBeGreaterThan(0.99);
    expect(Math.abs(corr(col(s.observations, 2, 0), col(s.observations, 2, 1)))).toBeLessThan(0.05);
    for (const [a, b] of [[0, 0], [1, 1]]) {
      const dataX = col(obs, 2, a);
      const dataA = col(act, 2, b);
      const genX = col(s.observations, 2, a);
      const genA = col(s.actions, 2, b);
      for (const [d, g] of [[dataX, genX], [dataA, genA]]) {
        const md = moments(d);
        const mg = moments(g);
        expect(Math.abs(mg.mean - md.mean)).toBeLessThan(0.01);
        expect(Math.abs(mg.std / md.std - 1)).toBeLessThan(0.06);
      }
      expect(Math.abs(corr(genX, genA) - corr(dataX, dataA))).toBeLessThan(0.05);
      // Histogram of the coordinate over 10 bins of [0, 0.45): total variation distance to the data's.
      const hist = (v: Float64Array) => {
        const h = new Array<number>(10).fill(0);
        for (const t of v) h[Math.min(9, Math.max(0, Math.floor((t / 0.45) * 10)))] += 1 / v.length;
        return h;
      };
      const hd = hist(dataX);
      const hg = hist(genX);
      expect(hd.reduce((acc, p, k) => acc + Math.abs(p - hg[k]), 0) / 2).toBeLessThan(0.05);
    }
  });

  it('rejects parents that leave the region they were generated for and keeps the regions\' data proportions', () => {
    const rng = Rng.fromSeed(12);
    const n = 3000;
    const obs = new Float64Array(2 * n);
    const act = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const entangled = i % 4 === 0;
      obs[2 * i] = entangled ? rng.uniform(0.52, 0.8) : rng.uniform(0, 0.45);
      obs[2 * i + 1] = entangled ? rng.uniform(0.5, 1) : rng.uniform(0, 1);
      act[2 * i] = rng.uniform(-1, 1);
      act[2 * i + 1] = rng.uniform(-1, 1);
    }
    const pd = fitParentDistribution(nav, { n, observations: obs, actions: act }, { components: 8, seed: 2 });
    expect(pd.regions.map((r) => r.rows)).toEqual([2250, 750]);
    const s = pd.sample(4000, Rng.fromSeed(5));
    const region = new Uint8Array(s.n);
    nav.causal!.region(s.observations, s.actions, s.n, region);
    expect([...region]).toEqual([...s.regions]);
    const entangled = region.reduce((a, r) => a + r, 0) / s.n;
    expect(Math.abs(entangled - 0.25)).toBeLessThan(0.03);
    // Entangled draws often fall out of the quadrant (x and y come from two mixtures near its edges): some rejected.
    expect(s.regionAcceptance[1]).toBeLessThan(1);
    expect(s.acceptance).toBeGreaterThan(0.5);
    expect(s.acceptance).toBeLessThan(1);
    // The same seed replays exactly, and the JSON form samples identically.
    const again = ParentDistribution.fromJSON(nav, JSON.parse(JSON.stringify(pd.toJSON()))).sample(4000, Rng.fromSeed(5));
    expect(again.observations).toEqual(s.observations);
    expect(again.actions).toEqual(s.actions);
    // Only the entangled region, explicitly weighted: every row lands there.
    expect([...pd.sample(200, Rng.fromSeed(1), { regionWeights: [0, 1] }).regions].every((r) => r === 1)).toBe(true);
    expect(() => pd.sample(10, Rng.fromSeed(1), { regionWeights: [1] })).toThrow(/regionWeights must be 2/);
  });

  it('conditions overlapping parent sets on each other (HookSweep2: grip shared by both boxes\' sets)', () => {
    const hook = makeDefinition('HookSweep2-v0');
    const rng = Rng.fromSeed(13);
    const n = 2500;
    const obs = new Float64Array(20 * n);
    const act = new Float64Array(4 * n);
    for (let i = 0; i < n; i++) {
      const o = obs.subarray(20 * i, 20 * (i + 1));
      const gx = rng.uniform(1.3, 2.3);
      o.set([gx, rng.uniform(0.3, 1.2), rng.uniform(0.42, 0.6)], 0);
      for (let d = 3; d < 6; d++) o[d] = 0.01 * rng.normal();
      // Boxes follow the gripper in x with independent noise and sit far apart in y (the "apart" region).
      o.set([gx + 0.05 * rng.normal(), 0.4 + 0.02 * rng.normal(), 0.425, 0.002 * rng.normal(), 0.002 * rng.normal()], 6);
      o.set([gx + 0.05 * rng.normal(), 1.0 + 0.02 * rng.normal(), 0.425, 0.002 * rng.normal(), 0.002 * rng.normal()], 11);
      o.set([1.85, 0.7, 1.85, 0.8], 16);
      for (let d = 0; d < 4; d++) act[4 * i + d] = rng.uniform(-1, 1);
    }
    const pd = fitParentDistribution(hook, { n, observations: obs, actions: act }, { components: 12, seed: 3, maxIterations: 60 });
    expect(pd.regions[0].sets.map((s) => s.names)).toEqual([['grip', 'action'], ['grip', 'box1', 'action'], ['grip', 'box2', 'action']]);
    const s = pd.sample(3000, Rng.fromSeed(6));
    const gx = col(s.observations, 20, 0);
    const b1 = col(s.observations, 20, 6);
    const b2 = col(s.observations, 20, 11);
    // Both boxes follow the sampled gripper, whichever set was drawn first.
    expect(corr(gx, b1)).toBeGreaterThan(0.85);
    expect(corr(gx, b2)).toBeGreaterThan(0.85);
    // Goals are no roots: left at 0 for the caller.
    expect(col(s.observations, 20, 16).every((v) => v === 0)).toBe(true);
    expect(s.regions.every((r) => r === 0)).toBe(true);
  });
});
