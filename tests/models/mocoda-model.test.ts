/**
 * MOCODA's Gaussian ensembles on tiny networks: the locally factored forward pass is the masked composer (recomputed
 * by hand from the exported weights), masked / non-parent inputs are ignored exactly where the structure says so and
 * the unfactored model reads everything, training is deterministic and reports its curve, sampling follows the
 * temperature and member options, the registry round-trips exactly, and a model serves sessions as a Dynamics
 * (Navigation2D and HookSweep2) through MocodaProvider. The packed parameter storage (one flat variable per member,
 * per-member Adam) is checked against a per-child, per-parameter reference written here with plain TF.js ops: the
 * same forward pass, and the same first training step as one Adam step on the summed ensemble loss.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CausalSpec } from '../../protocol/ts/spaces.js';
import { buildNavigation2D, navigation2dStep } from '../../envs/classic/navigation2d.js';
import { makeDefinition } from '../../envs/registry.js';
import type { CausalStructure, EnvDefinition } from '../../src/core/definition.js';
import { TwinGymError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { EnvSession } from '../../src/core/session.js';
import { Adam, ensureBackend, tf } from '../../src/models/nn/index.js';
import { listModels } from '../../src/models/registry.js';
import {
  MocodaDynamics, MocodaModel, MocodaNetwork, MocodaProvider, childVectors, defaultMocodaHyper, dimsOfRoots, loadMocoda,
  mocodaLayout, rootVectors, saveMocoda, trainMocoda, type MocodaHyper, type MocodaKind, type TransitionData,
} from '../../src/models/mocoda/index.js';

beforeAll(async () => {
  await ensureBackend();
});

const nav = buildNavigation2D();
const tiny = (kind: MocodaKind, o: Partial<MocodaHyper> = {}) => defaultMocodaHyper(nav.id, kind, { members: 2, hidden: [8], embed: 4, epochs: 2, batch: 64, lr: 1e-3, ...o });

/** An untrained model (random initial weights) of a definition. */
function untrained(def: EnvDefinition, h: MocodaHyper): MocodaModel {
  return new MocodaModel(def, new MocodaNetwork(mocodaLayout(def), h), { curve: [], seconds: 0, backend: 'wasm', bestEpoch: 0, stoppedEarly: false, cancelled: false }, { fingerprint: '', transitions: 0, trainRows: 0, validationRows: 0 });
}

/** Random transitions of the true Navigation2D dynamics over [0, 1]^2 x [-1, 1]^2. */
function randomNav(n: number, seed: number): TransitionData {
  const rng = Rng.fromSeed(seed);
  const observations = Float64Array.from({ length: 2 * n }, () => rng.uniform(0, 1));
  const actions = Float64Array.from({ length: 2 * n }, () => rng.uniform(-1, 1));
  const nextObservations = new Float64Array(2 * n);
  const contexts = new Float64Array(2 * n).map((_, k) => nav.context.defaults[k % 2]);
  navigation2dStep({ n, states: observations, actions, contexts, next: nextObservations, rngs: [] });
  return { n, observations, actions, nextObservations };
}

/** Navigation2D whose causal structure never entangles: x' <- (x, ax), y' <- (y, ay) everywhere, also globally. */
function decoupledNav(): EnvDefinition {
  const base = nav.causal!;
  const causal: CausalStructure = {
    spec(): CausalSpec {
      const s = base.spec();
      const sep = s.local_masks[0].mask;
      return { ...s, global_mask: sep.map((r) => [...r]), local_masks: [s.local_masks[0]] };
    },
    mask(obs, actions, n, out) {
      for (let i = 0; i < n; i++) out.set([1, 0, 0, 1, 1, 0, 0, 1], i * 8);
    },
    region(_obs, _actions, n, out) {
      out.fill(0, 0, n);
    },
  };
  return { ...nav, causal };
}

function childOf(pred: Float64Array, row: number, d: number): number {
  return pred[row * 2 + d];
}

