/**
 * MOCODA-U / MOCODA-P's rejection step (REFERENCE.md 5): proposals from the parent distribution are pushed toward
 * uniform over their support. A Gaussian kernel density (bandwidth 0.05) is fitted on the features of the last 10,000
 * proposals; each proposal gets the weight 1 / max(density, 0.01), the weights are scaled so that the expected
 * acceptance over the batch equals a target, and a proposal is kept when U < scaled weight. Dense regions are thinned,
 * sparse ones kept, so the accepted set is flatter than the proposals.
 *
 * The density sums only kernels within 4 bandwidths (a spatial hash of cells 4 bandwidths wide): the dropped tail is
 * below exp(-8) = 3e-4 of a kernel's peak, far under the 0.01 floor's effect, and it makes each density cost the
 * points of 3^d cells instead of all 10,000.
 */
import type { Rng } from '../../core/rng.js';

/** Settings of the rejection step. */
export interface KdeRejectionOptions {
  /** Number of features per proposal (2 for Navigation2D's (x, y), 4 for HookSweep2's two boxes' xy). */
  dims: number;
  /** Kernel bandwidth (the paper: 0.05). */
  bandwidth?: number;
  /** How many of the latest proposals the density is fitted on (the paper: 10,000). */
  window?: number;
  /** Density floor of the weights (the paper: 0.01). */
  floor?: number;
  /** Expected fraction of proposals kept per batch (default 0.2). */
  targetAcceptance?: number;
}

/** Kernels further than this many bandwidths away are ignored. */
const CUTOFF = 4;

/** A streaming KDE rejection filter: call filter() on successive proposal batches. */
export class KdeRejection {
  readonly dims: number;
  readonly bandwidth: number;
  readonly window: number;
  readonly floor: number;
  readonly targetAcceptance: number;
  private readonly buffer: Float64Array;
  private filled = 0;
  private head = 0;
  private proposed = 0;
  private kept = 0;

  constructor(options: KdeRejectionOptions) {
    this.dims = options.dims;
    this.bandwidth = options.bandwidth ?? 0.05;
    this.window = options.window ?? 10_000;
    this.floor = options.floor ?? 0.01;
    this.targetAcceptance = options.targetAcceptance ?? 0.2;
    if (!(Number.isInteger(this.dims) && this.dims >= 1 && this.dims <= 4)) throw new RangeError(`KDE dims must be 1-4, got ${this.dims}`);
    if (!(this.bandwidth > 0)) throw new RangeError('KDE bandwidth must be positive');
    if (!(this.targetAcceptance > 0 && this.targetAcceptance <= 1)) throw new RangeError('target acceptance must be in (0, 1]');
    this.buffer = new Float64Array(this.window * this.dims);
  }

  /** Fraction of all proposals seen so far that were kept. */
  get acceptance(): number {
    return this.proposed === 0 ? 0 : this.kept / this.proposed;
  }

  /**
   * Adds n proposals (rows of `dims` features) to the window, then decides each one: keep[i] = 1 when kept. The
   * density is the window's, including this batch, so the first batch is judged against itself.
   */
  filter(features: Float64Array, n: number, rng: Rng): Uint8Array {
    const D = this.dims;
    for (let i = 0; i < n; i++) {
      this.buffer.set(features.subarray(i * D, (i + 1) * D), this.head * D);
      this.head = (this.head + 1) % this.window;
      this.filled = Math.min(this.filled + 1, this.window);
    }
    const density = this.density(features, n);
    const weights = density.map((p) => 1 / Math.max(p, this.floor));
    const scale = scaleForAcceptance(weights, this.targetAcceptance);
    const keep = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (rng.random() < weights[i] * scale) { keep[i] = 1; this.kept++; }
    }
    this.proposed += n;
    return keep;
  }

  /** Gaussian KDE density (normalised, bandwidth h in every dimension) of the window at n query rows. */
  density(queries: Float64Array, n: number): Float64Array {
    const D = this.dims;
    const h = this.bandwidth;
    const cell = CUTOFF * h;
    const N = this.filled;
    // Cells are keyed by their integer coordinates packed into one number (2^12 cells per axis, offset to be positive).
    const K = 4096;
    const key = (c: ArrayLike<number>) => {
      let k = 0;
      for (let d = 0; d < D; d++) k = k * K + ((((c[d] % K) + K) % K));
      return k;
    };
    const cells = new Map<number, number[]>();
    const coord = new Array<number>(D);
    for (let j = 0; j < N; j++) {
      for (let d = 0; d < D; d++) coord[d] = Math.floor(this.buffer[j * D + d] / cell);
      const k = key(coord);
      const list = cells.get(k);
      if (list) list.push(j); else cells.set(k, [j]);
    }
    const norm = 1 / (N * (2 * Math.PI * h * h) ** (D / 2));
    const inv = 1 / (2 * h * h);
    const cut2 = cell * cell;
    const out = new Float64Array(n);
    const base = new Array<number>(D);
    const offsets = 3 ** D;
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < D; d++) base[d] = Math.floor(queries[i * D + d] / cell);
      let sum = 0;
      for (let o = 0; o < offsets; o++) {
        let r = o;
        for (let d = 0; d < D; d++) { coord[d] = base[d] + (r % 3) - 1; r = Math.floor(r / 3); }
        const list = cells.get(key(coord));
        if (!list) continue;
        for (const j of list) {
          let d2 = 0;
          for (let d = 0; d < D; d++) { const diff = queries[i * D + d] - this.buffer[j * D + d]; d2 += diff * diff; }
          if (d2 <= cut2) sum += Math.exp(-d2 * inv);
        }
      }
      out[i] = sum * norm;
    }
    return out;
  }
}

/**
 * The factor c with mean(min(1, c * w)) = target (bisection on log c; the mean is monotone in c). When even c large
 * enough to keep everything is needed, returns that c.
 */
export function scaleForAcceptance(weights: Float64Array, target: number): number {
  const n = weights.length;
  if (n === 0) return 1;
  let maxW = 0;
  let minW = Infinity;
  for (const w of weights) { maxW = Math.max(maxW, w); minW = Math.min(minW, w); }
  const mean = (c: number) => {
    let s = 0;
    for (const w of weights) s += Math.min(1, c * w);
    return s / n;
  };
  let lo = Math.log(1e-12 / maxW);
  let hi = Math.log(1 / minW);
  if (mean(Math.exp(hi)) <= target) return Math.exp(hi);
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    if (mean(Math.exp(mid)) < target) lo = mid; else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}
