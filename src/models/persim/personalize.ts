/**
 * Personalising a trained model to a NEW agent (an unseen context) from a short trajectory: every encoder is frozen and
 * only the agent's code is fitted (r numbers per member for PerSim; the agent's first-layer row for the unfactorized
 * ablation).
 *
 * By default the code is kept a convex combination of the K trained codes (K = 8 per member) that best explain the
 * given transitions, and only the K mixing weights are fitted. The trained agents tile the context ranges and their
 * codes lie on a surface of the context's dimension; a free code fitted to a few dozen transitions leaves it along
 * directions the data does not pin down, which the open-loop rollouts then amplify. Rows are weighted by how much the
 * members agree on them: where they disagree the frozen encoders extrapolate (a MountainCar trajectory climbing the
 * hills the random training data rarely reached), and fitting the code there trades error in the valley for error
 * the encoders make anyway. docs/results/persim-notes.md has the measured comparison (free codes from the mean: 3 of
 * 10 new agents beyond 2x the nearest trained agent's error with 50 transitions; this default: none of 20).
 *
 * The fit uses a Huber loss (threshold 0.1) on residuals scaled per dimension (by the training standardisation, or by
 * the std of the given deltas for raw-unit models), not the training's squared loss. A short trajectory has too few
 * rows to average out a rare discontinuity. One MountainCar transition into the left wall (velocity reset to 0, a
 * 30-sigma delta) among 200 rows pulled a squared-loss fit far off: open-loop RMSE 1.2e-2, against 4e-4 from 50 clean
 * rows and 7e-4 from the same 200 rows with this loss. Only a few numbers per member are fitted, and a robust loss pins
 * them down as well.
 */
import { Adam } from '../nn/adam.js';
import { tf } from '../nn/backend.js';
import type { BatchInputs, PersimNetwork } from './network.js';

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
  /** Learning rate (default 0.1 for the mixing weights, 0.01 for a free code, which starts near good values). */
  learningRate?: number;
  /** Huber threshold in scaled units (default 0.1). */
  huberDelta?: number;
  /**
   * Where a free code's fit starts: 'best-trained' (default) takes, per member, the trained agent's code that fits the
   * given transitions best; 'mean' the mean trained code.
   */
  start?: 'best-trained' | 'mean';
  /**
   * What is fitted: 'neighbours' (default) keeps the code a convex combination of the `neighbours` trained codes that
   * fit the transitions best (per member), the agent codes the model learned lying on a low-dimensional surface that a
   * new system's code should lie on as well; 'free' moves the code anywhere.
   */
  space?: 'free' | 'neighbours';
  /** How many trained codes span the 'neighbours' space (default 8). */
  neighbours?: number;
  /** Trained agents whose codes are never candidates (e.g. the agent itself when refitting a trained agent). */
  exclude?: readonly number[];
  /**
   * Row weights: 'uniform', or 'agreement' (default), which weighs each transition by 1 / (v + median v), v the
   * members' disagreement on it (variance of their predictions with the mean trained code, in scaled units).
   */
  weighting?: 'uniform' | 'agreement';
}

/** The fitted codes and the loss before and after. */
export interface Personalization {
  /** [M, codeSize] agent codes, one per member. */
  codes: Float32Array;
  initialLoss: number;
  finalLoss: number;
  transitions: number;
}

