/**
 * Reproduces PerSim's prediction-error experiments at a configurable scale and writes docs/results/persim-<env>.md
 * (+ .json and SVG plots) with the command that made them:
 *   - PerSim on the four datasets (random, pure, pure-eps-20, pure-eps-40): RMSE and R^2 for the five test agents
 *     (PerSim protocol: 10 steps on true states, 50 open loop; the documented test policy);
 *   - the two ablations (unfactorized, unpersonalized) on the chosen datasets;
 *   - personalisation of new agents (unseen contexts) from 10 / 50 / 200 transitions, against the trained test agents;
 *   - a 2-D PCA embedding of the learned agent factors coloured by the true context.
 * Usage: node bin/run-ts.mjs scripts/persim-reproduce.ts [--envs MountainCar-v0,CartPole-v0] [--agents 500]
 *   [--epochs 300] [--episodes 200] [--policies random,pure,pure-eps-20,pure-eps-40] [--ablations random]
 *   [--sizes 10,50,200] [--new-agents 3] [--out docs/results] [--seed 0] [--standardize-envs MountainCar-v0]
 * The paper's scale is 500 agents, 300 epochs, 200 episodes; the defaults are that scale, and the files say which
 * scale produced them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { collectDataset } from '../src/data/collect.js';
import { datasetSummary, type Dataset } from '../src/data/dataset.js';
import { persimSetup } from '../src/data/setups.js';
import { makeDefinition } from '../envs/registry.js';
import { Rng } from '../src/core/rng.js';
import { evaluatePersimAgents, evaluatePersonalized, observationNames } from '../src/eval/persim-eval.js';
import { comparisonTable, fmt, writeComparisonReport, type AgentComparison } from '../src/eval/report.js';
import { pca2 } from '../src/eval/embedding.js';
import { scatterPlot } from '../src/eval/plots.js';
import { ensureBackend } from '../src/models/nn/backend.js';
import { defaultHyper, type PersimKind } from '../src/models/persim/config.js';
import { persimModelFromTraining, type PersimModel } from '../src/models/persim/model.js';
import { personalize } from '../src/models/persim/personalize.js';
import { trainPersim } from '../src/models/persim/train.js';

const { values } = parseArgs({
  options: {
    envs: { type: 'string', default: 'MountainCar-v0,CartPole-v0' },
    agents: { type: 'string', default: '500' },
    epochs: { type: 'string', default: '300' },
    episodes: { type: 'string', default: '200' },
    policies: { type: 'string', default: 'random,pure,pure-eps-20,pure-eps-40' },
    ablations: { type: 'string', default: 'random' },
    sizes: { type: 'string', default: '10,50,200' },
    'new-agents': { type: 'string', default: '3' },
    out: { type: 'string', default: 'docs/results' },
    seed: { type: 'string', default: '0' },
    'standardize-envs': { type: 'string', default: '' },
  },
});
/** Environments trained on standardised states and deltas besides the reference's own choice (HalfCheetah). */
const standardizeEnvs = new Set(values['standardize-envs']!.split(',').filter((x) => x.length > 0));

const agents = Number(values.agents);
const epochs = Number(values.epochs);
const episodes = Number(values.episodes);
const seed = Number(values.seed);
const sizes = values.sizes!.split(',').map(Number);
const command = `node bin/run-ts.mjs scripts/persim-reproduce.ts ${process.argv.slice(2).join(' ')}`.trim();
const backend = await ensureBackend();
const t0 = performance.now();

function log(msg: string): void {
  console.log(`[${((performance.now() - t0) / 1000).toFixed(0)}s] ${msg}`);
}