describe('network structure', () => {
  it('the local model computes the masked composer: sum_r M[r, k] (x_r W_r + b_r), then the MLP', () => {
    const model = untrained(nav, tiny('local', { members: 1, hidden: [3], embed: 2, seed: 9 }));
    const W = new Map(model.network.params.exportStacked().map((p) => [p.name, p.data]));
    const rows = [[0.2, 0.7, 0.3, -0.6], [0.8, 0.9, -0.4, 0.5]]; // separate, entangled
    const obs = Float64Array.from(rows.flatMap((r) => r.slice(0, 2)));
    const act = Float64Array.from(rows.flatMap((r) => r.slice(2)));
    const { mean, std } = model.predict(obs, act, 2);
    const softplus = (z: number) => Math.log1p(Math.exp(z));
    rows.forEach((r, i) => {
      const mask = i === 0 ? [[1, 0], [0, 1], [1, 0], [0, 1]] : [[1, 1], [1, 1], [1, 1], [1, 1]];
      for (let k = 0; k < 2; k++) {
        const E = W.get(`l${k}.embed`)!; // [8, 2]: rows 0-3 per-root weights, rows 4-7 per-root biases
        const h = [0, 1].map((e) => [0, 1, 2, 3].reduce((s, root) => s + mask[root][k] * (r[root] * E[root * 2 + e] + E[(4 + root) * 2 + e]), 0));
        const w0 = W.get(`l${k}.t0.w`)!;
        const b0 = W.get(`l${k}.t0.b`)!;
        const z = [0, 1, 2].map((j) => Math.max(0, b0[j] + h[0] * w0[j] + h[1] * w0[3 + j]));
        const mu = W.get(`l${k}.mu.b`)![0] + z.reduce((s, v, j) => s + v * W.get(`l${k}.mu.w`)![j], 0);
        const va = softplus(W.get(`l${k}.var.b`)![0] + z.reduce((s, v, j) => s + v * W.get(`l${k}.var.w`)![j], 0)) + 1e-6;
        expect(childOf(mean, i, k)).toBeCloseTo(mu, 5);
        expect(childOf(std, i, k)).toBeCloseTo(Math.sqrt(va), 5);
      }
    });
    model.dispose();
  });

  it('the local model ignores inputs its mask zeroes; the unfactored one reads them', () => {
    const local = untrained(nav, tiny('local', { seed: 3 }));
    const unf = untrained(nav, tiny('unfactored', { seed: 3 }));
    // Separate region (x = 0.2): changing y and ay must not move x' under the local model.
    const obs = Float64Array.of(0.2, 0.3, 0.2, 0.45, 0.2, 0.1);
    const act = Float64Array.of(0.5, -0.5, 0.5, 0.9, 0.5, -1);
    for (const model of [local, unf]) {
      const { mean } = model.predict(obs, act, 3);
      const xs = [0, 1, 2].map((i) => mean[0 * 6 + 2 * i]); // member 0, child x'
      const ys = [0, 1, 2].map((i) => mean[0 * 6 + 2 * i + 1]);
      if (model === local) expect(new Set(xs).size).toBe(1);
      else expect(new Set(xs).size).toBe(3);
      expect(new Set(ys).size).toBe(3);
    }
    // In the entangled quadrant the local mask is all ones: ay moves x'.
    const { mean } = local.predict(Float64Array.of(0.8, 0.8, 0.8, 0.8), Float64Array.of(0.5, -0.5, 0.5, 0.5), 2);
    expect(mean[0]).not.toBe(mean[2]);
    local.dispose();
    unf.dispose();
  });

  it('the globally factored model reads only each child\'s global parents', () => {
    const def = decoupledNav();
    const g = untrained(def, tiny('global', { seed: 4 }));
    const obs = Float64Array.of(0.9, 0.9, 0.9, 0.1, 0.9, 0.5);
    const act = Float64Array.of(0.3, 0.3, 0.3, -0.8, 0.3, 0.6);
    const { mean, std } = g.predict(obs, act, 3);
    for (const m of [0, 1]) {
      expect(new Set([0, 1, 2].map((i) => mean[m * 6 + 2 * i])).size).toBe(1);
      expect(new Set([0, 1, 2].map((i) => std[m * 6 + 2 * i])).size).toBe(1);
      expect(new Set([0, 1, 2].map((i) => mean[m * 6 + 2 * i + 1])).size).toBe(3);
    }
    // The first layer of x' is 2 wide (x, ax), of y' too: non-parents have no weights at all.
    const shapes = new Map(g.network.params.exportStacked().map((p) => [p.name, p.shape]));
    expect(shapes.get('g0.t0.w')).toEqual([2, 2, 8]);
    g.dispose();
  });

  it('takes Navigation2D\'s global graph from the parent sets, not from the all-ones entangled mask', () => {
    const L = mocodaLayout(nav);
    // MOCODA's global graph: x' <- x, ax, ay and y' <- y, ax, ay (root order x, y, ax, ay), while the global mask,
    // the union of the local masks, is all ones because the entangled region's mask is.
    expect(L.globalMask).toEqual([[1, 1], [1, 1], [1, 1], [1, 1]]);
    expect(L.globalParents).toEqual([[0, 2, 3], [1, 2, 3]]);
    const g = untrained(nav, tiny('global', { seed: 5 }));
    // Changing y never moves the x' prediction; changing ay does.
    const obs = Float64Array.of(0.7, 0.1, 0.7, 0.9, 0.7, 0.9);
    const act = Float64Array.of(0.2, -0.4, 0.2, -0.4, 0.2, 0.8);
    const { mean } = g.predict(obs, act, 3);
    for (const m of [0, 1]) {
      expect(mean[m * 6 + 2]).toBe(mean[m * 6]);
      expect(mean[m * 6 + 4]).not.toBe(mean[m * 6 + 2]);
    }
    g.dispose();
  });
});