/** The mean trained code per member ([M, codeSize]): the model's guess for a new agent it has no data of. */
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
  const K0 = options.neighbours ?? 8;
  if (!(Number.isInteger(K0) && K0 >= 1)) throw new RangeError(`neighbours must be a whole number >= 1, got ${K0}`);
  const left = net.shape.numAgents - new Set((options.exclude ?? []).filter((a) => a >= 0 && a < net.shape.numAgents)).size;
  if (left < 1) throw new RangeError('exclude leaves no trained agent code to start from');
  const M = net.hyper.members;
  const S = net.codeSize;
  const D = net.D;
  const steps = options.steps ?? 300;
  const space = options.space ?? 'neighbours';
  const lr = options.learningRate ?? (space === 'neighbours' ? 0.1 : 0.01);
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
  const inp = net.inputs(data.observations, data.actions, data.n, null);
  const y = tf.tensor2d(targets, [data.n, D]);
  const inv = tf.tensor2d(Float32Array.from(scale, (x) => 1 / x), [1, D]);
  const rowWeights = (options.weighting ?? 'agreement') === 'agreement' && M > 1 ? agreementWeights(net, inp, inv, start) : null;
  // Huber: quadratic up to hd, linear beyond (written with minimum so it stays differentiable everywhere), each row
  // scaled by its weight (r is [n, D] or [n, D, candidates]).
  const huber = (r: tf.Tensor): tf.Tensor => {
    const q = tf.minimum(r, hd);
    const h = tf.add(tf.mul(tf.square(q), 0.5), tf.mul(tf.sub(r, q), hd));
    return rowWeights ? tf.mul(h, tf.reshape(rowWeights, r.rank === 3 ? [data.n, 1, 1] : [data.n, 1])) : h;
  };
  const fromBest = (options.start ?? 'best-trained') === 'best-trained';
  const ranked = space === 'neighbours' || fromBest ? rankTrainedCodes(net, inp, y, inv, huber, options.exclude ?? []) : null;
  // Member m's code of trained agent a.
  const N = net.shape.numAgents;
  const trained = (m: number, a: number): Float32Array => ranked!.codes.subarray((m * N + a) * S, (m * N + a + 1) * S);
  if (ranked && fromBest) for (let m = 0; m < M; m++) start.set(trained(m, ranked.order[m][0]), m * S);
  // Neighbour space: code_m = softmax(theta_m) x C_m, C_m the member's K best trained codes; theta starts at 0.
  const K = Math.min(options.neighbours ?? 8, ranked ? ranked.order[0].length : 0);
  const bases = space === 'neighbours' && ranked
    ? ranked.order.map((idx, m) => {
      const c = new Float32Array(K * S);
      for (let k = 0; k < K; k++) c.set(trained(m, idx[k]), k * S);
      return tf.tensor2d(c, [K, S]);
    })
    : null;
  const vars = Array.from({ length: M }, (_, m) => {
    const init = bases ? tf.zeros([1, K]) : tf.tensor2d(start.subarray(m * S, (m + 1) * S), [1, S]);
    const v = tf.variable(init, true);
    init.dispose();
    return v;
  });
  const codeOf = (m: number): tf.Tensor2D => (bases ? tf.matMul(tf.softmax(vars[m]), bases[m]) : vars[m]) as tf.Tensor2D;
  const opt = new Adam(vars);
  const loss = () => tf.tidy(() => {
    let total: tf.Tensor = tf.scalar(0);
    for (let m = 0; m < M; m++) {
      const r = tf.abs(tf.mul(tf.sub(net.forward(m, inp, codeOf(m)), y), inv));
      total = tf.add(total, tf.mean(huber(r)));
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
    for (let m = 0; m < M; m++) {
      const c = codeOf(m);
      out.set(c.dataSync() as Float32Array, m * S);
      if (bases) c.dispose();
    }
    return { codes: out, initialLoss, finalLoss, transitions: data.n };
  } finally {
    opt.dispose();
    tf.dispose([...vars, ...(bases ?? []), ...(rowWeights ? [rowWeights] : []), inp.states, inp.actions, y, inv]);
  }
}

/**
 * Row weights [n] (mean 1) from the members' disagreement: where the members' predictions spread, the frozen encoders
 * are extrapolating (states the training data did not visit), and a code fitted there is pulled by encoder error
 * rather than by the new system. Each row gets 1 / (v + median v), v the variance over members in scaled units with
 * the given codes ([M, codeSize]).
 */
export function agreementWeights(net: PersimNetwork, inp: BatchInputs, inv: tf.Tensor2D, codes: Float32Array): tf.Tensor1D {
  const M = net.hyper.members;
  const S = net.codeSize;
  const v = tf.tidy(() => {
    const preds = Array.from({ length: M }, (_, m) => tf.mul(net.forward(m, inp, tf.tensor2d(codes.subarray(m * S, (m + 1) * S), [1, S])), inv));
    const { variance } = tf.moments(tf.stack(preds), 0);
    return tf.sum(variance, 1);
  });
  const vals = Float64Array.from(v.dataSync());
  v.dispose();
  const sorted = Float64Array.from(vals).sort();
  const median = sorted[Math.floor(sorted.length / 2)] || 1e-12;
  const w = vals.map((x) => 1 / (x + median));
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  return tf.tensor1d(Float32Array.from(w, (x) => x / mean));
}

/**
 * Ranks the trained agents' codes by their loss on the given rows, per member (best first). The trained agents tile
 * the context ranges, so the best of them is usually a near twin of the new system: starting there puts the fit in the
 * right basin, which the mean code (an "average" system) does not when the new context is near an edge of the range.
 */
function rankTrainedCodes(
  net: PersimNetwork, inp: BatchInputs, y: tf.Tensor2D, inv: tf.Tensor2D, huber: (r: tf.Tensor) => tf.Tensor,
  exclude: readonly number[],
): { codes: Float32Array; order: number[][] } {
  const M = net.hyper.members;
  const N = net.shape.numAgents;
  const S = net.codeSize;
  const D = net.D;
  const n = y.shape[0];
  const all = net.trainedCodes();
  const skip = new Set(exclude);
  const order: number[][] = [];
  for (let m = 0; m < M; m++) {
    const candidates = all.subarray(m * N * S, (m + 1) * N * S);
    const losses = tf.tidy(() => {
      if (net.hyper.kind === 'persim') {
        // Linear in the code: [n * D, r] x [r, N] gives every candidate's prediction at once.
        const pred = tf.reshape(tf.matMul(net.agentFreeBasis(m, inp), tf.tensor2d(candidates, [N, S]), false, true), [n, D, N]);
        const r = tf.abs(tf.mul(tf.sub(pred, tf.reshape(y, [n, D, 1])), tf.reshape(inv, [1, D, 1])));
        return tf.mean(huber(r), [0, 1]);
      }
      const per: tf.Tensor[] = [];
      for (let a = 0; a < N; a++) {
        const code = tf.tensor2d(candidates.subarray(a * S, (a + 1) * S), [1, S]);
        per.push(tf.mean(huber(tf.abs(tf.mul(tf.sub(net.forward(m, inp, code), y), inv)))));
      }
      return tf.stack(per);
    });
    const l = losses.dataSync();
    losses.dispose();
    order.push(Array.from({ length: N }, (_, a) => a).filter((a) => !skip.has(a)).sort((a, b) => l[a] - l[b] || a - b));
  }
  return { codes: all, order };
}
