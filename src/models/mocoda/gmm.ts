/**
 * Diagonal Gaussian mixtures for MOCODA's parent distribution (REFERENCE.md 5): EM from a k-means++ / Lloyd start,
 * a variance floor, joint sampling with per-dimension truncation, and conditional sampling given some dimensions
 * (posterior component weights from the known dimensions' densities, the rest drawn from that component, which is
 * exact for a diagonal mixture). Plain float64 JavaScript: the data per parent set are a few dimensions, where a
 * backend round trip would cost more than the arithmetic.
 */
import { Rng } from '../../core/rng.js';

/** EM settings. */
export interface GmmFitOptions {
  /** Number of components (clamped to the number of rows). Default 32. */
  components?: number;
  /** Lower bound of every variance, in the data's units. Default 1e-4. */
  varianceFloor?: number;
  /** EM iterations at most. Default 100. */
  maxIterations?: number;
  /** Stop when the mean log-likelihood per row improves by less than this. Default 1e-5. */
  tolerance?: number;
  /** Seed of the k-means++ start. Default 0. */
  seed?: number;
  /** Lloyd iterations of the k-means start (on at most 20,000 rows). Default 20. */
  kmeansIterations?: number;
}

/** How to draw from a mixture. */
export interface GmmSampleOptions {
  /** Pick components uniformly instead of by weight (MOCODA does at generation). Default false. */
  uniformWeights?: boolean;
  /**
   * Redraw any standard-normal draw beyond this many standard deviations of its component (MOCODA: 2.5). Default
   * Infinity (no truncation).
   */
  truncate?: number;
}

/** The plain-data form of a mixture (JSON-safe). */
export interface GmmJson {
  dims: number;
  weights: number[];
  means: number[];
  variances: number[];
}

/** What a fit reports besides the mixture. */
export interface GmmFitInfo {
  iterations: number;
  converged: boolean;
  /** Mean log-likelihood per row at the end. */
  logLikelihood: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** A mixture of K Gaussians with diagonal covariances over `dims` dimensions. */
export class DiagonalGmm {
  readonly components: number;
  /** Component probabilities [K]. */
  readonly weights: Float64Array;
  /** Component means [K x dims]. */
  readonly means: Float64Array;
  /** Component variances [K x dims]. */
  readonly variances: Float64Array;
  /** Filled by fit(). */
  fitInfo: GmmFitInfo | null = null;

  /** weights [K], means [K x dims], variances [K x dims] (copied). Weights are renormalised to sum to 1. */
  constructor(readonly dims: number, weights: ArrayLike<number>, means: ArrayLike<number>, variances: ArrayLike<number>) {
    const K = weights.length;
    if (!(Number.isInteger(dims) && dims >= 1) || K < 1) throw new RangeError('a mixture needs at least one dimension and one component');
    if (means.length !== K * dims || variances.length !== K * dims) throw new RangeError(`means and variances must have ${K} x ${dims} entries`);
    let total = 0;
    for (let k = 0; k < K; k++) {
      if (!(weights[k] >= 0)) throw new RangeError('mixture weights must be non-negative');
      total += weights[k];
    }
    if (!(total > 0)) throw new RangeError('mixture weights must not all be zero');
    for (let j = 0; j < K * dims; j++) if (!(variances[j] > 0)) throw new RangeError('mixture variances must be positive');
    this.components = K;
    this.weights = Float64Array.from(weights, (w) => w / total);
    this.means = Float64Array.from(means);
    this.variances = Float64Array.from(variances);
  }

  /** Fits a mixture to n rows of `dims` values (row-major) by EM. */
  static fit(data: Float64Array, n: number, dims: number, options: GmmFitOptions = {}): DiagonalGmm {
    if (n < 1) throw new RangeError('cannot fit a mixture to zero rows');
    if (data.length < n * dims) throw new RangeError(`data has ${data.length} values, fewer than ${n} x ${dims}`);
    const K = Math.max(1, Math.min(options.components ?? 32, n));
    const floor = options.varianceFloor ?? 1e-4;
    const maxIt = options.maxIterations ?? 100;
    const tol = options.tolerance ?? 1e-5;
    const rng = Rng.fromSeed(options.seed ?? 0);
    const D = dims;
    // Global variance: the fallback for components that start (or end up) with fewer than two rows.
    const gMean = new Float64Array(D);
    const gVar = new Float64Array(D);
    for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) gMean[d] += data[i * D + d] / n;
    for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) gVar[d] += (data[i * D + d] - gMean[d]) ** 2 / n;
    for (let d = 0; d < D; d++) gVar[d] = Math.max(gVar[d], floor);

