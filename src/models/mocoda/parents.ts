/**
 * MOCODA's parent distribution (REFERENCE.md 5): for every local region of the causal structure, one diagonal
 * Gaussian mixture per parent set, fitted on the data rows that fall in that region. A sample picks a region, visits
 * the region's parent sets in random order, draws a set jointly when none of its variables is set yet and otherwise
 * conditionally on the ones already set (sets overlap in HookSweep2), and is kept only when the generated (s, a)
 * falls in the region it was generated for; otherwise it is redrawn. Sets that share no variable are drawn
 * independently, which is what breaks spurious dependence between them in the data.
 */
import type { EnvDefinition } from '../../core/definition.js';
import { Rng } from '../../core/rng.js';
import { DiagonalGmm, type GmmFitOptions, type GmmJson } from './gmm.js';
import { dimsOfRoots, mocodaLayout, rootVectors, scatterRoots, type MocodaLayout } from './layout.js';

/** Fitting options: the mixture settings plus a cap on the rows each mixture sees. */
export interface ParentFitOptions extends GmmFitOptions {
  /** At most this many rows (a seeded random subset) per region are used for fitting. Default 200,000. */
  maxRows?: number;
}

/** Sampling options (defaults follow the reference at generation). */
export interface ParentSampleOptions {
  /** Pick mixture components uniformly, not by weight. Default true. */
  uniformWeights?: boolean;
  /** Truncate every drawn dimension at +- this many component stds. Default 2.5. */
  truncate?: number;
  /** How regions are chosen: "data" (default, proportional to their rows), "uniform", or explicit weights. */
  regionWeights?: 'data' | 'uniform' | readonly number[];
  /** Give up (throw) after this many draws per requested row. Default 1000. */
  maxAttemptsPerRow?: number;
}

/** Samples of roots: observations with every root entry set (others 0, e.g. HookSweep2's goals) and actions. */
export interface ParentSamples {
  n: number;
  /** n x obsSize; entries that are no root's are 0 for callers to fill. */
  observations: Float64Array;
  /** n x actionSize. */
  actions: Float64Array;
  /** n x rootDim, the root vectors themselves. */
  roots: Float64Array;
  /** Region each row was generated for (and lies in). */
  regions: Uint8Array;
  /** Accepted / drawn over all rows. */
  acceptance: number;
  /** The same per region (NaN for regions never drawn). */
  regionAcceptance: number[];
}

/** One parent set's mixture. */
export interface ParentSetModel {
  /** Root indices (sorted). */
  roots: number[];
  names: string[];
  /** Root-vector entries the mixture covers, in order. */
  dims: number[];
  gmm: DiagonalGmm;
}

/** One region's fitted sets. */
export interface ParentRegion {
  name: string;
  /** Data rows that fell in the region. */
  rows: number;
  /** Empty when the region had no data (it is then never sampled). */
  sets: ParentSetModel[];
}

/** The plain-data form of a parent distribution (JSON-safe). */
export interface ParentDistributionJson {
  env: string;
  regions: Array<{ name: string; rows: number; sets: Array<{ roots: number[]; gmm: GmmJson }> }>;
}

/** A fitted parent distribution for one environment definition. */
export class ParentDistribution {
  readonly layout: MocodaLayout;

  constructor(readonly def: EnvDefinition, readonly regions: ParentRegion[]) {
    this.layout = mocodaLayout(def);
    if (regions.length !== this.layout.regions.length) throw new Error(`${def.id} has ${this.layout.regions.length} regions, got ${regions.length}`);
  }

  /** Rebuilds a distribution from toJSON(). */
  static fromJSON(def: EnvDefinition, j: ParentDistributionJson): ParentDistribution {
    if (j.env !== def.id) throw new Error(`parent distribution is for ${j.env}, not ${def.id}`);
    const layout = mocodaLayout(def);
    return new ParentDistribution(def, j.regions.map((r) => ({
      name: r.name,
      rows: r.rows,
      sets: r.sets.map((s) => ({ roots: [...s.roots], names: s.roots.map((k) => layout.roots[k].name), dims: dimsOfRoots(layout, s.roots), gmm: DiagonalGmm.fromJSON(s.gmm) })),
    })));
  }

