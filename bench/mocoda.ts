/**
 * MOCODA benchmarks on the TF.js backend in use (wasm here), Navigation2D with the paper's network sizes (5 members,
 * 2 x 256, embedding 128, batch 512):
 *   - training throughput (transitions per second per epoch) of each kind, next to the plain tf.matMul products of
 *     one training step (per member and weight matrix: the forward product and the two gradient products, explicit
 *     transposes) timed alone in the same run, so the ratio says what dispatch, gathers, masks and Adam cost, and
 *     each factored kind's step time relative to the unfactored one's in the same run (their products cost about 2x
 *     for global and 3x for local on Navigation2D: one MLP per child, and the local model's 128 -> 256 layer);
 *   - generation throughput (transitions per second: parent sampling from the fitted mixtures with region rejection,
 *     then model sampling with a random member per row and temperature 3), next to the forward products of the same
 *     rows timed alone.
 * Usage: node bin/run-ts.mjs bench/mocoda.ts [--quick]   (writes docs/results/mocoda-bench.md; everything below the
 * file's HISTORY marker line is kept, so before/after notes survive reruns)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { buildNavigation2D, navigation2dStep } from '../envs/classic/navigation2d.js';
import { Rng } from '../src/core/rng.js';
import { ensureBackend, tf } from '../src/models/nn/index.js';
import { defaultMocodaHyper, fitParentDistribution, trainMocoda, type MocodaKind, type MocodaModel, type TransitionData } from '../src/models/mocoda/index.js';

const quick = process.argv.includes('--quick');
/** Lines from this marker on in the results file are notes kept across reruns. */
const HISTORY = '<!-- HISTORY: kept by bench/mocoda.ts -->';

/** L-shaped-like transitions of the true dynamics (the bench only needs realistic inputs, not the exact dataset). */
function lShaped(n: number, seed: number): TransitionData {
  const rng = Rng.fromSeed(seed);
  const observations = new Float64Array(2 * n);
  const actions = new Float64Array(2 * n);
  let x = 0;
  let y = 0;
  for (let i = 0; i < n; i++) {
    const up = Math.floor(i / 40) % 2 === 0;
    if (i % 40 === 0) {
      x = up ? rng.uniform(0.6, 1) : rng.uniform(0, 0.15);
      y = up ? rng.uniform(0, 0.15) : rng.uniform(0, 0.4);
    }
    observations.set([x, y], 2 * i);
    actions.set([rng.uniform(-0.05, 0.05) + (up ? 0 : rng.uniform(0.4, 0.9)), rng.uniform(-0.05, 0.05) + (up ? rng.uniform(0.4, 0.9) : 0)], 2 * i);
    x += 0.05 * actions[2 * i];
    y += 0.05 * actions[2 * i + 1];
  }
  const nextObservations = new Float64Array(2 * n);
  const contexts = new Float64Array(2 * n).map((_, k) => (k % 2 ? 0.02 : 0.05));
  navigation2dStep({ n, states: observations, actions, contexts, next: nextObservations, rngs: [] });
  return { n, observations, actions, nextObservations };
}

function timeIt(fn: () => void, minMs: number): number {
  fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs || n < 3) {
    fn();
    n++;
  }
  return (performance.now() - t0) / n;
}

/** The [in, out] weight matrices of one member (dense weights and the local embeddings). */
function matrices(model: MocodaModel): Array<[number, number]> {
  return model.network.params.exportStacked().filter((p) => p.shape.length === 3).map((p) => [p.shape[1], p.shape[2]]);
}

/** Milliseconds of plain products: per member and matrix, `products` products with `rows` rows. */
function matMulFloor(mats: Array<[number, number]>, rows: number, members: number, training: boolean, minMs: number): number {
  const ws = mats.map(([i, o]) => tf.randomNormal([i, o]) as tf.Tensor2D);
  const xs = mats.map(([i]) => tf.randomNormal([rows, i]) as tf.Tensor2D);
  const gs = mats.map(([, o]) => tf.randomNormal([rows, o]) as tf.Tensor2D);
  const ms = timeIt(() => {
    tf.tidy(() => {
      const out: tf.Tensor[] = [];
      for (let m = 0; m < members; m++) {
        ws.forEach((w, k) => {
          out.push(tf.matMul(xs[k], w));
          if (training) {
            out.push(tf.matMul(gs[k], tf.transpose(w)));
            out.push(tf.matMul(tf.transpose(xs[k]), gs[k]));
          }
        });
      }
      for (const o of out) o.dataSync();
    });
  }, minMs);
  tf.dispose([...ws, ...xs, ...gs]);
  return ms;
}

