/**
 * Training a MOCODA ensemble (REFERENCE.md 5): Gaussian negative log-likelihood of the next child values themselves
 * (no deltas, no normalisation), Adam with L2 weight decay, every member on its own shuffle of the same training rows,
 * a held-out validation split, and early stopping only in the last `earlyStopWindow` epochs. Deterministic under
 * hyper.seed (seeded initial weights, split and shuffles; the backend's kernels are deterministic).
 *
 * Each member has its own Adam over its own pack (see network.ts): the same update as one Adam step on the summed
 * ensemble loss, because a member's loss and weight decay depend on its parameters alone and Adam is elementwise, but a
 * single-variable Adam never splits its flat update (which costs a copy of every parameter per variable on wasm).
 */
import type { EnvDefinition } from '../../core/definition.js';
import { Rng } from '../../core/rng.js';
import { Adam } from '../nn/adam.js';
import { ensureBackend, tf } from '../nn/backend.js';
import type { StackedParam } from '../nn/params.js';
import type { MocodaHyper, TransitionData } from './config.js';
import { validateMocodaHyper } from './config.js';
import { childVectors, mocodaLayout, rootVectors } from './layout.js';
import { MocodaModel, transitionFingerprint, type MocodaEpochReport } from './model.js';
import { MocodaNetwork } from './network.js';

/** Progress hooks for bars and server jobs. */
export interface MocodaCallbacks {
  onEpoch?: (report: MocodaEpochReport) => void;
  /** After every optimizer step: (step within the epoch, steps per epoch, 1-based epoch). */
  onStep?: (step: number, steps: number, epoch: number) => void;
  /** Checked between steps; true ends training and returns the model as it is (marked cancelled). */
  shouldStop?: () => boolean;
}

/** Rows of validation evaluated per backend call. */
const EVAL_CHUNK = 4096;

/** Checks shapes and finiteness of a dataset against a definition; throws a RangeError naming the problem. */
export function checkTransitionData(d: TransitionData, obsSize: number, actionSize: number): void {
  if (!(Number.isInteger(d.n) && d.n >= 1)) throw new RangeError(`a dataset needs at least one transition, got n = ${d.n}`);
  if (d.observations.length !== d.n * obsSize || d.nextObservations.length !== d.n * obsSize) {
    throw new RangeError(`observations and next observations must have n x ${obsSize} = ${d.n * obsSize} values`);
  }
  if (d.actions.length !== d.n * actionSize) throw new RangeError(`actions must have n x ${actionSize} = ${d.n * actionSize} values`);
}