/** Exported (registry-layout) weights of member m as tensors, by name. */
function memberTensors(net: MocodaNetwork, m: number): Map<string, tf.Tensor> {
  return new Map(net.params.exportStacked().map((p) => {
    const size = p.data.length / p.shape[0];
    return [p.name, tf.tensor(p.data.slice(m * size, (m + 1) * size), p.shape.slice(1))];
  }));
}

/**
 * The MOCODA forward pass written child by child from the paper's description, reading weights by registry name:
 * global children see only their parents' columns, local children sum mask-weighted per-root linear embeddings.
 */
function referenceForward(def: EnvDefinition, h: MocodaHyper, W: (name: string) => tf.Tensor, x: tf.Tensor2D, masks: tf.Tensor2D | null): { mean: tf.Tensor2D; variance: tf.Tensor2D } {
  const L = mocodaLayout(def);
  const K = L.children.length;
  const trunk = (name: string, input: tf.Tensor2D) => {
    let z = input;
    for (let j = 0; j < h.hidden.length; j++) z = tf.relu(tf.add(tf.matMul(z, W(`${name}.t${j}.w`) as tf.Tensor2D), W(`${name}.t${j}.b`))) as tf.Tensor2D;
    const mu = tf.add(tf.matMul(z, W(`${name}.mu.w`) as tf.Tensor2D), W(`${name}.mu.b`)) as tf.Tensor2D;
    const va = tf.add(tf.softplus(tf.add(tf.matMul(z, W(`${name}.var.w`) as tf.Tensor2D), W(`${name}.var.b`))), 1e-6) as tf.Tensor2D;
    return { mu, va };
  };
  const outs = h.kind === 'unfactored'
    ? [trunk('u', x)]
    : L.children.map((_, k) => {
      if (h.kind === 'global') {
        const parents = L.globalParents[k];
        return trunk(`g${k}`, tf.gather(x, dimsOfRoots(L, parents), 1) as tf.Tensor2D);
      }
      const E = W(`l${k}.embed`) as tf.Tensor2D;
      let e: tf.Tensor2D = tf.zeros([x.shape[0], h.embed]);
      L.roots.forEach((root, r) => {
        const xr = tf.slice(x, [0, root.offset], [-1, root.indices.length]);
        const Wr = tf.slice(E, [root.offset, 0], [root.indices.length, -1]);
        const br = tf.slice(E, [L.rootDim + r, 0], [1, -1]);
        const gate = tf.slice(masks!, [0, r * K + k], [-1, 1]);
        e = tf.add(e, tf.mul(gate, tf.add(tf.matMul(xr, Wr), br)));
      });
      return trunk(`l${k}`, e);
    });
  return { mean: tf.concat(outs.map((o) => o.mu), 1) as tf.Tensor2D, variance: tf.concat(outs.map((o) => o.va), 1) as tf.Tensor2D };
}

