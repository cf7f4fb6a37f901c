/**
 * Shared NN helpers: the backend is chosen and reported, the explicit-transpose gradient equals the analytic one,
 * Adam matches a hand-written reference, ensemble parameters are seeded per member and round-trip through their
 * stacked form, and the schedule follows PerSim's milestones.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, EnsembleParams, ensureBackend, learningRateAt, linearInit, matMul2d, persimSchedule, setExplicitTransposeGrad, tf } from '../../src/models/nn/index.js';

beforeAll(async () => {
  await ensureBackend();
});

describe('backend', () => {
  it('uses wasm here (tfjs-node is not installed) and says why', async () => {
    const info = await ensureBackend();
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.reason).toMatch(/tfjs-node not installed/);
  });
});

describe('matMul2d', () => {
  it('has the analytic gradients of L = sum(W * (A B)): dA = W B^T, dB = A^T W, with either gradient path', () => {
    const A = [[1, 2, 3], [4, 5, 6]];
    const B = [[1, -1], [0, 2], [3, 1]];
    const W = [[1, 2], [3, 4]];
    const dA = A.map((_, i) => A[0].map((_, k) => W[i][0] * B[k][0] + W[i][1] * B[k][1]));
    const dB = B.map((_, k) => B[0].map((_, j) => A[0][k] * W[0][j] + A[1][k] * W[1][j]));
    for (const explicit of [true, false]) {
      setExplicitTransposeGrad(explicit);
      const [ga, gb] = tf.tidy(() => {
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.tensor2d(W), matMul2d(a as tf.Tensor2D, b as tf.Tensor2D))));
        return g([tf.tensor2d(A), tf.tensor2d(B)]).map((t) => t.arraySync() as number[][]);
      });
      expect(ga).toEqual(dA);
      expect(gb).toEqual(dB);
    }
    setExplicitTransposeGrad(true);
  });
});

describe('Adam', () => {
  it('matches a scalar reference implementation over several steps with a changing learning rate', () => {
    const c = [0.5, -2, 3];
    const x = tf.variable(tf.tensor1d([0, 0, 0]));
    const opt = new Adam([x]);
    const ref = [0, 0, 0];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    const lrs = [0.1, 0.1, 0.05, 0.05, 0.025];
    lrs.forEach((lr, step) => {
      const loss = opt.step(() => tf.sum(tf.square(tf.sub(x, tf.tensor1d(c)))) as tf.Scalar, lr);
      loss.dispose();
      const t = step + 1;
      for (let k = 0; k < 3; k++) {
        const g = 2 * (ref[k] - c[k]);
        m[k] = 0.9 * m[k] + 0.1 * g;
        v[k] = 0.999 * v[k] + 0.001 * g * g;
        ref[k] -= (lr * (m[k] / (1 - 0.9 ** t))) / (Math.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8);
      }
    });
    const got = Array.from(x.dataSync());
    got.forEach((g, k) => expect(g).toBeCloseTo(ref[k], 5));
    // Adam's first steps move each coordinate by about lr toward its target.
    expect(got[0]).toBeGreaterThan(0.2);
    expect(got[1]).toBeLessThan(-0.2);
    opt.dispose();
    x.dispose();
  });
});

describe('EnsembleParams', () => {
  it('draws different members from one seed, replays the seed, and round-trips the stacked form', () => {
    const a = new EnsembleParams(3, 7);
    a.add('w', [4, 2], linearInit(4));
    const b = new EnsembleParams(3, 7);
    b.add('w', [4, 2], linearInit(4));
    const sa = a.exportStacked()[0];
    expect(sa.shape).toEqual([3, 4, 2]);
    expect(Array.from(b.exportStacked()[0].data)).toEqual(Array.from(sa.data));
    expect(Array.from(sa.data.subarray(0, 8))).not.toEqual(Array.from(sa.data.subarray(8, 16)));
    for (const x of sa.data) expect(Math.abs(x)).toBeLessThanOrEqual(0.5);
    const c = new EnsembleParams(3, 8);
    c.add('w', [4, 2], linearInit(4));
    c.importStacked([sa]);
    expect(Array.from(c.get('w', 2).dataSync())).toEqual(Array.from(sa.data.subarray(16, 24)));
    expect(() => c.importStacked([{ ...sa, shape: [3, 2, 4] }])).toThrow(/shape \[3,2,4\].*needs \[3,4,2\]/);
    expect(() => c.importStacked([])).toThrow(/lack parameter w/);
    for (const p of [a, b, c]) p.dispose();
  });
});

describe('schedule', () => {
  it('halves after epochs 150 and 300 of a 300-epoch run, scaled for shorter runs', () => {
    const full = persimSchedule(300);
    expect(full.milestones).toEqual([150, 300]);
    expect([0, 149, 150, 299].map((e) => learningRateAt(full, e))).toEqual([1e-3, 1e-3, 5e-4, 5e-4]);
    expect(persimSchedule(30).milestones).toEqual([15, 30]);
  });
});