  /** The plain-data form. */
  toJSON(): ParentDistributionJson {
    return { env: this.def.id, regions: this.regions.map((r) => ({ name: r.name, rows: r.rows, sets: r.sets.map((s) => ({ roots: [...s.roots], gmm: s.gmm.toJSON() })) })) };
  }

  /** n samples of (state part of the observation, action); see the module comment. */
  sample(n: number, rng: Rng, options: ParentSampleOptions = {}): ParentSamples {
    if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`n must be a non-negative integer, got ${n}`);
    const L = this.layout;
    const G = this.regions.length;
    const weights = this.regionWeights(options.regionWeights ?? 'data');
    const gmmOpts = { uniformWeights: options.uniformWeights ?? true, truncate: options.truncate ?? 2.5 };
    const maxDraws = (options.maxAttemptsPerRow ?? 1000) * Math.max(n, 1);
    const want = new Uint8Array(n);
    for (let i = 0; i < n; i++) want[i] = pickIndex(weights, rng);
    const roots = new Float64Array(n * L.rootDim);
    const drawn = new Float64Array(G);
    const accepted = new Float64Array(G);
    let pending = Int32Array.from({ length: n }, (_, i) => i);
    let draws = 0;
    const row = new Float64Array(L.rootDim);
    while (pending.length > 0) {
      const k = pending.length;
      const batch = new Float64Array(k * L.rootDim);
      for (let j = 0; j < k; j++) {
        this.drawRoots(want[pending[j]], rng, gmmOpts, row);
        batch.set(row, j * L.rootDim);
      }
      draws += k;
      const obs = new Float64Array(k * L.obsSize);
      const act = new Float64Array(k * L.actionSize);
      scatterRoots(L, batch, k, obs, act);
      const got = new Uint8Array(k);
      this.def.causal!.region(obs, act, k, got);
      const next: number[] = [];
      for (let j = 0; j < k; j++) {
        const i = pending[j];
        drawn[want[i]] += 1;
        if (got[j] === want[i]) {
          accepted[want[i]] += 1;
          roots.set(batch.subarray(j * L.rootDim, (j + 1) * L.rootDim), i * L.rootDim);
        } else next.push(i);
      }
      pending = Int32Array.from(next);
      if (pending.length > 0 && draws >= maxDraws) {
        const rates = this.regions.map((r, g) => `${r.name} ${drawn[g] ? ((100 * accepted[g]) / drawn[g]).toFixed(2) : '-'}%`).join(', ');
        throw new Error(`parent sampling gave up after ${draws} draws for ${n} rows: too few generated parents land in the region they were generated for (acceptance ${rates}); lower that region's weight with regionWeights`);
      }
    }
    const observations = new Float64Array(n * L.obsSize);
    const actions = new Float64Array(n * L.actionSize);
    scatterRoots(L, roots, n, observations, actions);
    const total = accepted.reduce((a, b) => a + b, 0);
    const all = drawn.reduce((a, b) => a + b, 0);
    return {
      n,
      observations,
      actions,
      roots,
      regions: want,
      acceptance: all > 0 ? total / all : 1,
      regionAcceptance: [...drawn].map((d, g) => (d > 0 ? accepted[g] / d : NaN)),
    };
  }

  /** One root vector for region g (written into out). */
  private drawRoots(g: number, rng: Rng, opts: { uniformWeights: boolean; truncate: number }, out: Float64Array): void {
    const sets = this.regions[g].sets;
    const isSet = new Uint8Array(this.layout.roots.length);
    const order = Int32Array.from({ length: sets.length }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.integer(0, i);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    out.fill(0);
    for (const s of order) {
      const set = sets[s];
      const known = set.dims.map((d) => isSet[this.layout.rootOfDim[d]]);
      if (known.every((k) => k === 1)) continue;
      const x = Float64Array.from(set.dims, (d) => out[d]);
      set.gmm.sampleConditional(x, known, rng, opts);
      set.dims.forEach((d, j) => {
        out[d] = x[j];
      });
      for (const r of set.roots) isSet[r] = 1;
    }
  }

  private regionWeights(spec: 'data' | 'uniform' | readonly number[]): number[] {
    const G = this.regions.length;
    let w: number[];
    if (spec === 'data') w = this.regions.map((r) => r.rows);
    else if (spec === 'uniform') w = this.regions.map((r) => (r.sets.length > 0 ? 1 : 0));
    else {
      if (spec.length !== G || spec.some((x) => !(x >= 0))) throw new RangeError(`regionWeights must be ${G} non-negative numbers (${this.regions.map((r) => r.name).join(', ')})`);
      w = [...spec];
    }
    w = w.map((x, g) => (this.regions[g].sets.length > 0 ? x : 0));
    const total = w.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new Error('no region with data has a positive weight: nothing to sample');
    return w.map((x) => x / total);
  }
}

