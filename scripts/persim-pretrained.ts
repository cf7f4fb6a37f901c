/**
 * Trains the small pretrained PerSim models shipped in models/ (served by `npm start` out of the box): MountainCar-v0
 * and CartPole-v0, random behaviour data, one trajectory per agent. Usage:
 *   node bin/run-ts.mjs scripts/persim-pretrained.ts [--env MountainCar-v0|CartPole-v0|all] [--agents N] [--epochs N]
 *        [--standardize 0|1] [--milestones 150,300] [--registry models] [--episodes 20]
 * --milestones fixes the epochs after which the learning rate halves (default: PerSim's 150 and 300 scaled to --epochs).
 * Prints one progress line per 5% of epochs, then the test-agent metrics stored in each manifest.
 */
import { parseArgs } from 'node:util';
import { collectDataset } from '../src/data/collect.js';
import { datasetSummary } from '../src/data/dataset.js';
import { ensureBackend } from '../src/models/nn/backend.js';
import { defaultHyper } from '../src/models/persim/config.js';
import { runPersimTraining } from '../src/models/persim/job.js';

const { values } = parseArgs({
  options: {
    env: { type: 'string', default: 'all' },
    agents: { type: 'string' },
    epochs: { type: 'string' },
    standardize: { type: 'string' },
    milestones: { type: 'string' },
    registry: { type: 'string', default: 'models' },
    episodes: { type: 'string', default: '20' },
    seed: { type: 'string', default: '0' },
  },
});

/**
 * Shipped-model scale per environment: small enough to train in 10-20 minutes each on two shared cores.
 * MountainCar is trained standardised (the reference trains it in raw units): on the same budget (100 agents, 100
 * epochs) that halved the one-step position error (7.7e-5 versus 1.5e-4) and lowered the velocity error (1.55e-4
 * versus 1.75e-4), because raw velocities (|v| <= 0.07) and their changes (about 1e-3) are tiny inputs and targets.
 */
const PLAN: Record<string, { id: string; agents: number; epochs: number; standardize?: boolean; milestones?: number[] }> = {
  'MountainCar-v0': { id: 'persim-mountaincar-random', agents: 100, epochs: 150, standardize: true },
  // PerSim's 300 epochs halve the rate once (after 150); the loss then sits on Adam's noise floor at 5e-4 (1.6e-6).
  // 150 more epochs with two more halvings (after 300 and 400) reach 2e-7 and cut test agent 5's error from 0.55 to
  // 0.33 (docs/results/persim-pretrained.md).
  'CartPole-v0': { id: 'persim-cartpole-random', agents: 500, epochs: 450, milestones: [150, 300, 400] },
};

const backend = await ensureBackend();
const envs = values.env === 'all' ? Object.keys(PLAN) : [values.env!];
for (const envId of envs) {
  const plan = PLAN[envId];
  if (!plan) throw new Error(`no pretrained plan for ${envId}; use ${Object.keys(PLAN).join(' or ')}`);
  const agents = values.agents ? Number(values.agents) : plan.agents;
  const epochs = values.epochs ? Number(values.epochs) : plan.epochs;
  const seed = Number(values.seed);
  const d = collectDataset({ envId, numAgents: agents, policy: 'random', seed });
  const standardize = values.standardize !== undefined ? values.standardize === '1' : plan.standardize;
  const milestones = values.milestones ? values.milestones.split(',').map(Number) : values.epochs ? undefined : plan.milestones;
  const overrides = { epochs, seed, ...(standardize !== undefined ? { standardize } : {}), ...(milestones ? { milestones } : {}) };
  const hyper = defaultHyper(envId, overrides);
  const s = datasetSummary(d);
  const command = `node bin/run-ts.mjs scripts/persim-pretrained.ts ${process.argv.slice(2).join(' ')}`.trim();
  console.log(`${envId}: ${s.transitions} transitions, ${agents} agents; ${epochs} epochs, batch ${hyper.batchSize}, rank ${hyper.rank}, lr halved after epochs ${hyper.milestones.join(', ')}, standardize ${hyper.standardize}; backend ${backend.name}`);
  const every = Math.max(1, Math.round(epochs / 20));
  const out = await runPersimTraining({
    dataset: d, hyper, registryDir: values.registry!, id: plan.id, overwrite: true, evalEpisodes: Number(values.episodes), command,
    description: `PerSim ensemble for ${envId} trained on random-policy data of ${agents} agents (one trajectory each), ${epochs} epochs; pretrained model shipped with TwinGym`,
    onEpoch: (e) => {
      if (e.epoch % every === 0 || e.epoch === e.epochs) console.log(`  epoch ${e.epoch}/${e.epochs} loss ${e.loss.toExponential(3)} lr ${e.lr} ${e.transitionsPerSecond.toFixed(0)} transitions/s`);
    },
  });
  console.log(`  saved ${out.path}`);
  console.log(JSON.stringify(out.metrics, null, 2));
  out.model.dispose();
}
