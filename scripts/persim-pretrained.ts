/**
 * Trains the small pretrained PerSim models shipped in models/ (served by `npm start` out of the box): one for
 * MountainCar-v0 and two for CartPole-v0 (raw units as the reference, and standardised), random behaviour data, one
 * trajectory per agent. Usage:
 *   node bin/run-ts.mjs scripts/persim-pretrained.ts [--env MountainCar-v0|CartPole-v0|all | --model ID] [--agents N] [--epochs N]
 *        [--standardize 0|1] [--milestones 150,300] [--registry models] [--episodes 20] [--kind persim|unfactorized|unpersonalized]
 * --kind trains one of the paper's ablations on the same data and schedule instead (saved as `<model id>-<kind>`, for
 * the ablation comparison at the shipped models' scale; use a --registry outside models/).
 * --milestones fixes the epochs after which the learning rate halves (default: PerSim's 150 and 300 scaled to --epochs).
 * Prints one progress line per 5% of epochs, then the test-agent metrics stored in each manifest.
 */
import { parseArgs } from 'node:util';
import { collectDataset } from '../src/data/collect.js';
import { datasetSummary } from '../src/data/dataset.js';
import { ensureBackend } from '../src/models/nn/backend.js';
import { defaultHyper, PERSIM_KINDS, type PersimKind } from '../src/models/persim/config.js';
import { runPersimTraining } from '../src/models/persim/job.js';

const { values } = parseArgs({
  options: {
    env: { type: 'string', default: 'all' },
    model: { type: 'string' },
    agents: { type: 'string' },
    epochs: { type: 'string' },
    standardize: { type: 'string' },
    milestones: { type: 'string' },
    registry: { type: 'string', default: 'models' },
    episodes: { type: 'string', default: '20' },
    seed: { type: 'string', default: '0' },
    kind: { type: 'string', default: 'persim' },
  },
});
const kind = values.kind as PersimKind;
if (!PERSIM_KINDS.includes(kind)) throw new Error(`--kind must be one of ${PERSIM_KINDS.join(', ')}, got ${values.kind}`);

/**
 * Shipped-model scale per environment: small enough to train in 10-20 minutes each on two shared cores.
 * MountainCar is trained standardised (the reference trains it in raw units): on the same budget (100 agents, 100
 * epochs) that halved the one-step position error (7.7e-5 versus 1.5e-4) and lowered the velocity error (1.55e-4
 * versus 1.75e-4), because raw velocities (|v| <= 0.07) and their changes (about 1e-3) are tiny inputs and targets.
 */
interface Plan {
  id: string;
  env: string;
  agents: number;
  epochs: number;
  standardize?: boolean;
  milestones?: number[];
  /** What sets this model apart, for its manifest's description. */
  note?: string;
}
const PLANS: Plan[] = [
  { id: 'persim-mountaincar-random', env: 'MountainCar-v0', agents: 100, epochs: 150, standardize: true },
  // PerSim's 300 epochs halve the rate once (after 150); the loss then sits on Adam's noise floor at 5e-4 (1.6e-6).
  // 150 more epochs with two more halvings (after 300 and 400) reach 2e-7 and cut test agent 5's error from 0.55 to
  // 0.33 (docs/results/persim-pretrained.md).
  { id: 'persim-cartpole-random', env: 'CartPole-v0', agents: 500, epochs: 450, milestones: [150, 300, 400] },
  // The same data and schedule, standardised. Its open-loop errors are worse on test agents 4 and 5 but its
  // agent-independent kinematic rows (delta x, delta theta) are right, and planning with it keeps the cart on the
  // track (docs/results/mpc-rewards-cartpole-std.md).
  {
    id: 'persim-cartpole-random-std', env: 'CartPole-v0', agents: 500, epochs: 450, milestones: [150, 300, 400], standardize: true,
    note: 'inputs and targets standardised (the reference trains CartPole in raw units: see persim-cartpole-random); the better simulator for planning (docs/results/mpc-rewards-cartpole-std.md)',
  },
];

const backend = await ensureBackend();
const chosen = values.model ? PLANS.filter((p) => p.id === values.model) : PLANS.filter((p) => values.env === 'all' || p.env === values.env);
if (!chosen.length) throw new Error(`no pretrained plan for ${values.model ?? values.env}; models: ${PLANS.map((p) => `${p.id} (${p.env})`).join(', ')}`);
for (const plan of chosen) {
  const envId = plan.env;
  const agents = values.agents ? Number(values.agents) : plan.agents;
  const epochs = values.epochs ? Number(values.epochs) : plan.epochs;
  const seed = Number(values.seed);
  const d = collectDataset({ envId, numAgents: agents, policy: 'random', seed });
  const standardize = values.standardize !== undefined ? values.standardize === '1' : plan.standardize;
  const milestones = values.milestones ? values.milestones.split(',').map(Number) : values.epochs ? undefined : plan.milestones;
  const overrides = { kind, epochs, seed, ...(standardize !== undefined ? { standardize } : {}), ...(milestones ? { milestones } : {}) };
  const hyper = defaultHyper(envId, overrides);
  const s = datasetSummary(d);
  const command = `node bin/run-ts.mjs scripts/persim-pretrained.ts ${process.argv.slice(2).join(' ')}`.trim();
  console.log(`${envId}: ${s.transitions} transitions, ${agents} agents; ${epochs} epochs, batch ${hyper.batchSize}, rank ${hyper.rank}, lr halved after epochs ${hyper.milestones.join(', ')}, standardize ${hyper.standardize}; backend ${backend.name}`);
  const every = Math.max(1, Math.round(epochs / 20));
  const out = await runPersimTraining({
    dataset: d, hyper, registryDir: values.registry!, id: kind === 'persim' ? plan.id : `${plan.id}-${kind}`, overwrite: true, evalEpisodes: Number(values.episodes), command,
    description: `${kind === 'persim' ? 'PerSim ensemble' : `PerSim's ${kind} ablation`} for ${envId} trained on random-policy data of ${agents} agents (one trajectory each), ${epochs} epochs${plan.note ? `, ${plan.note}` : ''}; pretrained model shipped with TwinGym`,
    onEpoch: (e) => {
      if (e.epoch % every === 0 || e.epoch === e.epochs) console.log(`  epoch ${e.epoch}/${e.epochs} loss ${e.loss.toExponential(3)} lr ${e.lr} ${e.transitionsPerSecond.toFixed(0)} transitions/s`);
    },
  });
  console.log(`  saved ${out.path}`);
  console.log(JSON.stringify(out.metrics, null, 2));
  out.model.dispose();
}
