/**
 * Personalisation of NEW agents (contexts not in the training data) for a registry model: the agent factor is fitted
 * from the first 10 / 50 / 200 transitions of the new system (pure-eps-20 behaviour by default, --policy random for the
 * training data's own behaviour; several short episodes concatenated), then the model is judged with the PerSim comparison protocol on that system, next to the model's own
 * trained test agents. Writes docs/results/persim-personalization-<model>.md (-seed-<n> for seeds other than 0). Usage:
 *   node bin/run-ts.mjs scripts/persim-personalization.ts --model persim-mountaincar-random [--registry models]
 *        [--new-agents 5] [--sizes 10,50,200] [--episodes 100] [--seed 0] [--policy pure-eps-20] [--out docs/results]
 *        [--space neighbours|free] [--neighbours 8] [--start best-trained|mean] [--steps 300] [--lr 0.1 or 0.01]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeDefinition } from '../envs/registry.js';
import { Rng } from '../src/core/rng.js';
import { collectDataset } from '../src/data/collect.js';
import { persimSetup } from '../src/data/setups.js';
import { evaluatePersimAgents, evaluatePersonalized } from '../src/eval/persim-eval.js';
import { fmt } from '../src/eval/report.js';
import { loadPersim } from '../src/models/persim/model.js';
import { meanCodes, personalize } from '../src/models/persim/personalize.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    registry: { type: 'string', default: 'models' },
    'new-agents': { type: 'string', default: '5' },
    sizes: { type: 'string', default: '10,50,200' },
    episodes: { type: 'string', default: '100' },
    seed: { type: 'string', default: '0' },
    policy: { type: 'string', default: 'pure-eps-20' },
    start: { type: 'string', default: 'best-trained' },
    steps: { type: 'string', default: '300' },
    space: { type: 'string', default: 'neighbours' },
    neighbours: { type: 'string', default: '8' },
    lr: { type: 'string' },
    weighting: { type: 'string', default: 'agreement' },
    out: { type: 'string', default: 'docs/results' },
  },
});
if (!values.model) throw new Error('--model <id> is required');
if (values.start !== 'best-trained' && values.start !== 'mean') throw new Error('--start must be best-trained or mean');
const start: 'best-trained' | 'mean' = values.start;
const steps = Number(values.steps);
if (!Number.isInteger(steps) || steps < 0) throw new Error('--steps must be a whole number >= 0');
if (values.space !== 'free' && values.space !== 'neighbours') throw new Error('--space must be free or neighbours');
const space: 'free' | 'neighbours' = values.space;
const neighbours = Number(values.neighbours);
if (values.weighting !== 'uniform' && values.weighting !== 'agreement') throw new Error('--weighting must be uniform or agreement');
const weighting: 'uniform' | 'agreement' = values.weighting;
const learningRate = values.lr === undefined ? undefined : Number(values.lr);
const command = `node bin/run-ts.mjs scripts/persim-personalization.ts ${process.argv.slice(2).join(' ')}`;
const model = await loadPersim(values.registry!, values.model);
const envId = model.meta.env.id;
const def = makeDefinition(envId, model.meta.env.options);
const setup = persimSetup(envId);
if (!setup) throw new Error(`${envId} has no PerSim setup`);
const sizes = values.sizes!.split(',').map(Number);
const episodes = Number(values.episodes);
const seed = Number(values.seed);
const trained = evaluatePersimAgents(model, { episodes, seed: 1000 });
const trainedMean = trained.reduce((s, r) => s + r.result.rmseMean, 0) / trained.length;
const rng = Rng.fromSeed(seed + 77);
const lines: string[] = [];
const summary: string[] = [];

/**
 * The trained agent whose context is nearest to ctx, each varied parameter scaled by its range: the model's own error
 * on a system like the new one when that system's trajectory was part of training.
 */
