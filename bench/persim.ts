/**
 * PerSim benchmarks on the TF.js backend in use (wasm here): training throughput (transitions per second per epoch)
 * and batched inference throughput (imagined steps per second for a batch of 5000 states x 5 ensemble members), each
 * printed next to plain tf.matMul work of the same sizes measured in the same run:
 *   - training: the forward and backward products of one step (per member: x W for every layer, and the two products
 *     of each layer's gradient) timed alone, so the ratio says how much the rest (op dispatch, Adam, gathers) costs;
 *     the step is also timed with TF.js's own transposed-operand gradient to show what the explicit transposes buy;
 *   - inference: the network's forward products alone, and the same products as one 3-D batched matMul over members;
 *     inference is timed for mixed agents, for one agent (the planning case) and through the training graph.
 * Usage: node bin/run-ts.mjs bench/persim.ts [--quick] [--write]   (--write: also docs/results/persim-bench.md)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { collectDataset } from '../src/data/collect.js';
import { ensureBackend, setExplicitTransposeGrad, tf } from '../src/models/nn/index.js';
import { defaultHyper, trainPersim } from '../src/models/persim/index.js';

const quick = process.argv.includes('--quick');

function timeIt(fn: () => void, minMs: number): number {
  fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs || n < 3) { fn(); n++; }
  return (performance.now() - t0) / n;
}

/** Milliseconds for the plain 2-D products of one training step of an MLP with these layer sizes, M members. */
function matMulFloor(sizes: number[], batch: number, M: number, minMs: number): number {
  const ws = sizes.slice(0, -1).map((s, k) => tf.randomNormal([s, sizes[k + 1]]) as tf.Tensor2D);
  const xs = sizes.slice(0, -1).map((s) => tf.randomNormal([batch, s]) as tf.Tensor2D);
  const ys = sizes.slice(1).map((s) => tf.randomNormal([batch, s]) as tf.Tensor2D);
  const ms = timeIt(() => {
    tf.tidy(() => {
      const out: tf.Tensor[] = [];
      for (let m = 0; m < M; m++) {
        ws.forEach((w, k) => {
          out.push(tf.matMul(xs[k], w));
          out.push(tf.matMul(ys[k], tf.transpose(w)));
          out.push(tf.matMul(tf.transpose(xs[k]), ys[k]));
        });
      }
      for (const o of out) o.dataSync();
    });
  }, minMs);
  tf.dispose([...ws, ...xs, ...ys]);
  return ms;
}