describe('packed parameters', () => {
  const cases: Array<[MocodaKind, () => EnvDefinition]> = [['unfactored', () => nav], ['global', decoupledNav], ['local', () => nav]];

  it.each(cases)('%s: the packed forward pass equals the per-child reference from the exported weights', (kind, defOf) => {
    const def = defOf();
    const h = tiny(kind, { hidden: [5, 4], embed: 3, seed: 21 });
    const net = new MocodaNetwork(mocodaLayout(def), h);
    const data = randomNav(7, 22);
    const L = net.layout;
    const roots = Float32Array.from(rootVectors(L, data.observations, data.actions, 7));
    const maskBytes = new Uint8Array(7 * 8);
    def.causal!.mask(data.observations, data.actions, 7, maskBytes);
    const outputs: Float32Array[] = [];
    for (const m of [0, 1]) {
      const W = memberTensors(net, m);
      const [got, want] = tf.tidy(() => {
        const x = tf.tensor2d(roots, [7, L.rootDim]);
        const mk = kind === 'local' ? tf.tensor2d(Float32Array.from(maskBytes), [7, 8]) : null;
        const a = net.forward(m, net.prepare(x, mk));
        const b = referenceForward(def, h, (name) => W.get(name)!, x, mk);
        return [tf.concat([a.mean, a.variance], 1), tf.concat([b.mean, b.variance], 1)];
      });
      const g = got.dataSync();
      const w = want.dataSync();
      expect(g.length).toBe(7 * 4);
      for (let i = 0; i < g.length; i++) expect(g[i]).toBeCloseTo(w[i], 5);
      outputs.push(Float32Array.from(g));
      tf.dispose([got, want, ...W.values()]);
    }
    // The members' weights differ, so each member's agreement above means it read its own part of the packs.
    expect(outputs[0]).not.toEqual(outputs[1]);
    net.dispose();
  });

  it.each(cases)('%s: training steps equal Adam steps on the summed loss over per-parameter variables', async (kind, defOf) => {
    const def = defOf();
    const n = 48;
    // The whole training set is each step's minibatch, so every member's step sees every row. Three steps, because
    // Adam's first step is lr * sign(g) and only later ones depend on the gradients' magnitudes.
    const steps = 3;
    const h = tiny(kind, { hidden: [6, 5], embed: 3, seed: 31, epochs: steps, batch: n, validationFraction: 0, earlyStopWindow: 0, lr: 1e-3, weightDecay: 0.01 });
    const data = randomNav(n, 32);
    const initial = new MocodaNetwork(mocodaLayout(def), h);
    const start = initial.params.exportStacked();
    initial.dispose();
    const trained = await trainMocoda(data, def, h);
    const after = new Map(trained.network.params.exportStacked().map((p) => [p.name, p.data]));

    // Reference: one variable per (member, parameter), the summed Gaussian NLL plus wd/2 ||w||^2, one Adam over all.
    const L = trained.layout;
    const vars = new Map<string, tf.Variable>();
    for (const p of start) {
      const size = p.data.length / p.shape[0];
      for (let m = 0; m < h.members; m++) vars.set(`${p.name}#${m}`, tf.variable(tf.tensor(p.data.slice(m * size, (m + 1) * size), p.shape.slice(1))));
    }
    const x = tf.tensor2d(Float32Array.from(rootVectors(L, data.observations, data.actions, n)), [n, L.rootDim]);
    const y = tf.tensor2d(Float32Array.from(childVectors(L, data.nextObservations, n)), [n, L.childDim]);
    const maskBytes = new Uint8Array(n * 8);
    def.causal!.mask(data.observations, data.actions, n, maskBytes);
    const mk = kind === 'local' ? tf.tensor2d(Float32Array.from(maskBytes), [n, 8]) : null;
    const opt = new Adam([...vars.values()]);
    for (let step = 0; step < steps; step++) opt.step(() => tf.tidy(() => {
      let total: tf.Tensor = tf.scalar(0);
      for (let m = 0; m < h.members; m++) {
        const out = referenceForward(def, h, (name) => vars.get(`${name}#${m}`)!, x, mk);
        const nll = tf.mul(tf.mean(tf.add(tf.log(out.variance), tf.div(tf.square(tf.sub(y, out.mean)), out.variance))), 0.5);
        total = tf.add(total, nll);
      }
      for (const v of vars.values()) total = tf.add(total, tf.mul(tf.sum(tf.square(v)), 0.5 * h.weightDecay));
      return total as tf.Scalar;
    }), h.lr).dispose();

    let moved = 0;
    for (const p of start) {
      const size = p.data.length / p.shape[0];
      const got = after.get(p.name)!;
      for (let m = 0; m < h.members; m++) {
        const want = vars.get(`${p.name}#${m}`)!.dataSync();
        for (let j = 0; j < size; j++) {
          expect(Math.abs(got[m * size + j] - want[j])).toBeLessThan(1e-5);
          moved = Math.max(moved, Math.abs(got[m * size + j] - p.data[m * size + j]));
        }
      }
    }
    // Each Adam step moves a weight by up to about lr: the comparison above is not between two unchanged copies.
    expect(moved).toBeGreaterThan(0.5 * h.lr);
    opt.dispose();
    tf.dispose([x, y, ...(mk ? [mk] : []), ...vars.values()]);
    trained.dispose();
  });

  it('stores the registry layout: import then export is exact, and each member reads its own slice', () => {
    const def = decoupledNav();
    const net = new MocodaNetwork(mocodaLayout(def), tiny('global', { hidden: [4, 3], seed: 41 }));
    const rng = Rng.fromSeed(42);
    const given = net.params.exportStacked().map((p) => ({ ...p, data: Float32Array.from(p.data, () => rng.uniform(-1, 1)) }));
    net.params.importStacked(given);
    const back = net.params.exportStacked();
    expect(back.map((p) => [p.name, p.shape])).toEqual(given.map((p) => [p.name, p.shape]));
    back.forEach((p, i) => expect(p.data).toEqual(given[i].data));
    expect(net.params.variables()).toHaveLength(2);
    expect(net.params.count()).toBe(given.reduce((s, p) => s + p.data.length, 0));
    for (const m of [0, 1]) {
      const w = net.params.unpack(m);
      for (const p of given) {
        const size = p.data.length / p.shape[0];
        expect(w[p.name].shape).toEqual(p.shape.slice(1));
        expect(w[p.name].dataSync()).toEqual(p.data.subarray(m * size, (m + 1) * size));
      }
      tf.dispose(Object.values(w));
    }
    expect(() => net.params.importStacked(given.slice(1))).toThrow(/lack parameter g0.t0.w/);
    net.dispose();
  });
});