async function main(): Promise<void> {
  const backend = await ensureBackend();
  console.log(`TF.js backend: ${backend.name} (${backend.reason})`);
  const def = buildNavigation2D();
  const minMs = quick ? 300 : 1500;
  const trainRows = quick ? 2048 : 5120;
  const genRows = quick ? 1000 : 5000;
  const data = lShaped(trainRows, 1);
  const rows: string[] = ['| benchmark | measured | same-run baseline | ratio |', '|---|---|---|---|'];
  const kinds: MocodaKind[] = ['unfactored', 'global', 'local'];
  // Warm-up: the first training in a process pays kernel set-up and JIT.
  (await trainMocoda(lShaped(512, 2), def, defaultMocodaHyper(def.id, 'local', { epochs: 1, hidden: [16], embed: 8, members: 2 }))).dispose();

  const t0 = performance.now();
  const parents = fitParentDistribution(def, data, { seed: 1 });
  const fitSec = (performance.now() - t0) / 1000;
  rows.push(`| parent distribution fit (${trainRows} rows, 2 regions x 2 sets, 32 components) | ${fitSec.toFixed(2)} s | - | - |`);
  console.log(rows[rows.length - 1]);

  let unfactoredStep = NaN;
  for (const kind of kinds) {
    const h = defaultMocodaHyper(def.id, kind, { epochs: 1, validationFraction: 0, earlyStopWindow: 0, seed: 0 });
    const model = await trainMocoda(data, def, h);
    const ep = model.training.curve[0];
    const steps = Math.ceil(trainRows / h.batch);
    const perStep = (ep.seconds * 1000) / steps;
    if (kind === 'unfactored') unfactoredStep = perStep;
    const relative = kind === 'unfactored' ? '' : `, ${(perStep / unfactoredStep).toFixed(2)}x unfactored`;
    const mats = matrices(model);
    const floor = matMulFloor(mats, h.batch, h.members, true, minMs);
    rows.push(`| ${kind} training (nav, 5 x 2x256, batch 512) | ${ep.transitionsPerSecond.toFixed(0)} transitions/s (${perStep.toFixed(1)} ms/step${relative}) | plain matMuls of one step: ${floor.toFixed(2)} ms | ${(perStep / floor).toFixed(1)}x |`);
    console.log(rows[rows.length - 1]);

    const rng = Rng.fromSeed(3);
    let acceptance = 0;
    const gen = timeIt(() => {
      const p = parents.sample(genRows, rng);
      acceptance = p.acceptance;
      model.sample(p.observations, p.actions, genRows, rng);
    }, minMs);
    const parentOnly = timeIt(() => parents.sample(genRows, rng), minMs);
    // Rows are split over members (one member per row): each member's products see genRows / members rows.
    const genFloor = matMulFloor(mats, Math.ceil(genRows / h.members), h.members, false, minMs);
    rows.push(`| ${kind} generation (${genRows} rows: parents ${parentOnly.toFixed(1)} ms, acceptance ${(100 * acceptance).toFixed(1)}%, + model sample) | ${((genRows * 1000) / gen).toFixed(0)} transitions/s (${gen.toFixed(1)} ms) | plain forward matMuls of the rows: ${genFloor.toFixed(2)} ms | ${(gen / genFloor).toFixed(1)}x |`);
    console.log(rows[rows.length - 1]);
    model.dispose();
  }

  const load = loadavg().map((x) => x.toFixed(2)).join(', ');
  const dir = join(process.cwd(), 'docs', 'results');
  const file = join(dir, 'mocoda-bench.md');
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const kept = previous.includes(HISTORY) ? previous.slice(previous.indexOf(HISTORY)).trimEnd() : HISTORY;
  const md = [
    '# MOCODA benchmarks',
    '',
    `Measured by \`node bin/run-ts.mjs bench/mocoda.ts${quick ? ' --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}, TF.js backend ${backend.name}, load average ${load}.`,
    'The numbers are NOISY: they were taken while other jobs shared the 2 cores; rerun on a quiet machine before quoting them.',
    'Ratios compare with plain tf.matMul products of the same shapes measured in the same run (see the bench header).',
    '',
    ...rows,
    '',
    'Reading: a training ratio near 2x is what the products cost inside autodiff (bias-gradient sums, the ReLU',
    'gradient, the transposes of the explicit-transpose gradient, Adam on the flat parameters); well above that means',
    'something other than arithmetic dominates. Generation adds JavaScript work per row (mixture sampling, rejection,',
    'assembling rows per member) that has no matMul counterpart.',
    '',
    kept,
    '',
  ].join('\n');
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, md);
  console.log('wrote docs/results/mocoda-bench.md');
}

await main();
