/**
 * Tunes HalfCheetah's "pure" behaviour controller (src/data/controllers.ts): an open-loop gait
 *   a_j(t) = clip(o_j + A_j sin(2 pi f t dt + phi_j), -1, 1),   dt = 0.05 s per step,
 * with 19 parameters (one frequency, and per joint an amplitude, an offset and a phase), found by the cross-entropy
 * method on the TRUE environment: each candidate runs from reset on PerSim's five HalfCheetah test contexts (mass and
 * damping scales 0.3-1.7) and is scored by the mean of (average over contexts, worst context) of the env's return, so
 * the gait has to run on light, heavy, stiff and loose cheetahs alike. Every candidate x context is one instance of
 * one batched session (worker threads step them). Prints the best parameters as a TypeScript literal for controllers.ts.
 *
 * Usage: node bin/run-ts.mjs scripts/persim-cheetah-gait.ts [--iterations 12] [--population 24] [--elites 6]
 *        [--steps 150] [--seed 0]
 */
import { parseArgs } from 'node:util';
import { makeDefinition } from '../envs/registry.js';
import { Rng } from '../src/core/rng.js';
import { EnvSession } from '../src/core/session.js';
import { persimSetup } from '../src/data/setups.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '12' },
    population: { type: 'string', default: '24' },
    elites: { type: 'string', default: '6' },
    steps: { type: 'string', default: '150' },
    seed: { type: 'string', default: '0' },
  },
});
const ITER = Number(values.iterations);
const POP = Number(values.population);
const ELITES = Number(values.elites);
const STEPS = Number(values.steps);
const J = 6;
const DT = 0.05;

/** Parameter vector layout: [f, A_0..5, o_0..5, phi_0..5], each kept inside its box. */
const LOW = [0.5, ...new Array(J).fill(0), ...new Array(J).fill(-0.5), ...new Array(J).fill(-Math.PI)];
const HIGH = [4, ...new Array(J).fill(1), ...new Array(J).fill(0.5), ...new Array(J).fill(3 * Math.PI)];

/** Writes the gait's action for step t into out[at ..). */
function gaitAction(p: ArrayLike<number>, t: number, out: Float64Array, at: number): void {
  const w = 2 * Math.PI * p[0] * t * DT;
  for (let j = 0; j < J; j++) out[at + j] = Math.fround(Math.max(-1, Math.min(1, p[1 + J + j] + p[1 + j] * Math.sin(w + p[1 + 2 * J + j]))));
}

const def = makeDefinition('HalfCheetah-v0');
const contexts = persimSetup('HalfCheetah-v0')!.testAgents;
const K = contexts.length;

/** Returns per candidate and context, all candidates in one batched session. */
function evaluate(cands: Float64Array[], seed: number): Float64Array {
  const n = cands.length * K;
  const session = new EnvSession({ definition: def, numEnvs: n, contexts: cands.flatMap(() => contexts), autoreset: 'disabled' });
  try {
    session.reset({ seed: Array.from({ length: n }, (_, i) => seed + (i % K)) });
    const ret = new Float64Array(n);
    const act = new Float64Array(n * J);
    for (let t = 0; t < STEPS; t++) {
      for (let i = 0; i < n; i++) gaitAction(cands[Math.floor(i / K)], t, act, i * J);
      const r = session.step(act);
      for (let i = 0; i < n; i++) ret[i] += r.reward[i];
    }
    return ret;
  } finally {
    session.close();
  }
}

function score(ret: Float64Array, c: number): { score: number; mean: number; min: number } {
  let mean = 0;
  let min = Infinity;
  for (let k = 0; k < K; k++) {
    mean += ret[c * K + k] / K;
    min = Math.min(min, ret[c * K + k]);
  }
  return { score: (mean + min) / 2, mean, min };
}

const rng = Rng.fromSeed(Number(values.seed));
// Start from the earlier random-search gait (amplitude 0.854, 1.724 Hz) with zero offsets.
const start = [1.724, ...new Array(J).fill(0.854), ...new Array(J).fill(0), 1.901, 0.37, 1.479, 4.383, 3.998, 1.49];
let mean = Float64Array.from(start);
let std = Float64Array.from(LOW, (lo, i) => 0.25 * (HIGH[i] - lo));
let best = { p: mean.slice(), score: -Infinity, mean: 0, min: 0 };
for (let it = 0; it < ITER; it++) {
  const cands = Array.from({ length: POP }, (_, c) => {
    if (c === 0) return mean.slice();
    return Float64Array.from(mean, (m, i) => Math.max(LOW[i], Math.min(HIGH[i], m + std[i] * rng.normal())));
  });
  const t0 = performance.now();
  const ret = evaluate(cands, 1000 + it);
  const scored = cands.map((p, c) => ({ p, ...score(ret, c) })).sort((a, b) => b.score - a.score);
  if (scored[0].score > best.score) best = scored[0];
  const el = scored.slice(0, ELITES);
  const nm = new Float64Array(mean.length);
  const ns = new Float64Array(mean.length);
  for (const e of el) for (let i = 0; i < nm.length; i++) nm[i] += e.p[i] / ELITES;
  for (const e of el) for (let i = 0; i < nm.length; i++) ns[i] += (e.p[i] - nm[i]) ** 2 / ELITES;
  mean = nm;
  std = Float64Array.from(ns, (v, i) => Math.max(Math.sqrt(v), 0.01 * (HIGH[i] - LOW[i])));
  console.log(`iteration ${it + 1}/${ITER}: best ${scored[0].score.toFixed(1)} (mean ${scored[0].mean.toFixed(1)}, worst ${scored[0].min.toFixed(1)}), elite mean ${(el.reduce((s, e) => s + e.score, 0) / ELITES).toFixed(1)}; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
// Re-score the best on fresh starts and on 1000 steps' worth of time (the dataset's episode length).
const check = evaluate([best.p], 99);
console.log(`best over ${STEPS} steps: score ${best.score.toFixed(1)}; on fresh starts: per context ${Array.from(check, (x) => x.toFixed(1)).join(', ')}`);
const r = (x: number) => Number(x.toFixed(3));
console.log(`GAIT = { hz: ${r(best.p[0])}, amplitudes: [${Array.from(best.p.subarray(1, 1 + J), r).join(', ')}], offsets: [${Array.from(best.p.subarray(1 + J, 1 + 2 * J), r).join(', ')}], phases: [${Array.from(best.p.subarray(1 + 2 * J), r).join(', ')}] }`);
process.exit(0);
