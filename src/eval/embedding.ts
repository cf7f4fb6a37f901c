/**
 * A 2-D view of learned agent factors: principal component analysis of the codes (agents x code size) by power
 * iteration with deflation, which is plenty for code sizes up to a few hundred.
 */

/** The n x 2 projection of n row vectors of width k onto their first two principal components. */
export function pca2(rows: Float32Array | Float64Array, n: number, k: number): Float64Array {
  const mean = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) mean[j] += rows[i * k + j] / n;
  const X = Float64Array.from({ length: n * k }, (_, idx) => rows[idx] - mean[idx % k]);
  const cov = new Float64Array(k * k);
  for (let i = 0; i < n; i++) for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) cov[a * k + b] += (X[i * k + a] * X[i * k + b]) / Math.max(1, n - 1);
  const out = new Float64Array(n * 2);
  for (let c = 0; c < Math.min(2, k); c++) {
    // Deterministic start so plots are reproducible.
    let v = Float64Array.from({ length: k }, (_, j) => 1 / Math.sqrt(k) + j * 1e-3);
    let lambda = 0;
    for (let it = 0; it < 500; it++) {
      const w = new Float64Array(k);
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) w[a] += cov[a * k + b] * v[b];
      const norm = Math.hypot(...w);
      if (norm === 0) break;
      lambda = norm;
      v = w.map((x) => x / norm);
    }
    for (let i = 0; i < n; i++) {
      let p = 0;
      for (let j = 0; j < k; j++) p += X[i * k + j] * v[j];
      out[i * 2 + c] = p;
    }
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) cov[a * k + b] -= lambda * v[a] * v[b];
  }
  return out;
}