    const centers = kmeans(data, n, D, K, rng, options.kmeansIterations ?? 20);
    // Hard assignment of every row to its nearest centre gives the starting weights, means and variances.
    const w = new Float64Array(K);
    const mu = new Float64Array(K * D);
    const va = new Float64Array(K * D);
    const assign = new Int32Array(n);
    for (let i = 0; i < n; i++) assign[i] = nearest(data, i, D, centers, K);
    for (let i = 0; i < n; i++) {
      const k = assign[i];
      w[k] += 1;
      for (let d = 0; d < D; d++) mu[k * D + d] += data[i * D + d];
    }
    for (let k = 0; k < K; k++) for (let d = 0; d < D; d++) mu[k * D + d] = w[k] > 0 ? mu[k * D + d] / w[k] : centers[k * D + d];
    for (let i = 0; i < n; i++) {
      const k = assign[i];
      for (let d = 0; d < D; d++) va[k * D + d] += (data[i * D + d] - mu[k * D + d]) ** 2;
    }
    for (let k = 0; k < K; k++) {
      for (let d = 0; d < D; d++) va[k * D + d] = w[k] >= 2 ? Math.max(va[k * D + d] / w[k], floor) : gVar[d];
      w[k] = Math.max(w[k], 1) / n;
    }

    const resp = new Float64Array(n * K);
    let prev = -Infinity;
    let ll = -Infinity;
    let it = 0;
    let converged = false;
    const logNorm = new Float64Array(K);
    for (; it < maxIt; it++) {
      // E step: responsibilities in log space, normalised with log-sum-exp per row.
      for (let k = 0; k < K; k++) {
        let s = Math.log(w[k]);
        for (let d = 0; d < D; d++) s -= 0.5 * (LOG_2PI + Math.log(va[k * D + d]));
        logNorm[k] = s;
      }
      let total = 0;
      for (let i = 0; i < n; i++) {
        let best = -Infinity;
        for (let k = 0; k < K; k++) {
          let s = logNorm[k];
          for (let d = 0; d < D; d++) {
            const z = data[i * D + d] - mu[k * D + d];
            s -= (0.5 * z * z) / va[k * D + d];
          }
          resp[i * K + k] = s;
          if (s > best) best = s;
        }
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const e = Math.exp(resp[i * K + k] - best);
          resp[i * K + k] = e;
          sum += e;
        }
        for (let k = 0; k < K; k++) resp[i * K + k] /= sum;
        total += best + Math.log(sum);
      }
      ll = total / n;
      if (ll - prev < tol && it > 0) {
        converged = true;
        break;
      }
      prev = ll;
      // M step.
      w.fill(0);
      mu.fill(0);
      va.fill(0);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < K; k++) {
          const r = resp[i * K + k];
          if (r === 0) continue;
          w[k] += r;
          for (let d = 0; d < D; d++) mu[k * D + d] += r * data[i * D + d];
        }
      }
      for (let k = 0; k < K; k++) for (let d = 0; d < D; d++) mu[k * D + d] = w[k] > 1e-10 ? mu[k * D + d] / w[k] : 0;
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < K; k++) {
          const r = resp[i * K + k];
          if (r === 0) continue;
          for (let d = 0; d < D; d++) va[k * D + d] += r * (data[i * D + d] - mu[k * D + d]) ** 2;
        }
      }
      for (let k = 0; k < K; k++) {
        if (w[k] > 1e-10) {
          for (let d = 0; d < D; d++) va[k * D + d] = Math.max(va[k * D + d] / w[k], floor);
          w[k] /= n;
        } else {
          // A component that lost every row restarts on a random row with the global spread.
          const i = rng.integer(0, n - 1);
          for (let d = 0; d < D; d++) {
            mu[k * D + d] = data[i * D + d];
            va[k * D + d] = gVar[d];
          }
          w[k] = 1 / n;
        }
      }
    }
    const g = new DiagonalGmm(D, w, mu, va);
    g.fitInfo = { iterations: it, converged, logLikelihood: ll };
    return g;
  }

  /** Rebuilds a mixture from toJSON(). */
  static fromJSON(j: GmmJson): DiagonalGmm {
    return new DiagonalGmm(j.dims, j.weights, j.means, j.variances);
  }

  /** The plain-data form. */
  toJSON(): GmmJson {
    return { dims: this.dims, weights: [...this.weights], means: [...this.means], variances: [...this.variances] };
  }

  /** Log density of one row x (length dims). */
  logDensity(x: ArrayLike<number>): number {
    const post = new Float64Array(this.components);
    const all = new Uint8Array(this.dims).fill(1);
    return this.logJoint(x, all, false, post);
  }

  /**
   * Posterior component probabilities given the dimensions flagged in `known` (x's other entries are ignored).
   * With nothing known they are the weights (uniform ones when asked).
   */
  posterior(x: ArrayLike<number>, known: ArrayLike<number | boolean>, uniformWeights = false): Float64Array {
    const post = new Float64Array(this.components);
    this.logJoint(x, known, uniformWeights, post);
    return post;
  }

  /** n independent rows (n x dims). */
  sample(n: number, rng: Rng, options: GmmSampleOptions = {}): Float64Array {
    const out = new Float64Array(n * this.dims);
    const none = new Uint8Array(this.dims);
    const row = new Float64Array(this.dims);
    for (let i = 0; i < n; i++) {
      this.sampleConditional(row, none, rng, options);
      out.set(row, i * this.dims);
    }
    return out;
  }

  /**
   * Completes one row in place: the dimensions flagged in `known` stay, a component is drawn from the posterior given
   * them, and every other dimension is drawn from that component (truncated as asked). Returns the component.
   */
  sampleConditional(x: Float64Array, known: ArrayLike<number | boolean>, rng: Rng, options: GmmSampleOptions = {}): number {
    const post = this.posterior(x, known, options.uniformWeights ?? false);
    let u = rng.random();
    let k = 0;
    for (; k < this.components - 1; k++) {
      u -= post[k];
      if (u < 0) break;
    }
    const limit = options.truncate ?? Infinity;
    for (let d = 0; d < this.dims; d++) {
      if (known[d]) continue;
      let z = rng.normal();
      while (Math.abs(z) > limit) z = rng.normal();
      x[d] = this.means[k * this.dims + d] + z * Math.sqrt(this.variances[k * this.dims + d]);
    }
    return k;
  }

  /** Writes normalised posteriors into `post` and returns the log of the known dimensions' marginal density. */
  private logJoint(x: ArrayLike<number>, known: ArrayLike<number | boolean>, uniform: boolean, post: Float64Array): number {
    const K = this.components;
    const D = this.dims;
    let best = -Infinity;
    for (let k = 0; k < K; k++) {
      let s = uniform ? -Math.log(K) : Math.log(this.weights[k]);
      for (let d = 0; d < D; d++) {
        if (!known[d]) continue;
        const v = this.variances[k * D + d];
        const z = x[d] - this.means[k * D + d];
        s -= 0.5 * (LOG_2PI + Math.log(v) + (z * z) / v);
      }
      post[k] = s;
      if (s > best) best = s;
    }
    let sum = 0;
    for (let k = 0; k < K; k++) {
      post[k] = best === -Infinity ? 1 : Math.exp(post[k] - best);
      sum += post[k];
    }
    for (let k = 0; k < K; k++) post[k] /= sum;
    return best + Math.log(sum);
  }
}

