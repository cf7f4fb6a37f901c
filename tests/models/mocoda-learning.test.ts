/**
 * MOCODA models actually learn Navigation2D: trained briefly on L-shaped data (REFERENCE.md 1.3, generated here with
 * the true dynamics), the ensemble mean beats the "nothing moves" predictor s' = s by a wide margin on held-out
 * L-shaped transitions, and the locally factored model generalises to diagonal actions in the separate region (never
 * seen: the data's actions always push along one axis) far better than the unfactored one, which is MOCODA's point.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNavigation2D, navigation2dStep } from '../../envs/classic/navigation2d.js';
import { Rng } from '../../src/core/rng.js';
import { ensureBackend } from '../../src/models/nn/index.js';
import { defaultMocodaHyper, trainMocoda, type MocodaKind, type TransitionData } from '../../src/models/mocoda/index.js';

beforeAll(async () => {
  await ensureBackend();
});

const nav = buildNavigation2D();
const CONTEXT = Float64Array.of(0.05, 0.02);

function step(obs: Float64Array, act: Float64Array, n: number): Float64Array {
  const next = new Float64Array(2 * n);
  const contexts = new Float64Array(2 * n).map((_, k) => CONTEXT[k % 2]);
  navigation2dStep({ n, states: obs, actions: act, contexts, next, rngs: [] });
  return next;
}

/** L-shaped data: alternating bottom-to-top and left-to-right episodes with the reference's starts and actions. */
function lShaped(n: number, seed: number): TransitionData {
  const rng = Rng.fromSeed(seed);
  const observations = new Float64Array(2 * n);
  const actions = new Float64Array(2 * n);
  let i = 0;
  for (let ep = 0; i < n; ep++) {
    const up = ep % 2 === 0;
    let x = up ? rng.uniform(0.6, 1) : rng.uniform(0, 0.15);
    let y = up ? rng.uniform(0, 0.15) : rng.uniform(0, 0.4);
    for (let t = 0; t < 71 && i < n; t++, i++) {
      const ax = rng.uniform(-0.05, 0.05) + (up ? 0 : rng.uniform(0.4, 0.9));
      const ay = rng.uniform(-0.05, 0.05) + (up ? rng.uniform(0.4, 0.9) : 0);
      observations.set([x, y], 2 * i);
      actions.set([ax, ay], 2 * i);
      const next = step(observations.subarray(2 * i, 2 * i + 2), actions.subarray(2 * i, 2 * i + 2), 1);
      [x, y] = next;
      if (up ? y > 0.9 : x > 0.9) {
        i++;
        break;
      }
    }
  }
  return { n, observations, actions, nextObservations: step(observations, actions, n) };
}

/** Diagonal actions (both components in [0.4, 0.9)) at states of the separate region away from the corner. */
function diagonal(n: number, seed: number): TransitionData {
  const rng = Rng.fromSeed(seed);
  const observations = new Float64Array(2 * n);
  const actions = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const a = rng.uniform(0.05, 0.95);
    const b = rng.uniform(0.05, 0.45);
    observations.set(rng.random() < 0.5 ? [a, b] : [b, a], 2 * i);
    actions.set([rng.uniform(0.4, 0.9), rng.uniform(0.4, 0.9)], 2 * i);
  }
  return { n, observations, actions, nextObservations: step(observations, actions, n) };
}

function mse(pred: Float64Array, d: TransitionData): number {
  let s = 0;
  for (let k = 0; k < 2 * d.n; k++) s += (pred[k] - d.nextObservations[k]) ** 2;
  return s / (2 * d.n);
}

describe('learning Navigation2D', () => {
  const train = lShaped(3000, 1);
  const heldOut = lShaped(1000, 2);
  const ood = diagonal(1000, 3);
  const errors: Record<string, { held: number; ood: number }> = {};

  it('trains unfactored and locally factored ensembles that beat s\' = s by a wide margin', async () => {
    for (const kind of ['unfactored', 'local'] as MocodaKind[]) {
      const model = await trainMocoda(train, nav, defaultMocodaHyper(nav.id, kind, { members: 2, hidden: [32, 32], embed: 16, epochs: 15, batch: 128, lr: 1e-3, earlyStopWindow: 7, patience: 7, seed: 3 }));
      errors[kind] = { held: mse(model.meanPrediction(heldOut.observations, heldOut.actions, heldOut.n), heldOut), ood: mse(model.meanPrediction(ood.observations, ood.actions, ood.n), ood) };
      const curve = model.training.curve;
      expect(curve[model.training.bestEpoch - 1].loss).toBeLessThan(curve[0].loss - 2);
      model.dispose();
    }
    const still = mse(heldOut.observations, heldOut);
    expect(errors.unfactored.held).toBeLessThan(still / 8);
    // The masked composer learns more slowly in this short run (and NLL training is noisy: the early-stopping window
    // keeps the best validation epoch), still several times better than standing still.
    expect(errors.local.held).toBeLessThan(still / 4);
  });

  it('the locally factored model generalises to unseen diagonal actions better than the unfactored one', () => {
    expect(errors.local.ood).toBeLessThan(errors.unfactored.ood / 4);
    expect(errors.local.ood).toBeLessThan(mse(ood.observations, ood) / 20);
  });
});