describe('training', () => {
  const data = randomNav(600, 1);

  it('is deterministic under a seed, reports its curve and keeps the best epoch of the early-stopping window', async () => {
    const h = tiny('local', { epochs: 4, earlyStopWindow: 3, patience: 2, seed: 5 });
    const before = tf.memory().numTensors;
    const a = await trainMocoda(data, nav, h);
    const b = await trainMocoda(data, nav, h);
    expect(a.training.curve.length).toBeLessThanOrEqual(4);
    expect(a.training.stoppedEarly).toBe(a.training.curve.length < 4);
    expect(a.training.curve.map((c) => [c.loss, c.validationLoss])).toEqual(b.training.curve.map((c) => [c.loss, c.validationLoss]));
    const probe = randomNav(20, 2);
    expect(a.predict(probe.observations, probe.actions, 20).mean).toEqual(b.predict(probe.observations, probe.actions, 20).mean);
    expect(a.dataset).toMatchObject({ transitions: 600, trainRows: 540, validationRows: 60 });
    expect(a.training.bestEpoch).toBeGreaterThanOrEqual(2);
    const kept = a.training.curve[a.training.bestEpoch - 1];
    expect(a.metrics.validation_nll).toBe(kept.validationLoss);
    // The window's best validation loss is the kept one.
    expect(Math.min(...a.training.curve.slice(1).map((c) => c.validationLoss))).toBe(kept.validationLoss);
    for (const c of a.training.curve) expect(c.transitionsPerSecond).toBeGreaterThan(0);
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops when asked, and rejects bad data', async () => {
    let steps = 0;
    const m = await trainMocoda(data, nav, tiny('unfactored', { epochs: 5 }), { onStep: () => { steps++; }, shouldStop: () => steps >= 3 });
    expect(m.training.cancelled).toBe(true);
    expect(m.training.curve).toHaveLength(1);
    m.dispose();
    await expect(trainMocoda({ ...data, actions: data.actions.subarray(1) }, nav, tiny('global'))).rejects.toThrow(/actions must have/);
    await expect(trainMocoda(data, makeDefinition('CartPole-v0'), tiny('global'))).rejects.toThrow(/causal/);
  });
});

