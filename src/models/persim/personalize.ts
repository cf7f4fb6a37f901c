/**
 * Personalising a trained model to a NEW agent (an unseen context) from a short trajectory: every encoder is frozen and
 * only the agent's code is fitted (u, r numbers per member for PerSim; the agent's first-layer row for the
 * unfactorized ablation). The code starts from the mean of the trained agents' codes, so with no data the model
 * predicts for an "average" agent, and it is fitted full-batch with Adam.
 *
 * The fit uses a Huber loss (threshold 0.1) on residuals scaled per dimension (by the training standardisation, or by
 * the std of the given deltas for raw-unit models), not the training's squared loss. A short trajectory has too few
 * rows to average out a rare discontinuity. One MountainCar transition into the left wall (velocity reset to 0, a
 * 30-sigma delta) among 200 rows pulled a squared-loss fit far off: open-loop RMSE 1.2e-2, against 4e-4 from 50 clean
 * rows and 7e-4 from the same 200 rows with this loss. Only r numbers per member are fitted, and a robust loss pins them
 * down as well.
 */
import { Adam } from '../nn/adam.js';
import { tf } from '../nn/backend.js';
import type { PersimNetwork } from './network.js';

/** A short trajectory of the new agent (row-major, like a Dataset's arrays). */
export interface PersonalizationData {
  n: number;
  observations: Float64Array;
  actions: Float64Array;
  nextObservations: Float64Array;
}

/** Fitting settings. */
export interface PersonalizeOptions {
  /** Full-batch Adam steps (default 300). */
  steps?: number;
  /** Learning rate (default 0.01: only r numbers per member move, and they start near good values). */
  learningRate?: number;
  /** Huber threshold in scaled units (default 0.1). */
  huberDelta?: number;
}

/** The fitted codes and the loss before and after. */
export interface Personalization {
  /** [M, codeSize] agent codes, one per member. */
  codes: Float32Array;
  initialLoss: number;
  finalLoss: number;
  transitions: number;
}

/** The mean trained code per member ([M, codeSize]): the starting point of a new agent. */
export function meanCodes(net: PersimNetwork): Float32Array {
  const M = net.hyper.members;
  const N = net.shape.numAgents;
  const S = net.codeSize;
  const all = net.trainedCodes();
  const out = new Float32Array(M * S);
  for (let m = 0; m < M; m++) for (let a = 0; a < N; a++) for (let k = 0; k < S; k++) out[m * S + k] += all[(m * N + a) * S + k] / N;
  return out;
}

/** Fits a new agent's codes with the network frozen. */
export function personalize(net: PersimNetwork, data: PersonalizationData, options: PersonalizeOptions = {}): Personalization {
  if (net.codeSize === 0) throw new Error('the unpersonalized ablation has no agent code to fit; it predicts the same for every agent');
  if (data.n < 1) throw new Error('personalisation needs at least one transition');
  const M = net.hyper.members;
  const S = net.codeSize;
  const D = net.D;
  const steps = options.steps ?? 300;
  const lr = options.learningRate ?? 0.01;
  const start = meanCodes(net);
  const norm = net.standardization;
  const targets = new Float32Array(data.n * D);
  for (let i = 0; i < data.n; i++) {
    for (let k = 0; k < D; k++) {
      const delta = data.nextObservations[i * D + k] - data.observations[i * D + k];
      targets[i * D + k] = norm ? (delta - norm.deltaMean[k]) / norm.deltaStd[k] : delta;
    }
  }
  // Residual scale per dimension: 1 in standardised units, else the std of the given deltas (floored).
  const scale = new Float32Array(D).fill(1);
  if (!norm && data.n > 1) {
    for (let k = 0; k < D; k++) {
      let mean = 0;
      for (let i = 0; i < data.n; i++) mean += targets[i * D + k] / data.n;
      let v = 0;
      for (let i = 0; i < data.n; i++) v += (targets[i * D + k] - mean) ** 2 / data.n;
      scale[k] = Math.sqrt(v) > 1e-8 ? Math.sqrt(v) : 1;
    }
  }
  const hd = options.huberDelta ?? 0.1;
  const codes = Array.from({ length: M }, (_, m) => {
    const init = tf.tensor2d(start.subarray(m * S, (m + 1) * S), [1, S]);
    const v = tf.variable(init, true);
    init.dispose();
    return v;
  });
  const inp = net.inputs(data.observations, data.actions, data.n, null);
  const y = tf.tensor2d(targets, [data.n, D]);
  const inv = tf.tensor2d(Float32Array.from(scale, (x) => 1 / x), [1, D]);
  const opt = new Adam(codes);
  const loss = () => tf.tidy(() => {
    let total: tf.Tensor = tf.scalar(0);
    for (let m = 0; m < M; m++) {
      const r = tf.abs(tf.mul(tf.sub(net.forward(m, inp, codes[m] as tf.Tensor2D), y), inv));
      // Huber: quadratic up to hd, linear beyond (written with minimum so it stays differentiable everywhere).
      const q = tf.minimum(r, hd);
      total = tf.add(total, tf.mean(tf.add(tf.mul(tf.square(q), 0.5), tf.mul(tf.sub(r, q), hd))));
    }
    return tf.div(total, M) as tf.Scalar;
  });
  try {
    const l0 = loss();
    const initialLoss = l0.dataSync()[0];
    l0.dispose();
    for (let s = 0; s < steps; s++) opt.step(loss, lr).dispose();
    const l1 = loss();
    const finalLoss = l1.dataSync()[0];
    l1.dispose();
    const out = new Float32Array(M * S);
    codes.forEach((c, m) => out.set(c.dataSync() as Float32Array, m * S));
    return { codes: out, initialLoss, finalLoss, transitions: data.n };
  } finally {
    opt.dispose();
    tf.dispose([...codes, inp.states, inp.actions, y, inv]);
  }
}
