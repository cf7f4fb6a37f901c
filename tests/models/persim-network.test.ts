/**
 * The PerSim network and its plumbing, on tiny untrained or briefly trained models: the forward pass is the factor
 * formula (recomputed by hand from the exported weights), training is deterministic under a seed and leaks no
 * tensors, the ablations behave as defined, the registry round-trips exactly and never lists half-written models, and
 * bad requests give clear errors.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectDataset } from '../../src/data/collect.js';
import { selectAgents } from '../../src/data/dataset.js';
import { makeDefinition } from '../../envs/registry.js';
import { TwinGymError } from '../../src/core/errors.js';
import { ensureBackend, tf } from '../../src/models/nn/index.js';
import { listModels } from '../../src/models/registry.js';
import {
  PersimDynamics, PersimModelStore, PersimNetwork, defaultHyper, loadPersim, personalize, persimModelFromTraining, savePersim, trainPersim,
} from '../../src/models/persim/index.js';

beforeAll(async () => {
  await ensureBackend();
});

const mc = collectDataset({ envId: 'MountainCar-v0', numAgents: 6, policy: 'random', seed: 3 });
const small = selectAgents(mc, [0, 1, 2, 3, 4, 5]);
const tiny = (overrides = {}) => defaultHyper('MountainCar-v0', { epochs: 1, members: 2, batchSize: 256, seed: 4, ...overrides });

function stacked(net: PersimNetwork): Map<string, { shape: number[]; data: Float32Array }> {
  return new Map(net.params.exportStacked().map((p) => [p.name, p]));
}

describe('forward pass', () => {
  it('computes delta_d = sum_l u_l(agent) v_l(s, d) w_l(a) with the documented encoders', () => {
    const net = new PersimNetwork({ obsSize: 2, actionSize: 1, discreteActions: 3, numAgents: 4 }, tiny({ stateHidden: [5] }));
    const W = stacked(net);
    const states = Float64Array.of(-0.5, 0.01, 0.3, -0.02, -1.1, 0.05);
    const actions = Float64Array.of(0, 2, 1);
    const agents = Int32Array.of(3, 0, 2);
    const got = net.predictDeltas(states, actions, 3, { agentIds: agents });
    const at = (name: string, m: number, ...idx: number[]) => {
      const p = W.get(name)!;
      let off = m;
      for (let k = 1; k < p.shape.length; k++) off = off * p.shape[k] + idx[k - 1];
      return p.data[off];
    };
    for (let m = 0; m < 2; m++) {
      for (let i = 0; i < 3; i++) {
        const s = [states[2 * i], states[2 * i + 1]];
        const h = Array.from({ length: 5 }, (_, j) => Math.max(0, at('state.0.b', m, j) + s[0] * at('state.0.w', m, 0, j) + s[1] * at('state.0.w', m, 1, j)));
        const v = Array.from({ length: 6 }, (_, o) => at('state.1.b', m, o) + h.reduce((acc, x, j) => acc + x * at('state.1.w', m, j, o), 0));
        for (let d = 0; d < 2; d++) {
          let delta = 0;
          for (let l = 0; l < 3; l++) {
            const u = at('agent.w', m, agents[i], l) + at('agent.b', m, l);
            const w = at('action.0.w', m, actions[i], l) + at('action.0.b', m, l);
            delta += u * v[d * 3 + l] * w;
          }
          expect(got[(m * 3 + i) * 2 + d]).toBeCloseTo(delta, 5);
        }
      }
    }
    net.dispose();
  });

  it('the agent-free basis times a code is the forward pass with that code (how personalisation ranks trained codes)', () => {
    const net = new PersimNetwork({ obsSize: 2, actionSize: 1, discreteActions: 3, numAgents: 4 }, tiny({ stateHidden: [5] }));
    const inp = net.inputs(Float64Array.of(-0.5, 0.01, 0.3, -0.02, -1.1, 0.05), Float64Array.of(0, 2, 1), 3, null);
    const code = tf.tensor2d([[0.7, -1.3, 0.2]]);
    for (let m = 0; m < 2; m++) {
      const basis = net.agentFreeBasis(m, inp);
      expect(basis.shape).toEqual([3 * 2, 3]);
      const viaBasis = tf.matMul(basis, code, false, true);
      const direct = net.forward(m, inp, code);
      const a = viaBasis.dataSync();
      const b = direct.dataSync();
      for (let i = 0; i < 6; i++) expect(a[i]).toBeCloseTo(b[i], 5);
      tf.dispose([basis, viaBasis, direct]);
    }
    tf.dispose([code, inp.states, inp.actions]);
    const ablation = new PersimNetwork({ obsSize: 2, actionSize: 1, discreteActions: 3, numAgents: 4 }, tiny({ kind: 'unfactorized', stateHidden: [5] }));
    expect(() => ablation.agentFreeBasis(0, ablation.inputs(Float64Array.of(0, 0), Float64Array.of(1), 1, null))).toThrow(/linear in its agent code/);
  });

  it('personalises the unfactorized ablation inside its trained codes too, and refuses to exclude every agent', () => {
    const net = new PersimNetwork({ obsSize: 2, actionSize: 1, discreteActions: 3, numAgents: 4 }, tiny({ kind: 'unfactorized', stateHidden: [5] }));
    const data = { n: 3, observations: Float64Array.of(-0.5, 0.01, 0.3, -0.02, -1.1, 0.05), actions: Float64Array.of(0, 2, 1), nextObservations: Float64Array.of(-0.49, 0.012, 0.28, -0.021, -1.05, 0.049) };
    const fitted = personalize(net, data, { neighbours: 1, exclude: [1] });
    const S = net.codeSize;
    const all = net.trainedCodes();
    for (let m = 0; m < 2; m++) {
      const got = Array.from(fitted.codes.subarray(m * S, (m + 1) * S));
      const match = [0, 1, 2, 3].filter((a) => got.every((x, k) => x === all[(m * 4 + a) * S + k]));
      expect(match.length).toBe(1);
      expect(match[0]).not.toBe(1);
    }
    expect(() => personalize(net, data, { exclude: [0, 1, 2, 3] })).toThrow(/no trained agent code/);
    expect(() => personalize(net, data, { neighbours: 0 })).toThrow(/neighbours must be/);
  });

  it('the unpersonalized ablation ignores the agent; the unfactorized one depends on it', () => {
    const unp = trainPersim(small, tiny({ kind: 'unpersonalized' })).network;
    const unf = trainPersim(small, tiny({ kind: 'unfactorized' })).network;
    const s = mc.observations.slice(0, 20);
    const a = mc.actions.slice(0, 10);
    const p0 = unp.predictDeltas(s, a, 10, null);
    expect(unp.codeSize).toBe(0);
    const f0 = unf.predictDeltas(s, a, 10, { agentIds: new Int32Array(10).fill(0) });
    const f1 = unf.predictDeltas(s, a, 10, { agentIds: new Int32Array(10).fill(5) });
    expect(Array.from(f0)).not.toEqual(Array.from(f1));
    expect(p0.every(Number.isFinite)).toBe(true);
    expect(unf.params.names()).toContain('net.agent.w');
    expect(unp.params.names().some((n) => n.startsWith('agent'))).toBe(false);
    unp.dispose();
    unf.dispose();
  });
});

describe('fast inference', () => {
  const close = (got: Float32Array, want: Float32Array) => {
    expect(got.length).toBe(want.length);
    const scale = want.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    for (let j = 0; j < want.length; j++) expect(Math.abs(got[j] - want[j])).toBeLessThanOrEqual(1e-5 * scale + 1e-9);
  };

  it.each([
    ['persim, discrete, raw', 'MountainCar-v0', 'persim', false, [16, 8]],
    ['persim, discrete, standardised', 'CartPole-v0', 'persim', true, [16, 8]],
    ['persim, discrete, standardised, one-layer state encoder', 'MountainCar-v0', 'persim', true, []],
    ['unpersonalized, discrete', 'MountainCar-v0', 'unpersonalized', false, [16, 8]],
    ['unpersonalized, discrete, standardised', 'CartPole-v0', 'unpersonalized', true, [16]],
    ['persim, continuous, standardised', 'MountainCarContinuous-v0', 'persim', true, [16, 8]],
    ['persim, continuous, standardised, one-layer state encoder', 'MountainCarContinuous-v0', 'persim', true, []],
    ['unpersonalized, continuous', 'MountainCarContinuous-v0', 'unpersonalized', true, [16, 8]],
  ] as const)('matches the training graph to float32 rounding (%s), per row and per member, for agent ids and codes', (_name, envId, kind, standardize, stateHidden) => {
    const d = collectDataset({ envId, numAgents: 5, policy: 'random', seed: 2, includeTestAgents: false });
    const net = trainPersim(d, defaultHyper(envId, { kind, standardize, epochs: 1, members: 3, batchSize: 256, stateHidden: [...stateHidden], actionHidden: [8, 8], seed: 5 })).network;
    const n = 40;
    const s = d.observations.slice(0, n * d.obsSize);
    const a = d.actions.slice(0, n * d.actionSize);
    const ids = Int32Array.from({ length: n }, (_, i) => (i * 7) % 5);
    const who = kind === 'persim' ? { agentIds: ids } : null;
    close(net.predictDeltas(s, a, n, who), net.predictDeltasGraph(s, a, n, who));
    if (kind === 'persim') {
      const codes = Float32Array.from({ length: 3 * net.codeSize }, (_, j) => Math.sin(j + 1));
      close(net.predictDeltas(s, a, n, { codes }), net.predictDeltasGraph(s, a, n, { codes }));
    }
    // Member rows: member m's block of k rows equals member m's slice of a shared-rows prediction on the same block.
    const k = n / 4;
    const A = d.actionSize;
    const rows = net.predictMemberRows(s.slice(0, 3 * k * d.obsSize), a.slice(0, 3 * k * A), k, kind === 'persim' ? { agentIds: ids.slice(0, k) } : null);
    for (let m = 0; m < 3; m++) {
      const block = net.predictDeltasGraph(s.slice(m * k * d.obsSize, (m + 1) * k * d.obsSize), a.slice(m * k * A, (m + 1) * k * A), k, kind === 'persim' ? { agentIds: ids.slice(0, k) } : null);
      close(rows.slice(m * k * d.obsSize, (m + 1) * k * d.obsSize), block.slice(m * k * d.obsSize, (m + 1) * k * d.obsSize));
    }
    // The planning case: one agent for every row (the folded layers), written into a caller's buffer that is reused.
    const one = kind === 'persim' ? { agentIds: new Int32Array(k).fill(3) } : null;
    const buffer = new Float32Array(3 * k * d.obsSize + 5).fill(Number.NaN);
    for (let round = 0; round < 2; round++) {
      const got = net.predictMemberRows(s.slice(0, 3 * k * d.obsSize), a.slice(0, 3 * k * A), k, one, buffer);
      expect(got).toBe(buffer);
      for (let m = 0; m < 3; m++) {
        const block = net.predictDeltasGraph(s.slice(m * k * d.obsSize, (m + 1) * k * d.obsSize), a.slice(m * k * A, (m + 1) * k * A), k, one);
        close(buffer.slice(m * k * d.obsSize, (m + 1) * k * d.obsSize), block.slice(m * k * d.obsSize, (m + 1) * k * d.obsSize));
      }
    }
    expect(() => net.predictMemberRows(s.slice(0, 3 * k * d.obsSize), a.slice(0, 3 * k * A), k, one, new Float32Array(3))).toThrow(/out holds 3 numbers/);
    net.dispose();
  });

  it.each([
    ['persim, discrete, one agent (folded)', 'MountainCar-v0', 'persim', false, true],
    ['persim, discrete, one agent (folded), standardised', 'CartPole-v0', 'persim', true, true],
    ['persim, discrete, several agents', 'MountainCar-v0', 'persim', false, false],
    ['persim, continuous', 'MountainCarContinuous-v0', 'persim', true, true],
    ['unfactorized, discrete', 'MountainCar-v0', 'unfactorized', false, true],
  ] as const)('predictMemberNext is predictMemberRows added to the states and clipped, exactly (%s)', (_name, envId, kind, standardize, oneAgent) => {
    const d = collectDataset({ envId, numAgents: 5, policy: 'random', seed: 4, includeTestAgents: false });
    const net = trainPersim(d, defaultHyper(envId, { kind, standardize, epochs: 1, members: 3, batchSize: 256, stateHidden: [16, 8], actionHidden: [8], seed: 6 })).network;
    const D = d.obsSize;
    const k = 12;
    const s = d.observations.slice(0, 3 * k * D);
    const a = d.actions.slice(0, 3 * k * d.actionSize);
    const who = { agentIds: oneAgent ? new Int32Array(k).fill(2) : Int32Array.from({ length: k }, (_, i) => i % 5) };
    const deltas = net.predictMemberRows(s, a, k, who);
    // Bounds through the middle of the predicted next states, so some rows clip on each side.
    const low = Array.from({ length: D }, (_, j) => { const v = Array.from({ length: 3 * k }, (_, i) => s[i * D + j] + deltas[i * D + j]).sort((x, y) => x - y); return v[Math.floor(v.length / 4)]; });
    const high = Array.from({ length: D }, (_, j) => { const v = Array.from({ length: 3 * k }, (_, i) => s[i * D + j] + deltas[i * D + j]).sort((x, y) => x - y); return v[Math.floor((3 * v.length) / 4)]; });
    const next = new Float64Array(3 * k * D + 3).fill(Number.NaN);
    for (let round = 0; round < 2; round++) {
      net.predictMemberNext(s, a, k, who, { next, low, high });
      let clippedLow = 0;
      let clippedHigh = 0;
      for (let j = 0; j < 3 * k * D; j++) {
        const want = Math.min(Math.max(s[j] + deltas[j], low[j % D]), high[j % D]);
        expect(next[j]).toBe(want);
        if (want === low[j % D]) clippedLow++;
        if (want === high[j % D]) clippedHigh++;
      }
      expect(clippedLow).toBeGreaterThan(0);
      expect(clippedHigh).toBeGreaterThan(0);
      expect(Number.isNaN(next[3 * k * D])).toBe(true);
    }
    expect(() => net.predictMemberNext(s, a, k, who, { next: new Float64Array(4), low, high })).toThrow(/next holds 4 numbers/);
    net.dispose();
  });

  it('rebuilds its read-back tables when the weights change (import, training steps)', () => {
    const a = trainPersim(small, tiny({ seed: 1 })).network;
    const b = trainPersim(small, tiny({ seed: 2 })).network;
    const s = mc.observations.slice(0, 20);
    const act = mc.actions.slice(0, 10);
    const who = { agentIds: new Int32Array(10).fill(1) };
    const before = a.predictDeltas(s, act, 10, who);
    const v = a.params.version;
    a.params.importStacked(b.params.exportStacked());
    expect(a.params.version).toBeGreaterThan(v);
    const after = a.predictDeltas(s, act, 10, who);
    expect(Array.from(after)).not.toEqual(Array.from(before));
    expect(Array.from(after)).toEqual(Array.from(b.predictDeltas(s, act, 10, who)));
    a.dispose();
    b.dispose();
  });
});

describe('continuous actions', () => {
  it('encodes actions with a 2-hidden-layer MLP, standardises, and lowers the loss (MountainCarContinuous)', () => {
    const d = collectDataset({ envId: 'MountainCarContinuous-v0', numAgents: 4, policy: 'random', seed: 1, includeTestAgents: false });
    expect(d.discreteActions).toBe(0);
    const r = trainPersim(d, defaultHyper('MountainCarContinuous-v0', { epochs: 4, members: 2, batchSize: 128, actionHidden: [16, 16], seed: 2 }));
    expect(r.network.params.names().filter((n) => n.startsWith('action.'))).toEqual(['action.0.w', 'action.0.b', 'action.1.w', 'action.1.b', 'action.2.w', 'action.2.b']);
    expect(r.network.standardization).not.toBeNull();
    expect(r.curve[3].loss).toBeLessThan(0.5 * r.curve[0].loss);
    const p = r.network.predictDeltas(d.observations.slice(0, 20), d.actions.slice(0, 10), 10, { agentIds: d.agentIds.slice(0, 10) });
    expect(p.every(Number.isFinite)).toBe(true);
    r.network.dispose();
  });
});

describe('ensemble dynamics contract', () => {
  it('step is the mean of the members, and stepMembers steps each member on its own rows', () => {
    const r = trainPersim(small, tiny({ members: 3 }));
    const model = persimModelFromTraining(r.network, small, r.curve, r.seconds, 'wasm');
    const def = makeDefinition('MountainCar-v0');
    const dyn = new PersimDynamics(def, model, { agent: 2 });
    expect(dyn.members).toBe(3);
    expect(new PersimDynamics(def, model, { agent: 2 }, { mode: 'sample' }).members).toBeUndefined();
    const k = 4;
    const states = Float64Array.from({ length: 2 * k }, (_, i) => (i % 2 ? 0.01 * i : -0.5 + 0.05 * i));
    const actions = Float64Array.from({ length: k }, (_, i) => i % 3);
    const mean = new Float64Array(2 * k);
    dyn.step({ n: k, states, actions, contexts: new Float64Array(k), next: mean, rngs: [] });
    // The same rows for every member, member-major.
    const rep = (a: Float64Array) => Float64Array.from({ length: a.length * 3 }, (_, i) => a[i % a.length]);
    const per = new Float64Array(3 * 2 * k);
    dyn.stepMembers({ n: 3 * k, states: rep(states), actions: rep(actions), contexts: new Float64Array(3 * k), next: per, rngs: [] });
    const deltas = model.network.predictDeltas(states, actions, k, { agentIds: new Int32Array(k).fill(2) });
    for (let m = 0; m < 3; m++) {
      for (let j = 0; j < 2 * k; j++) expect(per[m * 2 * k + j]).toBeCloseTo(Math.min(Math.max(states[j] + deltas[m * 2 * k + j], def.observationSpace.low[j % 2]), def.observationSpace.high[j % 2]), 6);
    }
    for (let j = 0; j < 2 * k; j++) expect(mean[j]).toBeCloseTo((per[j] + per[2 * k + j] + per[4 * k + j]) / 3, 6);
    model.dispose();
  });
});

describe('training', () => {
  it('is deterministic under a seed and differs across seeds', () => {
    const a = trainPersim(small, tiny()).network;
    const b = trainPersim(small, tiny()).network;
    const c = trainPersim(small, tiny({ seed: 5 })).network;
    const wa = a.params.exportStacked();
    const wb = b.params.exportStacked();
    wa.forEach((p, k) => expect(Array.from(wb[k].data)).toEqual(Array.from(p.data)));
    expect(Array.from(c.params.exportStacked()[0].data)).not.toEqual(Array.from(wa[0].data));
    for (const n of [a, b, c]) n.dispose();
  });

  it('keeps the tensor count stable across epochs and frees everything on dispose', () => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const r = trainPersim(small, tiny({ epochs: 3 }), { onEpoch: () => counts.push(tf.memory().numTensors) });
    expect(new Set(counts).size).toBe(1);
    r.network.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(r.curve.map((e) => e.epoch)).toEqual([1, 2, 3]);
    // Milestones 150 and 300 scaled to 3 epochs are round(1.5) = 2 and 3.
    expect(r.curve.map((e) => e.lr)).toEqual([1e-3, 1e-3, 5e-4]);
  });
});

describe('registry', () => {
  it('round-trips weights, standardisation and metadata with identical predictions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twingym-models-'));
    const r = trainPersim(small, tiny({ standardize: true }));
    const model = persimModelFromTraining(r.network, small, r.curve, r.seconds, 'wasm');
    await savePersim(dir, 'mc-tiny', model);
    const back = await loadPersim(dir, 'mc-tiny');
    const s = mc.observations.slice(0, 40);
    const a = mc.actions.slice(0, 20);
    const ids = Int32Array.from({ length: 20 }, (_, i) => i % 6);
    expect(Array.from(back.network.predictDeltas(s, a, 20, { agentIds: ids }))).toEqual(Array.from(model.network.predictDeltas(s, a, 20, { agentIds: ids })));
    expect(back.network.standardization).toEqual(model.network.standardization);
    expect(back.meta.dataset.fingerprint).toBe(model.meta.dataset.fingerprint);
    expect(back.meta.training.curve).toEqual(r.curve);
    expect(back.agentContext(3)).toEqual({ gravity: 0.0025 });
    await expect(savePersim(dir, 'mc-tiny', model)).rejects.toThrow(/already exists/);
    model.dispose();
    back.dispose();
  });

  it('reloads a model replaced on disk while the old one keeps serving its sessions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twingym-models-'));
    const first = trainPersim(small, tiny({ seed: 1 }));
    const a = persimModelFromTraining(first.network, small, first.curve, first.seconds, 'wasm');
    await savePersim(dir, 'm', a);
    const store = new PersimModelStore(dir);
    const old = await store.get('m');
    expect(await store.get('m')).toBe(old);
    await new Promise((r) => setTimeout(r, 5));
    const second = trainPersim(small, tiny({ seed: 2 }));
    const b = persimModelFromTraining(second.network, small, second.curve, second.seconds, 'wasm');
    await savePersim(dir, 'm', b, { overwrite: true });
    const fresh = await store.get('m');
    expect(fresh).not.toBe(old);
    const s = mc.observations.slice(0, 10);
    const act = mc.actions.slice(0, 5);
    const ids = new Int32Array(5);
    expect(Array.from(fresh.network.predictDeltas(s, act, 5, { agentIds: ids }))).toEqual(Array.from(b.network.predictDeltas(s, act, 5, { agentIds: ids })));
    expect(Array.from(old.network.predictDeltas(s, act, 5, { agentIds: ids }))).toEqual(Array.from(a.network.predictDeltas(s, act, 5, { agentIds: ids })));
    await store.dispose();
    a.dispose();
    b.dispose();
  });

  it('never lists a half-written or unreadable model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twingym-models-'));
    const r = trainPersim(small, tiny());
    const model = persimModelFromTraining(r.network, small, r.curve, r.seconds, 'wasm');
    await savePersim(dir, 'good', model);
    // What a kill during a save leaves behind: a hidden temporary directory with partial files.
    await mkdir(join(dir, '.tmp-good2-1-1'));
    await writeFile(join(dir, '.tmp-good2-1-1', 'weights.bin'), new Uint8Array(8));
    await mkdir(join(dir, 'broken'));
    await writeFile(join(dir, 'broken', 'manifest.json'), '{"format": "twingym-model", "id": "bro');
    expect((await listModels(dir)).map((m) => m.id)).toEqual(['good']);
    model.dispose();
  });

  it('refuses unknown models, mismatched environments and agents out of range with clear errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twingym-models-'));
    const r = trainPersim(small, tiny());
    const model = persimModelFromTraining(r.network, small, r.curve, r.seconds, 'wasm');
    await savePersim(dir, 'mc', model);
    model.dispose();
    const store = new PersimModelStore(dir);
    const mcDef = makeDefinition('MountainCar-v0');
    const fail = async (p: Promise<unknown>, code: string, text: RegExp) => {
      const e = await p.then(() => null, (x: unknown) => x);
      expect(e).toBeInstanceOf(TwinGymError);
      expect((e as TwinGymError).code).toBe(code);
      expect((e as TwinGymError).message).toMatch(text);
    };
    await fail(store.makeDynamics(mcDef, { model: 'nope', agent: 0 }), 'unknown_dynamics', /no PerSim model "nope"; available: mc/);
    await fail(store.makeDynamics(makeDefinition('CartPole-v0'), { model: 'mc', agent: 0 }), 'unknown_dynamics', /simulates MountainCar-v0, not CartPole-v0/);
    await fail(store.makeDynamics(mcDef, { model: 'mc', agent: 6 }), 'invalid_argument', /agent 6 is outside the model's agents 0..5/);
    await fail(store.makeDynamics(mcDef, { model: 'mc', agent: 1.5 }), 'invalid_argument', /outside/);
    await fail(store.makeDynamics(mcDef, { model: 'mc' }), 'invalid_argument', /exactly one of/);
    await fail(store.makeDynamics(mcDef, { model: '../etc', agent: 0 }), 'unknown_dynamics', /no PerSim model/);
    const ok = await store.makeDynamics(mcDef, { model: 'mc', agent: 4 });
    expect(ok.contexts).toEqual({ gravity: 0.0035 });
    expect(ok.dynamics.info).toMatchObject({ model: 'mc', agent: 4, personalized: false });
    expect((await store.list()).map((s) => [s.id, s.env, s.agents])).toEqual([['mc', 'MountainCar-v0', 6]]);
    await store.dispose();
  });
});