/** Trains a MOCODA ensemble of `hyper.kind` on transitions of `def`. */
export async function trainMocoda(data: TransitionData, def: EnvDefinition, hyper: MocodaHyper, callbacks: MocodaCallbacks = {}): Promise<MocodaModel> {
  validateMocodaHyper(hyper);
  const backend = await ensureBackend();
  const layout = mocodaLayout(def);
  checkTransitionData(data, layout.obsSize, layout.actionSize);
  const { rootDim: Dr, childDim: Dk } = layout;
  const n = data.n;
  const M = hyper.members;
  const net = new MocodaNetwork(layout, hyper);
  const Mk = net.maskSize;
  const roots = rootVectors(layout, data.observations, data.actions, n);
  const targets = childVectors(layout, data.nextObservations, n);
  const masks = Mk > 0 ? new Uint8Array(n * Mk) : null;
  if (masks) def.causal!.mask(data.observations, data.actions, n, masks);

  // The split is one seeded permutation: the first nVal rows validate, the rest train.
  const splitRng = Rng.fromSeed(hyper.seed * 7919 + 13);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  splitRng.shuffle(order);
  const nVal = Math.min(n - 1, Math.floor(n * hyper.validationFraction));
  const nTrain = n - nVal;
  const pick = (src: ArrayLike<number>, width: number, rows: Int32Array) => {
    const out = new Float32Array(rows.length * width);
    rows.forEach((r, j) => {
      for (let c = 0; c < width; c++) out[j * width + c] = src[r * width + c];
    });
    return out;
  };
  const trainIdx = order.subarray(nVal);
  const valIdx = order.subarray(0, nVal);
  const X = tf.tensor2d(pick(roots, Dr, trainIdx), [nTrain, Dr]);
  const Y = tf.tensor2d(pick(targets, Dk, trainIdx), [nTrain, Dk]);
  const MK = masks ? tf.tensor2d(pick(masks, Mk, trainIdx), [nTrain, Mk]) : null;
  const val = nVal > 0 ? { x: pick(roots, Dr, valIdx), y: pick(targets, Dk, valIdx), m: masks ? pick(masks, Mk, valIdx) : null } : null;

  const opts = net.params.variables().map((pack) => new Adam([pack]));
  const rngs = Array.from({ length: M }, (_, m) => Rng.fromSeed(hyper.seed * 7907 + 104729 * (m + 1)));
  const perms = Array.from({ length: M }, () => Int32Array.from({ length: nTrain }, (_, i) => i));
  const B = Math.min(hyper.batch, nTrain);
  const steps = Math.ceil(nTrain / B);
  const curve: MocodaEpochReport[] = [];
  const windowStart = Math.max(0, hyper.epochs - hyper.earlyStopWindow);
  let best = Infinity;
  let bestEpoch = 0;
  let snapshot: StackedParam[] | null = null;
  let stoppedEarly = false;
  let cancelled = false;
  const t0 = performance.now();
  const wd = hyper.weightDecay;

  const memberLoss = (m: number, idx: tf.Tensor1D): tf.Scalar => {
    const x = tf.gather(X, idx) as tf.Tensor2D;
    const mk = MK ? (tf.gather(MK, idx) as tf.Tensor2D) : null;
    const out = net.forward(m, net.prepare(x, mk));
    return gaussianNll(out.mean, out.variance, tf.gather(Y, idx) as tf.Tensor2D);
  };

  try {
    for (let epoch = 0; epoch < hyper.epochs && !cancelled; epoch++) {
      const te = performance.now();
      for (let m = 0; m < M; m++) rngs[m].shuffle(perms[m]);
      let lossSum = 0;
      let rows = 0;
      for (let k = 0; k < steps; k++) {
        const lo = k * B;
        const hi = Math.min(nTrain, lo + B);
        const idx = perms.map((p) => tf.tensor1d(p.subarray(lo, hi), 'int32'));
        const parts: tf.Tensor[] = [];
        for (let m = 0; m < M; m++) {
          const pack = net.params.pack(m);
          const loss = opts[m].step(() => tf.tidy(() => {
            const nll = memberLoss(m, idx[m]);
            // Kept for the report: the likelihood part alone, comparable with the validation loss.
            parts.push(tf.keep(tf.clone(nll)));
            // PyTorch's Adam(weight_decay=wd) adds wd * w to every gradient: the gradient of wd/2 * ||w||^2.
            return (wd > 0 ? tf.add(nll, tf.mul(tf.sum(tf.square(pack)), 0.5 * wd)) : nll) as tf.Scalar;
          }), hyper.lr);
          loss.dispose();
        }
        net.params.markChanged();
        tf.dispose(idx);
        const nllSum = tf.addN(parts);
        lossSum += (nllSum.dataSync()[0] / M) * (hi - lo);
        tf.dispose([nllSum, ...parts]);
        rows += hi - lo;
        callbacks.onStep?.(k + 1, steps, epoch + 1);
        if (callbacks.shouldStop?.()) {
          cancelled = true;
          break;
        }
      }
      const trainLoss = rows > 0 ? lossSum / rows : NaN;
      const v = val ? evaluate(net, val, nVal) : { nll: NaN, mse: NaN };
      const seconds = (performance.now() - te) / 1000;
      const report: MocodaEpochReport = { epoch: epoch + 1, epochs: hyper.epochs, loss: trainLoss, validationLoss: v.nll, validationMse: v.mse, lr: hyper.lr, seconds, transitionsPerSecond: rows / seconds };
      curve.push(report);
      callbacks.onEpoch?.(report);
      if (val && hyper.earlyStopWindow > 0 && epoch >= windowStart && !cancelled) {
        if (v.nll < best) {
          best = v.nll;
          bestEpoch = epoch + 1;
          snapshot = epoch + 1 < hyper.epochs ? net.params.exportStacked() : null;
        } else if (epoch + 1 - bestEpoch >= hyper.patience) {
          stoppedEarly = true;
          break;
        }
      }
      // Let timers, sockets and cancellation flags run between epochs.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const last = curve.length;
    if (bestEpoch > 0 && bestEpoch !== last && snapshot) net.params.importStacked(snapshot);
    else bestEpoch = last;
  } catch (e) {
    net.dispose();
    throw e;
  } finally {
    for (const o of opts) o.dispose();
    tf.dispose([X, Y, ...(MK ? [MK] : [])]);
  }
  const kept = curve[bestEpoch - 1];
  const metrics: Record<string, number> = {};
  if (kept) {
    metrics.train_nll = kept.loss;
    if (val) {
      metrics.validation_nll = kept.validationLoss;
      metrics.validation_mse = kept.validationMse;
    }
  }
  return new MocodaModel(
    def,
    net,
    { curve, seconds: (performance.now() - t0) / 1000, backend: backend.name, bestEpoch, stoppedEarly, cancelled },
    { fingerprint: transitionFingerprint(data), transitions: n, trainRows: nTrain, validationRows: nVal },
    metrics,
  );
}

/** Mean over batch and child entries of 0.5 * (log var + (y - mean)^2 / var): the Gaussian NLL without its constant. */
export function gaussianNll(mean: tf.Tensor2D, variance: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.mul(tf.mean(tf.add(tf.log(variance), tf.div(tf.square(tf.sub(y, mean)), variance))), 0.5) as tf.Scalar;
}

/** Validation NLL (averaged over members) and ensemble-mean squared error per child entry. */
function evaluate(net: MocodaNetwork, val: { x: Float32Array; y: Float32Array; m: Float32Array | null }, n: number): { nll: number; mse: number } {
  const { rootDim: Dr, childDim: Dk } = net.layout;
  const Mk = net.maskSize;
  const M = net.hyper.members;
  let nll = 0;
  let se = 0;
  for (let lo = 0; lo < n; lo += EVAL_CHUNK) {
    const hi = Math.min(n, lo + EVAL_CHUNK);
    const b = hi - lo;
    const sums = tf.tidy(() => {
      const x = tf.tensor2d(val.x.subarray(lo * Dr, hi * Dr), [b, Dr]);
      const y = tf.tensor2d(val.y.subarray(lo * Dk, hi * Dk), [b, Dk]);
      const mk = val.m && Mk > 0 ? tf.tensor2d(val.m.subarray(lo * Mk, hi * Mk), [b, Mk]) : null;
      const inputs = net.prepare(x, mk);
      let nllSum: tf.Tensor = tf.scalar(0);
      let meanSum: tf.Tensor = tf.zerosLike(y);
      for (let m = 0; m < M; m++) {
        const out = net.forward(m, inputs, net.inferenceWeights(m));
        nllSum = tf.add(nllSum, tf.mul(gaussianNll(out.mean, out.variance, y), b));
        meanSum = tf.add(meanSum, out.mean);
      }
      const sq = tf.sum(tf.square(tf.sub(tf.div(meanSum, M), y)));
      return tf.stack([tf.div(nllSum, M), sq]);
    });
    const [a, c] = sums.dataSync();
    sums.dispose();
    nll += a;
    se += c;
  }
  return { nll: nll / n, mse: se / (n * Dk) };
}