function nearestTrained(ctx: Record<string, number>): number {
  const names = model.meta.agents.context_names;
  const params = def.context.params;
  let best = 0;
  let bestDist = Infinity;
  model.meta.agents.contexts.forEach((row, a) => {
    let dist = 0;
    for (const name of setup!.varied) {
      const p = params.find((q) => q.name === name)!;
      dist += ((row[names.indexOf(name)] - ctx[name]) / (p.high - p.low)) ** 2;
    }
    if (dist < bestDist) { bestDist = dist; best = a; }
  });
  return best;
}
for (let k = 0; k < Number(values['new-agents']); k++) {
  const full = def.context.sampleUniform(rng);
  const ctx = Object.fromEntries(setup.varied.map((n) => [n, full[n]]));
  const pool = collectDataset({ envId, numAgents: 40, policy: values.policy!, seed: seed + 500 + k, contexts: Array.from({ length: 40 }, () => ctx) });
  const O = pool.obsSize;
  const A = pool.actionSize;
  const near = nearestTrained(ctx);
  const nearCtx = model.agentContext(near);
  // The nearest trained agent judged on its own system, with the same episodes and seed as the new agent.
  const nearRmse = evaluatePersimAgents(model, { episodes, seed: 2000 + k }, [near])[0].result.rmseMean;
  const cells = [fmt(evaluatePersonalized(model, meanCodes(model.network), ctx, { episodes, seed: 2000 + k }).rmseMean)];
  for (const size of sizes) {
    const n = Math.min(size, pool.n);
    const fitted = personalize(model.network, { n, observations: pool.observations.slice(0, n * O), actions: pool.actions.slice(0, n * A), nextObservations: pool.nextObservations.slice(0, n * O) }, { start, steps, space, neighbours, learningRate, weighting });
    const r = evaluatePersonalized(model, fitted.codes, ctx, { episodes, seed: 2000 + k });
    cells.push(`${fmt(r.rmseMean)} (${(r.rmseMean / trainedMean).toFixed(2)}x, ${(r.rmseMean / nearRmse).toFixed(2)}x)`);
    if (size === 50) summary.push((r.rmseMean / nearRmse).toFixed(2));
  }
  const nearLabel = `agent ${near} (${setup.varied.map((v) => `${v}=${nearCtx[v].toPrecision(4)}`).join(', ')}): ${fmt(nearRmse)}`;
  const line = `| ${Object.entries(ctx).map(([n, v]) => `${n}=${v.toPrecision(4)}`).join(', ')} | ${nearLabel} | ${cells.join(' | ')} |`;
  console.log(line);
  lines.push(line);
}
const md = [
  `# Personalising new agents: ${values.model} (${envId})`,
  '',
  `Command: \`${command}\` (${new Date().toISOString()})`,
  '',
  `- Each new agent's context is drawn uniformly from the PerSim ranges, so it is not a training agent.`,
  `- Its factor is fitted from the first N transitions of ${values.policy} episodes of that system, with the encoders frozen (Huber loss${weighting === 'agreement' ? ' with rows weighted by the members\' agreement' : ''}, ${steps} Adam steps${values.lr ? `, learning rate ${values.lr}` : ''}): ${space === 'neighbours' ? `a convex combination of the ${neighbours} trained factors that fit those transitions best (per member), only the mixing weights fitted` : `a free factor starting from ${start === 'mean' ? 'the mean trained factor' : 'the trained factor that fits those transitions best, per member'}`}.`,
  `- The column "no data" uses the mean trained factor.`,
  `- Protocol: ${episodes} episodes per agent, 10 steps on true states, then up to 50 steps open loop.`,
  '',
  `Mean RMSE of the model's five trained test agents under the same protocol: ${fmt(trainedMean)} (${trained.map((r) => fmt(r.result.rmseMean)).join(', ')}).`,
  `Two ratios in brackets: against that mean, then against the trained agent nearest in context (each varied parameter scaled by its range), judged on its own system with the new agent's episodes and seed: the error the model reaches for a system like the new one when its trajectory was in the training data.`,
  `With 50 transitions the ratio to the nearest trained agent is ${summary.join(', ')}.`,
  '',
  `| new agent | nearest trained agent: its RMSE | no data | ${sizes.map((s) => `${s} transitions`).join(' | ')} |`,
  `|---|---|---|${sizes.map(() => '---').join('|')}|`,
  ...lines,
  '',
].join('\n');
await mkdir(values.out!, { recursive: true });
// Seed 0 keeps the historical file name; other seeds (other new agents) get their own file beside it.
const file = join(values.out!, `persim-personalization-${values.model}${seed === 0 ? '' : `-seed-${seed}`}.md`);
await writeFile(file, md);
console.log(`wrote ${file}`);
model.dispose();
