/**
 * Training a PerSim ensemble: squared loss on state deltas, Adam with PerSim's step schedule, minibatches drawn from
 * each member's own shuffle (the members are "trained independently on the same data" while sharing one optimizer
 * step on the summed loss). Deterministic under hyper.seed: initial weights and shuffles come from seeded streams and
 * the backend's kernels are deterministic.
 */
import type { Dataset } from '../../data/dataset.js';
import { Rng } from '../../core/rng.js';
import { Adam } from '../nn/adam.js';
import { tf } from '../nn/backend.js';
import { learningRateAt } from '../nn/schedule.js';
import type { PersimHyper } from './config.js';
import { validateHyper } from './config.js';
import { PersimNetwork, type Standardization } from './network.js';

/** One epoch of the training curve. */
export interface EpochReport {
  /** 1-based epoch. */
  epoch: number;
  epochs: number;
  /** Mean squared error on the (standardised) deltas, averaged over the epoch's minibatches and the members. */
  loss: number;
  lr: number;
  seconds: number;
  transitionsPerSecond: number;
}

/** Callbacks for progress bars and server jobs. */
export interface TrainCallbacks {
  onEpoch?: (report: EpochReport) => void;
  /** After every optimizer step: (step within the epoch, steps per epoch, epoch). */
  onStep?: (step: number, steps: number, epoch: number) => void;
  /** Checked between steps; when it returns true training stops early and the partial model is returned. */
  shouldStop?: () => boolean;
}

/** A trained network with its curve. */
export interface TrainResult {
  network: PersimNetwork;
  curve: EpochReport[];
  seconds: number;
}

/** The learning rate in 0-based epoch `epoch` under PerSim's halving schedule. */
export function lrAt(h: PersimHyper, epoch: number): number {
  return learningRateAt({ base: h.learningRate, milestones: h.milestones, factor: 0.5 }, epoch);
}

/** Per-dimension mean and std of states and deltas (std floored so constant dimensions do not divide by zero). */
export function standardizationOf(d: Dataset): Standardization {
  const D = d.obsSize;
  const stats = (get: (i: number, k: number) => number) => {
    const mean = new Array<number>(D).fill(0);
    const sq = new Array<number>(D).fill(0);
    for (let i = 0; i < d.n; i++) for (let k = 0; k < D; k++) mean[k] += get(i, k);
    for (let k = 0; k < D; k++) mean[k] /= Math.max(1, d.n);
    for (let i = 0; i < d.n; i++) for (let k = 0; k < D; k++) sq[k] += (get(i, k) - mean[k]) ** 2;
    const std = sq.map((s) => {
      const v = Math.sqrt(s / Math.max(1, d.n));
      return v > 1e-8 ? v : 1;
    });
    return { mean, std };
  };
  const s = stats((i, k) => d.observations[i * D + k]);
  const t = stats((i, k) => d.nextObservations[i * D + k] - d.observations[i * D + k]);
  return { stateMean: s.mean, stateStd: s.std, deltaMean: t.mean, deltaStd: t.std };
}

/** Checks that a dataset can train a network of these sizes. */
export function checkDatasetShape(d: Dataset): void {
  if (d.n === 0) throw new Error('the dataset has no transitions');
  if (d.discreteActions === 0 && d.actionSize < 1) throw new Error('the dataset has no action dimensions');
}

/** Trains a PerSim ensemble (or an ablation) on a dataset. */
export function trainPersim(d: Dataset, hyper: PersimHyper, callbacks: TrainCallbacks = {}): TrainResult {
  validateHyper(hyper);
  checkDatasetShape(d);
  const net = new PersimNetwork({ obsSize: d.obsSize, actionSize: d.actionSize, discreteActions: d.discreteActions, numAgents: d.numAgents }, hyper);
  const norm = hyper.standardize ? standardizationOf(d) : null;
  net.setStandardization(norm);
  const D = d.obsSize;
  const n = d.n;
  const M = hyper.members;
  const targets = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < D; k++) {
      const delta = d.nextObservations[i * D + k] - d.observations[i * D + k];
      targets[i * D + k] = norm ? (delta - norm.deltaMean[k]) / norm.deltaStd[k] : delta;
    }
  }
  const all = net.inputs(d.observations, d.actions, n, null);
  const agentIds = tf.tensor1d(d.agentIds, 'int32');
  const actionIds = d.discreteActions > 0 ? tf.tensor1d(Int32Array.from(d.actions), 'int32') : null;
  const y = tf.tensor2d(targets, [n, D]);
  const variables = net.params.variables();
  const opt = new Adam(variables);
  const rngs = Array.from({ length: M }, (_, m) => Rng.fromSeed(hyper.seed * 7907 + 104729 * (m + 1)));
  const perms = Array.from({ length: M }, () => Int32Array.from({ length: n }, (_, i) => i));
  const B = Math.min(hyper.batchSize, n);
  const steps = Math.ceil(n / B);
  const curve: EpochReport[] = [];
  const t0 = performance.now();
  try {
    for (let epoch = 0; epoch < hyper.epochs; epoch++) {
      const te = performance.now();
      for (let m = 0; m < M; m++) rngs[m].shuffle(perms[m]);
      const lr = lrAt(hyper, epoch);
      let lossSum = 0;
      let stopped = false;
      for (let k = 0; k < steps; k++) {
        const lo = k * B;
        const hi = Math.min(n, lo + B);
        const idx = perms.map((p) => tf.tensor1d(p.subarray(lo, hi), 'int32'));
        const loss = opt.step(() => tf.tidy(() => {
          let total: tf.Tensor = tf.scalar(0);
          for (let m = 0; m < M; m++) {
            const states = tf.gather(all.states, idx[m]) as tf.Tensor2D;
            const actions = actionIds
              ? (tf.oneHot(tf.gather(actionIds, idx[m]), d.discreteActions).toFloat() as tf.Tensor2D)
              : (tf.gather(all.actions, idx[m]) as tf.Tensor2D);
            const agents = hyper.kind === 'unpersonalized' ? null : (tf.oneHot(tf.gather(agentIds, idx[m]), d.numAgents).toFloat() as tf.Tensor2D);
            const pred = net.forward(m, { states, actions, agents });
            total = tf.add(total, tf.mean(tf.square(tf.sub(pred, tf.gather(y, idx[m])))));
          }
          return total as tf.Scalar;
        }), lr);
        net.params.markChanged();
        lossSum += (loss.dataSync()[0] / M) * (hi - lo);
        loss.dispose();
        tf.dispose(idx);
        callbacks.onStep?.(k + 1, steps, epoch + 1);
        if (callbacks.shouldStop?.()) { stopped = true; break; }
      }
      const seconds = (performance.now() - te) / 1000;
      const report: EpochReport = { epoch: epoch + 1, epochs: hyper.epochs, loss: lossSum / n, lr, seconds, transitionsPerSecond: n / seconds };
      curve.push(report);
      callbacks.onEpoch?.(report);
      if (stopped) break;
    }
  } catch (e) {
    net.dispose();
    throw e;
  } finally {
    opt.dispose();
    tf.dispose([all.states, all.actions, agentIds, y, ...(actionIds ? [actionIds] : [])]);
  }
  return { network: net, curve, seconds: (performance.now() - t0) / 1000 };
}