async function main(): Promise<void> {
  const backend = await ensureBackend();
  console.log(`TF.js backend: ${backend.name} (${backend.reason})`);
  const minMs = quick ? 300 : 1500;
  const rows: string[] = ['| benchmark | measured | same-run baseline | ratio |', '|---|---|---|---|'];

  for (const envId of ['MountainCar-v0', 'CartPole-v0'] as const) {
    const d = collectDataset({ envId, numAgents: envId === 'MountainCar-v0' ? 10 : 200, policy: 'random', seed: 0 });
    const h = defaultHyper(envId, { epochs: quick ? 1 : 2, seed: 0 });
    const sizes = [d.obsSize, ...h.stateHidden, d.obsSize * h.rank];
    const steps = h.epochs * Math.ceil(d.n / h.batchSize);
    // Warm-up: the first training in a process pays kernel set-up and JIT; it is not measured.
    trainPersim(d, h).network.dispose();
    for (const explicit of [false, true]) {
      setExplicitTransposeGrad(explicit);
      const t0 = performance.now();
      const r = trainPersim(d, h);
      const sec = (performance.now() - t0) / 1000;
      r.network.dispose();
      const perStep = (sec * 1000) / steps;
      const floor = matMulFloor(sizes, h.batchSize, h.members, minMs);
      rows.push(`| ${envId} training, ${explicit ? 'explicit-transpose grads' : 'TF.js transposed-operand grads'} (batch ${h.batchSize}, 5 members) | ${(d.n / sec).toFixed(0)} transitions/s (${perStep.toFixed(1)} ms/step) | plain matMuls of one step: ${floor.toFixed(2)} ms | ${(perStep / floor).toFixed(1)}x |`);
      console.log(rows[rows.length - 1]);
    }
    setExplicitTransposeGrad(true);

    // Inference: 5000 states x 5 members with a trained-shaped network.
    const r = trainPersim(d, defaultHyper(envId, { epochs: 1, seed: 0 }));
    const B = 5000;
    const states = new Float64Array(B * d.obsSize);
    const actions = new Float64Array(B);
    const ids = new Int32Array(B);
    for (let i = 0; i < B; i++) {
      const j = i % d.n;
      states.set(d.observations.subarray(j * d.obsSize, (j + 1) * d.obsSize), i * d.obsSize);
      actions[i] = d.actions[j];
      ids[i] = d.agentIds[j];
    }
    // Mixed agents (every row its own agent, as in evaluation batches) and one agent (the planning case, where the
    // action and agent factors fold into the state encoder's last layer), against the old training-graph path.
    const ms = timeIt(() => r.network.predictDeltas(states, actions, B, { agentIds: ids }), minMs);
    const one = new Int32Array(B).fill(3);
    const msOne = timeIt(() => r.network.predictDeltas(states, actions, B, { agentIds: one }), minMs);
    const msGraph = timeIt(() => r.network.predictDeltasGraph(states, actions, B, { agentIds: ids }), minMs);
    // Baselines: the network's chain of products alone (no bias, activation or encoders), read back once like the model.
    const ws = sizes.slice(0, -1).map((s, k) => tf.randomNormal([s, sizes[k + 1]]) as tf.Tensor2D);
    const x0 = tf.randomNormal([B, sizes[0]]) as tf.Tensor2D;
    const plain = timeIt(() => tf.tidy(() => {
      const outs: tf.Tensor[] = [];
      for (let m = 0; m < 5; m++) outs.push(ws.reduce((h, w) => tf.matMul(h, w), x0));
      tf.stack(outs).dataSync();
    }), minMs);
    const w3 = ws.map((w) => tf.stack([w, w, w, w, w]) as tf.Tensor3D);
    const x3 = tf.stack([x0, x0, x0, x0, x0]) as tf.Tensor3D;
    const batched = timeIt(() => tf.tidy(() => { w3.reduce((h, w) => tf.matMul(h, w), x3).dataSync(); }), minMs);
    const base = `plain 2-D matMuls (${sizes.join('-')}, 5 members): ${plain.toFixed(2)} ms; one 3-D batched matMul per layer: ${batched.toFixed(2)} ms`;
    const line = (what: string, t: number) => `| ${envId} inference, 5000 states x 5 members, ${what} | ${((B / t) * 1000).toFixed(0)} imagined steps/s (${t.toFixed(1)} ms per batch) | ${base} | ${(t / plain).toFixed(2)}x of 2-D |`;
    rows.push(line('mixed agents (fast path)', ms), line('one agent (fast path, folded last layer)', msOne), line('mixed agents, training graph (before)', msGraph));
    console.log(rows.slice(-3).join('\n'));
    tf.dispose([...ws, x0, ...w3, x3]);
    r.network.dispose();
  }
  console.log(`\n${rows.join('\n')}`);
  if (process.argv.includes('--write')) {
    const dir = join(import.meta.dirname ?? '.', '..', 'docs', 'results');
    mkdirSync(dir, { recursive: true });
    const md = [
      '# PerSim benchmarks',
      '',
      `Command: \`node bin/run-ts.mjs bench/persim.ts ${process.argv.slice(2).join(' ')}\` on ${new Date().toISOString()}; backend ${backend.name}; load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')} (2 cores shared with other jobs: compare ratios, not absolute numbers).`,
      '',
      ...rows,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'persim-bench.md'), md);
  }
}

await main();