describe('prediction, storage and serving', () => {
  let model: MocodaModel;
  let dir: string;

  beforeAll(async () => {
    model = await trainMocoda(randomNav(500, 3), nav, tiny('local', { epochs: 1, seed: 8 }));
    dir = await mkdtemp(join(tmpdir(), 'mocoda-'));
  });

  it('samples: a random member per row, noise std / temperature, exact member means at infinite temperature', () => {
    const n = 4000;
    const obs = new Float64Array(2 * n).fill(0.3);
    const act = new Float64Array(2 * n).fill(0.5);
    const { mean, std } = model.predict(obs.subarray(0, 2), act.subarray(0, 2), 1);
    expect(model.sample(obs, act, 1, Rng.fromSeed(1), { member: 1, temperature: Infinity })).toEqual(mean.subarray(2, 4));
    const s = model.sample(obs, act, n, Rng.fromSeed(2));
    expect(model.sample(obs, act, n, Rng.fromSeed(2))).toEqual(s);
    // Each row is member m's mean plus N(0, (std_m / 3)^2): the mixture's mean and variance per coordinate.
    for (const d of [0, 1]) {
      const mu = (mean[d] + mean[2 + d]) / 2;
      const second = [0, 1].reduce((acc, m) => acc + ((std[2 * m + d] / 3) ** 2 + mean[2 * m + d] ** 2) / 2, 0);
      let m1 = 0;
      let m2 = 0;
      for (let i = 0; i < n; i++) {
        m1 += s[2 * i + d] / n;
        m2 += s[2 * i + d] ** 2 / n;
      }
      const sd = Math.sqrt(second - mu * mu);
      expect(Math.abs(m1 - mu)).toBeLessThan(4 * sd / Math.sqrt(n));
      expect(Math.sqrt(m2 - m1 * m1) / sd).toBeGreaterThan(0.94);
      expect(Math.sqrt(m2 - m1 * m1) / sd).toBeLessThan(1.06);
    }
    expect(() => model.sample(obs, act, 1, Rng.fromSeed(1), { member: 2 })).toThrow(RangeError);
  });

  it('round-trips through the registry with identical predictions', async () => {
    await saveMocoda(dir, 'nav-local', model, { metrics: { mse_emp: 0.5 }, dataset: { distribution: 'EMP' } });
    const manifests = await listModels(dir);
    expect(manifests.map((m) => [m.id, m.kind])).toEqual([['nav-local', 'mocoda-local']]);
    const loaded = await loadMocoda(dir, 'nav-local');
    const probe = randomNav(50, 4);
    const p = model.predict(probe.observations, probe.actions, 50);
    const q = loaded.predict(probe.observations, probe.actions, 50);
    expect(q.mean).toEqual(p.mean);
    expect(q.std).toEqual(p.std);
    expect(loaded.hyper).toEqual(model.hyper);
    expect(loaded.metrics).toMatchObject({ mse_emp: 0.5 });
    expect(loaded.dataset).toMatchObject({ distribution: 'EMP', fingerprint: model.dataset.fingerprint });
    loaded.dispose();
    await expect(saveMocoda(dir, 'nav-local', model)).rejects.toThrow(/already exists/);
    await expect(loadMocoda(dir, 'nope')).rejects.toThrow(/no model "nope"/);
  });

  it('steps a Navigation2D session as a Dynamics (mean, member-major and sample modes)', () => {
    const dyn = new MocodaDynamics(nav, model, { mode: 'mean', modelId: 'nav-local' });
    expect(dyn.members).toBe(2);
    const s = new EnvSession({ definition: nav, dynamics: dyn, numEnvs: 3, seed: 1, autoreset: 'disabled' });
    const { obs } = s.reset({ seed: 1 });
    const actions = Float64Array.of(0.5, 0.2, -0.3, 0.9, 1, 1);
    const out = s.step(actions);
    expect(out.obs).toEqual(model.meanPrediction(obs, actions, 3));
    expect(out.reward).toEqual(Float64Array.of(-1, -1, -1));
    // Member-major: rows [0, k) by member 0, [k, 2k) by member 1.
    const next = new Float64Array(8);
    const states = Float64Array.of(0.1, 0.2, 0.6, 0.7, 0.1, 0.2, 0.6, 0.7);
    const acts = Float64Array.of(0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5);
    dyn.stepMembers({ n: 4, states, actions: acts, contexts: new Float64Array(8), next, rngs: [] });
    const { mean } = model.predict(states.subarray(0, 4), acts.subarray(0, 4), 2);
    expect(next.subarray(0, 4)).toEqual(mean.subarray(0, 4));
    expect(next.subarray(4, 8)).toEqual(model.predict(states.subarray(4, 8), acts.subarray(4, 8), 2).mean.subarray(4, 8));
    // Sample mode: no ensemble declared, reproducible under reset(seed), different from the mean.
    const sampling = new MocodaDynamics(nav, model, { mode: 'sample' });
    expect(sampling.members).toBeUndefined();
    const run = () => {
      const t = new EnvSession({ definition: nav, dynamics: sampling, numEnvs: 3, autoreset: 'disabled' });
      t.reset({ seed: 7 });
      return [t.step(actions).obs, t.step(actions).obs];
    };
    const [a1, a2] = run();
    const [b1, b2] = run();
    expect(a1).toEqual(b1);
    expect(a2).toEqual(b2);
  });

  it('serves through MocodaProvider: list, create, refusals', async () => {
    const provider = new MocodaProvider(dir);
    const infos = await provider.list();
    expect(infos).toHaveLength(1);
    expect(infos[0]).toMatchObject({ id: 'nav-local', kind: 'mocoda-local', env_id: 'Navigation2D-v0', members: 2, agents: null, test_agents: [], context_names: [] });
    expect(infos[0].metadata).toMatchObject({ metrics: { mse_emp: 0.5 } });
    expect(await provider.create({ model: 'missing' }, nav)).toBeUndefined();
    const made = await provider.create({ model: 'nav-local', mode: 'sample' }, nav);
    expect(made?.contexts).toBeNull();
    expect(made?.dynamics.kind).toBe('mocoda-local');
    expect(made?.dynamics.members).toBeUndefined();
    const again = await provider.create({ model: 'nav-local' }, nav);
    expect(again?.dynamics.members).toBe(2);
    const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof TwinGymError ? e.code : String(e)));
    expect(await code(provider.create({ model: 'nav-local' }, makeDefinition('HookSweep2-v0')))).toBe('unknown_dynamics');
    expect(await code(provider.create({ model: 'nav-local', agent: 0 }, nav))).toBe('invalid_argument');
    expect(await code(provider.create({ model: 'nav-local', trajectory: { n: 1, observations: new Float64Array(2), actions: new Float64Array(2), nextObservations: new Float64Array(2) } }, nav))).toBe('invalid_argument');
    await provider.dispose();
  });

  it('serves HookSweep2: children predicted, goals copied, state rebuilt from the observation', () => {
    const hook = makeDefinition('HookSweep2-v0');
    const m = untrained(hook, defaultMocodaHyper(hook.id, 'local', { members: 2, hidden: [8], embed: 4 }));
    const dyn = new MocodaDynamics(hook, m);
    const s = new EnvSession({ definition: hook, dynamics: dyn, numEnvs: 2, seed: 3, autoreset: 'disabled' });
    const { obs } = s.reset({ seed: 3 });
    const actions = Float64Array.of(0.1, 0.2, 0, 0, -0.3, 0.1, 0.2, 0);
    const out = s.step(actions);
    const want = m.meanPrediction(obs, actions, 2);
    const { low, high } = hook.observationSpace;
    for (let i = 0; i < 2; i++) {
      for (let d = 16; d < 20; d++) expect(out.obs[i * 20 + d]).toBeCloseTo(obs[i * 20 + d], 12);
      for (let d = 0; d < 16; d++) expect(out.obs[i * 20 + d]).toBeCloseTo(Math.min(Math.max(want[i * 20 + d], low[d]), high[d]), 6);
    }
    s.close?.();
    m.dispose();
  });
});
