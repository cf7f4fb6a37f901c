/**
 * PerSim learns MountainCar. One small model is trained once (12 agents, one random trajectory each; the standardised
 * variant, which converges in a few hundred steps) and judged on fresh transitions of the same agents against two
 * independent references: the constant-velocity baseline (next v = v, next x = x + v) and the exact rank-3
 * factorization of REFERENCE.md 1.1 (u = (1, g, 1), w = (1, 1, (a-1) force)), which reproduces the true deltas except
 * where the clips act. Then: agent factors carry the context, a new agent is personalised from 50 transitions, and a
 * served model environment behaves like a real session.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { collectDataset } from '../../src/data/collect.js';
import { selectAgents, type Dataset } from '../../src/data/dataset.js';
import { makeDefinition } from '../../envs/registry.js';
import { FORCE } from '../../envs/classic/mountain-car.js';
import { EnvSession } from '../../src/core/session.js';
import { ensureBackend, tf } from '../../src/models/nn/index.js';
import { PersimDynamics, agreementWeights, defaultHyper, meanCodes, persimModelFromTraining, personalize, trainPersim, type PersimModel } from '../../src/models/persim/index.js';

let model: PersimModel;
let train: Dataset;
let heldOut: Dataset;

beforeAll(async () => {
  await ensureBackend();
  train = collectDataset({ envId: 'MountainCar-v0', numAgents: 12, policy: 'random', seed: 21 });
  const contexts = Array.from({ length: 12 }, (_, i) => ({ gravity: train.agentContexts[i] }));
  heldOut = collectDataset({ envId: 'MountainCar-v0', numAgents: 12, policy: 'random', seed: 22, contexts });
  const hyper = defaultHyper('MountainCar-v0', { epochs: 8, members: 2, batchSize: 64, learningRate: 3e-3, standardize: true, seed: 1 });
  const r = trainPersim(train, hyper);
  model = persimModelFromTraining(r.network, train, r.curve, r.seconds, 'wasm');
}, 120_000);

/** The exact rank-3 factorization's delta (no clips). */
function rank3Delta(x: number, v: number, a: number, g: number): [number, number] {
  const u = [1, g, 1];
  const w = [1, 1, (a - 1) * FORCE];
  const vx = [v, -Math.cos(3 * x), 1];
  const vv = [0, -Math.cos(3 * x), 1];
  let dx = 0;
  let dv = 0;
  for (let l = 0; l < 3; l++) { dx += u[l] * vx[l] * w[l]; dv += u[l] * vv[l] * w[l]; }
  return [dx, dv];
}

function rows(d: Dataset, agentOf: (i: number) => number | null): number[] {
  return Array.from({ length: d.n }, (_, i) => i).filter((i) => agentOf(i) !== null);
}

/** RMSE over both dimensions of one-step predicted deltas against the data. */
function rmse(d: Dataset, idx: readonly number[], predict: (i: number) => [number, number]): number {
  let se = 0;
  for (const i of idx) {
    const [px, pv] = predict(i);
    se += (px - (d.nextObservations[2 * i] - d.observations[2 * i])) ** 2 + (pv - (d.nextObservations[2 * i + 1] - d.observations[2 * i + 1])) ** 2;
  }
  return Math.sqrt(se / (2 * idx.length));
}

function modelPredictor(d: Dataset, agent: { agentIds: Int32Array } | { codes: Float32Array }): (i: number) => [number, number] {
  const M = model.network.hyper.members;
  const pred = model.network.predictDeltas(d.observations, d.actions, d.n, agent);
  return (i) => {
    let x = 0;
    let v = 0;
    for (let m = 0; m < M; m++) { x += pred[(m * d.n + i) * 2] / M; v += pred[(m * d.n + i) * 2 + 1] / M; }
    return [x, v];
  };
}