/**
 * Fits one mixture per parent set of every region on the data rows of that region. Every root must belong to some
 * parent set of each region with data (otherwise a sample would leave it unset).
 */
export function fitParentDistribution(def: EnvDefinition, data: { n: number; observations: Float64Array; actions: Float64Array }, options: ParentFitOptions = {}): ParentDistribution {
  const L = mocodaLayout(def);
  const n = data.n;
  if (!(n >= 1) || data.observations.length < n * L.obsSize || data.actions.length < n * L.actionSize) {
    throw new RangeError(`fitting needs n >= 1 rows of ${L.obsSize} observation and ${L.actionSize} action values`);
  }
  const roots = rootVectors(L, data.observations, data.actions, n);
  const region = new Uint8Array(n);
  def.causal!.region(data.observations, data.actions, n, region);
  const rng = Rng.fromSeed(options.seed ?? 0);
  const maxRows = options.maxRows ?? 200000;
  const regions: ParentRegion[] = L.regions.map((info, g) => {
    let rows: number[] = [];
    for (let i = 0; i < n; i++) if (region[i] === g) rows.push(i);
    const count = rows.length;
    if (count === 0) return { name: info.name, rows: 0, sets: [] };
    const covered = new Set(info.parentSets.flat());
    if (covered.size !== L.roots.length) {
      const missing = L.roots.filter((_, r) => !covered.has(r)).map((r) => r.name);
      throw new Error(`region ${info.name} of ${def.id}: roots ${missing.join(', ')} are in no parent set, so samples could not set them`);
    }
    if (rows.length > maxRows) {
      for (let i = 0; i < maxRows; i++) {
        const j = rng.integer(i, rows.length - 1);
        const t = rows[i];
        rows[i] = rows[j];
        rows[j] = t;
      }
      rows = rows.slice(0, maxRows);
    }
    const sets = info.parentSets.map((rootIdx, s) => {
      const dims = dimsOfRoots(L, rootIdx);
      const x = new Float64Array(rows.length * dims.length);
      rows.forEach((i, j) => dims.forEach((d, c) => {
        x[j * dims.length + c] = roots[i * L.rootDim + d];
      }));
      const gmm = DiagonalGmm.fit(x, rows.length, dims.length, { ...options, seed: (options.seed ?? 0) * 1000 + g * 100 + s });
      return { roots: [...rootIdx], names: rootIdx.map((r) => L.roots[r].name), dims, gmm };
    });
    return { name: info.name, rows: count, sets };
  });
  return new ParentDistribution(def, regions);
}

function pickIndex(p: readonly number[], rng: Rng): number {
  let u = rng.random();
  for (let g = 0; g < p.length - 1; g++) {
    u -= p[g];
    if (u < 0) return g;
  }
  // Rounding leaves u barely positive: fall back to the last region with weight.
  for (let g = p.length - 1; g >= 0; g--) if (p[g] > 0) return g;
  return 0;
}