/** Squared distance of row i to centre k. */
function dist2(data: Float64Array, i: number, D: number, centers: Float64Array, k: number): number {
  let s = 0;
  for (let d = 0; d < D; d++) {
    const z = data[i * D + d] - centers[k * D + d];
    s += z * z;
  }
  return s;
}

function nearest(data: Float64Array, i: number, D: number, centers: Float64Array, K: number): number {
  let bestK = 0;
  let best = Infinity;
  for (let k = 0; k < K; k++) {
    const s = dist2(data, i, D, centers, k);
    if (s < best) {
      best = s;
      bestK = k;
    }
  }
  return bestK;
}

/**
 * K centres by k-means++ seeding and Lloyd iterations on a random subsample of at most 20,000 rows (the start only
 * needs to be reasonable; EM refines it on every row).
 */
function kmeans(all: Float64Array, n: number, D: number, K: number, rng: Rng, iterations: number): Float64Array {
  const m = Math.min(n, 20000);
  let data = all;
  if (m < n) {
    // Partial Fisher-Yates: the first m entries of a shuffled index list.
    const idx = Int32Array.from({ length: n }, (_, i) => i);
    data = new Float64Array(m * D);
    for (let i = 0; i < m; i++) {
      const j = rng.integer(i, n - 1);
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
      for (let d = 0; d < D; d++) data[i * D + d] = all[idx[i] * D + d];
    }
  }
  const centers = new Float64Array(K * D);
  const first = rng.integer(0, m - 1);
  for (let d = 0; d < D; d++) centers[d] = data[first * D + d];
  const d2 = new Float64Array(m).fill(Infinity);
  for (let k = 1; k < K; k++) {
    let total = 0;
    for (let i = 0; i < m; i++) {
      d2[i] = Math.min(d2[i], dist2(data, i, D, centers, k - 1));
      total += d2[i];
    }
    let pick = rng.integer(0, m - 1);
    if (total > 0) {
      let u = rng.random() * total;
      for (let i = 0; i < m; i++) {
        u -= d2[i];
        if (u < 0) {
          pick = i;
          break;
        }
      }
    }
    for (let d = 0; d < D; d++) centers[k * D + d] = data[pick * D + d];
  }
  const assign = new Int32Array(m).fill(-1);
  const sums = new Float64Array(K * D);
  const counts = new Float64Array(K);
  for (let it = 0; it < iterations; it++) {
    let changed = 0;
    for (let i = 0; i < m; i++) {
      const k = nearest(data, i, D, centers, K);
      if (k !== assign[i]) changed++;
      assign[i] = k;
    }
    if (changed === 0) break;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < m; i++) {
      counts[assign[i]] += 1;
      for (let d = 0; d < D; d++) sums[assign[i] * D + d] += data[i * D + d];
    }
    for (let k = 0; k < K; k++) if (counts[k] > 0) for (let d = 0; d < D; d++) centers[k * D + d] = sums[k * D + d] / counts[k];
  }
  return centers;
}