describe('PerSim on MountainCar', () => {
  it('beats the constant-velocity baseline by a wide margin and approaches the exact rank-3 factorization', () => {
    const all = rows(heldOut, () => 0);
    const g = (i: number) => heldOut.agentContexts[heldOut.agentIds[i]];
    const oracle = rmse(heldOut, all, (i) => rank3Delta(heldOut.observations[2 * i], heldOut.observations[2 * i + 1], heldOut.actions[i], g(i)));
    const baseline = rmse(heldOut, all, (i) => [heldOut.observations[2 * i + 1], 0]);
    const learned = rmse(heldOut, all, modelPredictor(heldOut, { agentIds: heldOut.agentIds }));
    // The factorization is exact up to the clips, which bind on a few percent of random-policy rows.
    expect(oracle).toBeLessThan(0.2 * baseline);
    expect(learned).toBeLessThan(0.2 * baseline);
    expect(learned - oracle).toBeLessThan(0.25 * (baseline - oracle));
  });

  it('learns agent factors that are affine in gravity, as the exact factorization\'s u = (1, g, 1) is', () => {
    const M = model.network.hyper.members;
    const N = train.numAgents;
    const r = model.network.codeSize;
    const codes = model.network.trainedCodes();
    for (let m = 0; m < M; m++) {
      // Least squares of gravity on [1, u_1..u_r] over the agents; the R^2 of a random code would be about r/(N-1).
      const X = Array.from({ length: N }, (_, a) => [1, ...Array.from(codes.subarray((m * N + a) * r, (m * N + a + 1) * r))]);
      const y = Array.from({ length: N }, (_, a) => train.agentContexts[a]);
      const beta = leastSquares(X, y);
      const fit = X.map((row) => row.reduce((s, x, k) => s + x * beta[k], 0));
      const mean = y.reduce((s, v) => s + v, 0) / N;
      const r2 = 1 - y.reduce((s, v, a) => s + (v - fit[a]) ** 2, 0) / y.reduce((s, v) => s + (v - mean) ** 2, 0);
      expect(r2).toBeGreaterThan(0.9);
    }
  });

  it('personalises a new agent from 50 transitions to within 2x of a trained agent\'s error', () => {
    // Far from the population mean (0.0018), so the average agent is a poor guess and personalisation has to work.
    const ctx = { gravity: 0.0032 };
    // Near the valley floor cos(3x) is almost 0 and gravity is invisible, so the short trajectory comes from the pure
    // (planning) controller with 20% random actions, which swings the car up the slopes within 50 steps.
    const fitData = collectDataset({ envId: 'MountainCar-v0', numAgents: 1, policy: 'pure-eps-20', seed: 31, contexts: [ctx] });
    const test = collectDataset({ envId: 'MountainCar-v0', numAgents: 1, policy: 'random', seed: 32, contexts: [ctx] });
    const first50 = { n: 50, observations: fitData.observations.slice(0, 100), actions: fitData.actions.slice(0, 50), nextObservations: fitData.nextObservations.slice(0, 100) };
    const fitted = personalize(model.network, first50);
    expect(fitted.finalLoss).toBeLessThan(fitted.initialLoss);
    const all = rows(test, () => 0);
    const personalised = rmse(test, all, modelPredictor(test, { codes: fitted.codes }));
    const average = rmse(test, all, modelPredictor(test, { codes: meanCodes(model.network) }));
    const trained = rmse(heldOut, rows(heldOut, () => 0), modelPredictor(heldOut, { agentIds: heldOut.agentIds }));
    expect(personalised).toBeLessThan(0.5 * average);
    expect(personalised).toBeLessThan(2 * trained);
  });

  it('personalises within the trained codes: one neighbour is a trained agent of the same gravity, never an excluded one', () => {
    const M = model.network.hyper.members;
    const N = train.numAgents;
    const r = model.network.codeSize;
    const codes = model.network.trainedCodes();
    const gravities = Array.from({ length: N }, (_, a) => train.agentContexts[a]);
    const span = Math.max(...gravities) - Math.min(...gravities);
    // Which trained agent's code member m's fitted code is, exactly (a softmax over one code is that code).
    const whose = (fitted: Float32Array, m: number): number => {
      for (let a = 0; a < N; a++) {
        if (Array.from({ length: r }, (_, k) => codes[(m * N + a) * r + k]).every((x, k) => x === fitted[m * r + k])) return a;
      }
      return -1;
    };
    for (const agent of [2, 7]) {
      // Agent's held-out trajectory: the same system as its training trajectory, other transitions.
      const own = selectAgents(heldOut, [agent]);
      const fitted = personalize(model.network, own, { neighbours: 1 });
      const excluded = personalize(model.network, own, { neighbours: 1, exclude: [agent] });
      for (let m = 0; m < M; m++) {
        const chosen = whose(fitted.codes, m);
        expect(chosen).toBeGreaterThanOrEqual(0);
        expect(Math.abs(gravities[chosen] - gravities[agent])).toBeLessThan(0.15 * span);
        const other = whose(excluded.codes, m);
        expect(other).toBeGreaterThanOrEqual(0);
        expect(other).not.toBe(agent);
      }
    }
  });

  it('weighs personalisation rows by the members\' agreement: far outside the training states they count less', () => {
    // 40 held-out rows, then 8 of them with velocities 10x beyond anything MountainCar allows (|v| <= 0.07): the
    // frozen members extrapolate there, and differently.
    const n = 40;
    const far = 8;
    const obs = new Float64Array(2 * (n + far));
    obs.set(heldOut.observations.subarray(0, 2 * n));
    for (let i = 0; i < far; i++) { obs[2 * (n + i)] = heldOut.observations[2 * i]; obs[2 * (n + i) + 1] = 0.7 * (i % 2 ? 1 : -1); }
    const acts = Float64Array.from({ length: n + far }, (_, i) => heldOut.actions[i % n]);
    const inp = model.network.inputs(obs, acts, n + far, null);
    const inv = tf.ones([1, 2]) as tf.Tensor2D;
    const w = agreementWeights(model.network, inp, inv, meanCodes(model.network));
    const values = Array.from(w.dataSync());
    tf.dispose([w, inv, inp.states, inp.actions]);
    expect(values.reduce((a, b) => a + b, 0) / values.length).toBeCloseTo(1, 5);
    expect(values.every((x) => x > 0)).toBe(true);
    const inside = values.slice(0, n).reduce((a, b) => a + b, 0) / n;
    const outside = values.slice(n).reduce((a, b) => a + b, 0) / far;
    expect(outside).toBeLessThan(0.25 * inside);
  });

  it('serves as the dynamics of a session with the real spaces, reward, termination, seeding and contexts', () => {
    const def = makeDefinition('MountainCar-v0');
    const make = (mode: 'mean' | 'sample') => new EnvSession({ definition: def, numEnvs: 3, dynamics: new PersimDynamics(def, model, { agent: 4 }, { mode }), contexts: { gravity: 0.0035 }, maxEpisodeSteps: 6 });
    const s = make('sample');
    // Gymnasium's determinism check: reset(seed) twice gives the same starts, reset() continues the generators.
    const o1 = s.reset({ seed: 123 }).obs;
    const o2 = s.reset().obs;
    const o3 = s.reset({ seed: 123 }).obs;
    const o4 = s.reset().obs;
    expect(Array.from(o3)).toEqual(Array.from(o1));
    expect(Array.from(o4)).toEqual(Array.from(o2));
    expect(Array.from(o2)).not.toEqual(Array.from(o1));
    for (let i = 0; i < 3; i++) { expect(o1[2 * i]).toBeGreaterThanOrEqual(-0.6); expect(o1[2 * i]).toBeLessThan(-0.4); expect(o1[2 * i + 1]).toBe(0); }
    const run = () => {
      const sess = make('sample');
      sess.reset({ seed: 7 });
      const out: number[] = [];
      for (let t = 0; t < 6; t++) {
        const r = sess.step(Float64Array.of(0, 1, 2));
        out.push(...r.obs, ...r.reward, ...r.truncated);
        for (let i = 0; i < 6; i++) expect(def.observationSpace.firstViolation(r.obs.subarray(2 * Math.floor(i / 2)), 0)).toBe(-1);
        expect(Array.from(r.reward)).toEqual([-1, -1, -1]);
        expect(Array.from(r.truncated)).toEqual(t === 5 ? [1, 1, 1] : [0, 0, 0]);
      }
      return out;
    };
    expect(run()).toEqual(run());
    expect(s.getContexts()).toEqual([{ gravity: 0.0035 }, { gravity: 0.0035 }, { gravity: 0.0035 }]);
    // From (0.49, 0.02) the real car reaches the goal in one step; so does the model's (termination is the env's).
    const m = make('mean');
    m.reset({ seed: 1, state: Float64Array.of(0.49, 0.02, 0.49, 0.02, -0.5, 0) });
    const r = m.step(Float64Array.of(2, 2, 1));
    expect(Array.from(r.terminated)).toEqual([1, 1, 0]);
    expect(Array.from(r.reward)).toEqual([0, 0, -1]);
    expect(m.close()).toBe(true);
    expect(m.close()).toBe(false);
  });
});

/** Solves the normal equations X^T X beta = X^T y by Gaussian elimination (tiny systems only). */
function leastSquares(X: number[][], y: number[]): number[] {
  const k = X[0].length;
  const A = Array.from({ length: k }, (_, i) => Array.from({ length: k + 1 }, (_, j) => (j < k ? X.reduce((s, row) => s + row[i] * row[j], 0) : X.reduce((s, row, n) => s + row[i] * y[n], 0))));
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let j = c; j <= k; j++) A[r][j] -= f * A[c][j];
    }
  }
  return A.map((row, i) => row[k] / row[i]);
}