function train(d: Dataset, kind: PersimKind): PersimModel {
  const hyper = defaultHyper(d.envId, { kind, epochs, seed, ...(standardizeEnvs.has(d.envId) ? { standardize: true } : {}) });
  const every = Math.max(1, Math.round(epochs / 10));
  const r = trainPersim(d, hyper, {
    onEpoch: (e) => { if (e.epoch % every === 0) log(`  ${kind} ${d.policy} epoch ${e.epoch}/${e.epochs} loss ${e.loss.toExponential(3)} ${e.transitionsPerSecond.toFixed(0)} tr/s`); },
  });
  return persimModelFromTraining(r.network, d, r.curve, r.seconds, backend.name);
}

/** Rows of one env's experiments, keyed for the markdown. */
interface Row { model: string; data: string; rows: AgentComparison[] }

await mkdir(values.out!, { recursive: true });
for (const envId of values.envs!.split(',')) {
  const setup = persimSetup(envId);
  if (!setup) throw new Error(`${envId} has no PerSim setup`);
  const def = makeDefinition(envId);
  const results: Row[] = [];
  const dataLines: string[] = [];
  let randomModel: PersimModel | null = null;
  let randomData: Dataset | null = null;
  const base = `persim-${envId.toLowerCase().replace(/-v\d+$/, '')}`;
  const tEnv = performance.now();
  for (const policy of values.policies!.split(',')) {
    const d = collectDataset({ envId, numAgents: agents, policy, seed });
    const s = datasetSummary(d);
    dataLines.push(`| ${policy} | ${s.transitions} | ${s.meanLength.toFixed(1)} | ${s.terminated} | ${s.truncated} |`);
    log(`${envId} ${policy}: ${s.transitions} transitions`);
    const kinds: PersimKind[] = ['persim', ...(values.ablations!.split(',').includes(policy) ? (['unfactorized', 'unpersonalized'] as const) : [])];
    for (const kind of kinds) {
      const model = train(d, kind);
      const rows = evaluatePersimAgents(model, { episodes, seed: 1000 });
      results.push({ model: kind, data: policy, rows });
      log(`  ${kind} ${policy}: RMSE ${rows.map((r) => fmt(r.result.rmseMean)).join(' ')}`);
      if (kind === 'persim' && policy === 'random') {
        randomModel = model;
        randomData = d;
        await writeComparisonReport(values.out!, `${base}-random`, rows, `# ${envId}, PerSim, random data: per-agent comparison\n\nCommand: \`${command}\``, observationNames(envId, def.observationSpace.size));
      } else {
        model.dispose();
      }
    }
  }

  // Personalisation of new agents and the embedding, from the random-data PerSim model.
  const personalLines: string[] = [];
  let personalNote = '';
  const embeddingFiles: string[] = [];
  if (randomModel && randomData) {
    const rng = Rng.fromSeed(seed + 77);
    const trainedMean = results.find((r) => r.model === 'persim' && r.data === 'random')!.rows.reduce((s, r) => s + r.result.rmseMean, 0) / 5;
    const newAgents = Array.from({ length: Number(values['new-agents']) }, () => def.context.sampleUniform(rng));
    for (const [k, full] of newAgents.entries()) {
      const ctx = Object.fromEntries(setup.varied.map((n) => [n, full[n]]));
      // Several short episodes of the same system (CartPole's random episodes last ~20 steps), concatenated.
      const pool = collectDataset({ envId, numAgents: 40, policy: 'pure-eps-20', seed: seed + 500 + k, contexts: Array.from({ length: 40 }, () => ctx) });
      const cells: string[] = [];
      for (const size of sizes) {
        const n = Math.min(size, pool.n);
        const O = pool.obsSize;
        const fitted = personalize(randomModel.network, { n, observations: pool.observations.slice(0, n * O), actions: pool.actions.slice(0, n * pool.actionSize), nextObservations: pool.nextObservations.slice(0, n * O) });
        const r = evaluatePersonalized(randomModel, fitted.codes, ctx, { episodes, seed: 2000 + k });
        cells.push(`${fmt(r.rmseMean)} (${(r.rmseMean / trainedMean).toFixed(2)}x)`);
      }
      personalLines.push(`| ${Object.entries(ctx).map(([n, v]) => `${n}=${v.toPrecision(4)}`).join(', ')} | ${cells.join(' | ')} |`);
      log(`  personalised new agent ${k}: ${cells.join(' ')}`);
    }
    personalNote = `Mean RMSE of the five trained test agents (same protocol): ${fmt(trainedMean)}; the ratio in brackets is against it.`;
    const N = randomModel.numAgents;
    const S = randomModel.network.codeSize;
    const codes = randomModel.network.trainedCodes().subarray(0, N * S);
    const points = pca2(codes, N, S);
    const labels = new Map(randomData.testAgents.map((a, k) => [a, `test ${k + 1}`]));
    const C = randomData.contextNames.length;
    for (const param of setup.varied) {
      const ci = randomData.contextNames.indexOf(param);
      const colour = Float64Array.from({ length: N }, (_, a) => randomData!.agentContexts[a * C + ci]);
      const file = `${base}-embedding-${param}.svg`;
      await writeFile(join(values.out!, file), scatterPlot(points, colour, `${envId}: agent factors (member 0, PCA) coloured by ${param}`, param, labels));
      embeddingFiles.push(file);
    }
    randomModel.dispose();
  }

  const table = results.map((r) => `### ${r.model}, ${r.data} data\n\n${comparisonTable(r.rows)}`).join('\n\n');
  const md = [
    `# PerSim reproduction: ${envId}`,
    '',
    `Command: \`${command}\``,
    '',
    `Scale: ${agents} agents (paper: 500), ${epochs} epochs (paper: 300; learning-rate milestones scaled), ${episodes} evaluation episodes per test agent (paper: 200); states and deltas ${standardizeEnvs.has(envId) || envId === 'HalfCheetah-v0' ? 'standardised' : 'in raw units (as the reference)'}; TF.js backend ${backend.name}; time for this environment ${((performance.now() - tEnv) / 60000).toFixed(1)} min. Generated ${new Date().toISOString()}.`,
    '',
    'Protocol: the test policy acts on the real environment; the model (ensemble mean) is fed true states for 10 steps, then runs up to 50 steps open loop (a window ends where the real episode terminates); RMSE over all state dimensions and the open-loop steps; R^2 variance-weighted over dimensions; mean and median over episodes. The per-agent trajectory plots of the random-data PerSim model are in the persim-<env>-random-*.svg files.',
    '',
    '## Datasets',
    '',
    '| policy | transitions | mean length | terminated | truncated |',
    '|---|---|---|---|---|',
    ...dataLines,
    '',
    '## Prediction error per test agent',
    '',
    table,
    '',
    '## Personalising new agents (encoders frozen, agent factor fitted)',
    '',
    personalNote,
    '',
    `| new agent context | ${sizes.map((s) => `${s} transitions`).join(' | ')} |`,
    `|---|${sizes.map(() => '---').join('|')}|`,
    ...personalLines,
    '',
    embeddingFiles.length ? `## Agent factor embedding\n\nFirst two principal components of the learned agent factors u (ensemble member 0), one point per training agent, coloured by the true context.\n\n${embeddingFiles.map((f) => `![embedding](${f})`).join('\n')}\n` : '',
  ].join('\n');
  await writeFile(join(values.out!, `${base}.md`), md);
  await writeFile(join(values.out!, `${base}.json`), `${JSON.stringify({ command, agents, epochs, episodes, results: results.map((r) => ({ model: r.model, data: r.data, agents: r.rows.map((x) => ({ label: x.label, context: x.context, rmse_mean: x.result.rmseMean, rmse_median: x.result.rmseMedian, r2_mean: x.result.r2Mean, r2_median: x.result.r2Median })) })) }, null, 2)}\n`);
  log(`wrote ${join(values.out!, `${base}.md`)}`);
}
