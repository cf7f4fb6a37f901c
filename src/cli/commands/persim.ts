/**
 * PerSim commands: `twingym collect` (offline datasets), `twingym train` (a PerSim model into the registry, with a
 * progress bar) and `twingym compare` (sim versus real, tables and plots). The lead registers them in main.ts with
 * registerPersimCommands(program).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { join } from 'node:path';
import { collectDataset } from '../../data/collect.js';
import { datasetSummary, type Dataset } from '../../data/dataset.js';
import { loadDataset, saveDataset } from '../../data/files.js';
import { evaluatePersimAgents, observationNames } from '../../eval/persim-eval.js';
import { comparisonTable, writeComparisonReport } from '../../eval/report.js';
import { ensureBackend } from '../../models/nn/backend.js';
import { defaultHyper, PERSIM_KINDS, type PersimHyper, type PersimKind } from '../../models/persim/config.js';
import { runPersimTraining } from '../../models/persim/job.js';
import { loadPersim } from '../../models/persim/model.js';
import { intArg, positiveArg } from '../parsers.js';

function intList(value: string): number[] {
  const out = value.split(',').map((s) => Number(s.trim()));
  if (out.some((n) => !Number.isSafeInteger(n) || n < 0)) throw new InvalidArgumentError('expected a comma-separated list of agent ids');
  return out;
}

interface CollectFlags { env: string; agents: number; policy: string; seed: number; out: string; precision: 'f64' | 'f32' }
interface TrainFlags {
  data?: string; env?: string; agents?: number; policy?: string; dataSeed?: number;
  kind: PersimKind; epochs?: number; seed: number; batchSize?: number; rank?: number; lr?: number; members?: number;
  standardize?: boolean; id?: string; out: string; overwrite?: boolean; evalEpisodes: number; progress: boolean;
}
interface CompareFlags { model: string; registry: string; agents?: number[]; episodes: number; seed: number; out: string; mode: 'mean' | 'sample' }

/** The command with every option spelled out (defaults included), for manifests and result files. */
function commandLine(cmd: Command): string {
  const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const parts = Object.entries(cmd.opts()).flatMap(([k, v]) => {
    if (v === undefined) return [];
    if (v === true) return [`--${kebab(k)}`];
    if (v === false) return [`--no-${kebab(k)}`];
    return [`--${kebab(k)}`, Array.isArray(v) ? v.join(',') : String(v)];
  });
  return ['twingym', cmd.name(), ...parts].join(' ');
}

async function datasetFor(flags: TrainFlags): Promise<Dataset> {
  if (flags.data) return loadDataset(flags.data);
  if (!flags.env) throw new InvalidArgumentError('give --data <file> or --env <id> (with --agents and --policy) to collect in memory');
  return collectDataset({ envId: flags.env, numAgents: flags.agents ?? 100, policy: flags.policy ?? 'random', seed: flags.dataSeed ?? 0 });
}

/** Adds collect, train and compare to a commander program. */
export function registerPersimCommands(program: Command): void {
  program
    .command('collect')
    .description('collect a PerSim offline dataset (one trajectory per agent) and write it as .npz or .h5')
    .requiredOption('--env <id>', 'environment id, e.g. MountainCar-v0')
    .option('--agents <n>', 'number of agents including the 5 test agents', intArg('--agents', 5), 500)
    .option('--policy <name>', 'random, pure, pure-eps-20 or pure-eps-40', 'random')
    .option('--seed <n>', 'collection seed', intArg('--seed', 0), 0)
    .requiredOption('--out <file>', 'output file (.npz, .h5 or .hdf5)')
    .addOption(new Option('--precision <p>', 'float width in the file').choices(['f64', 'f32']).default('f64'))
    .action(async (flags: CollectFlags) => {
      const d = collectDataset({ envId: flags.env, numAgents: flags.agents, policy: flags.policy, seed: flags.seed });
      await saveDataset(d, flags.out, { precision: flags.precision });
      const s = datasetSummary(d);
      process.stdout.write(`${flags.out}: ${s.transitions} transitions from ${s.agents} agents (mean length ${s.meanLength.toFixed(1)}, ${s.terminated} terminated, ${s.truncated} truncated); policy: ${d.policyDescription}\n`);
    });

  program
    .command('train')
    .description('train a PerSim model (or an ablation) and save it to the model registry')
    .option('--data <file>', 'dataset file (.npz/.h5) written by `twingym collect`')
    .option('--env <id>', 'collect in memory instead of --data: environment id')
    .option('--agents <n>', 'with --env: number of agents', intArg('--agents', 5))
    .option('--policy <name>', 'with --env: behaviour policy')
    .option('--data-seed <n>', 'with --env: collection seed', intArg('--data-seed', 0))
    .addOption(new Option('--kind <kind>', 'model kind').choices([...PERSIM_KINDS]).default('persim'))
    .option('--epochs <n>', 'training epochs (PerSim: 300; the LR milestones scale with it)', intArg('--epochs'))
    .option('--seed <n>', 'training seed (weights and shuffles)', intArg('--seed', 0), 0)
    .option('--batch-size <n>', 'minibatch size (default per environment)', intArg('--batch-size'))
    .option('--rank <n>', 'latent rank r (default per environment)', intArg('--rank'))
    .option('--lr <x>', 'initial learning rate (default 1e-3)', positiveArg('--lr'))
    .option('--members <n>', 'ensemble size (default 5)', intArg('--members'))
    .option('--standardize', 'standardise states and targets (default: HalfCheetah only)')
    .option('--no-standardize', 'do not standardise')
    .option('--id <id>', 'model id (default <env>-<kind>-<policy>)')
    .option('--out <dir>', 'model registry directory', 'models')
    .option('--overwrite', 'replace an existing model with the same id')
    .option('--eval-episodes <n>', 'episodes per test agent for the stored metrics (0 skips)', intArg('--eval-episodes', 0), 20)
    .option('--no-progress', 'no progress bar (one line per 10% of epochs instead)')
    .action(async (flags: TrainFlags, cmd: Command) => {
      const backend = await ensureBackend();
      const d = await datasetFor(flags);
      const overrides: Partial<PersimHyper> = { kind: flags.kind, seed: flags.seed };
      if (flags.epochs !== undefined) overrides.epochs = flags.epochs;
      if (flags.batchSize !== undefined) overrides.batchSize = flags.batchSize;
      if (flags.rank !== undefined) overrides.rank = flags.rank;
      if (flags.lr !== undefined) overrides.learningRate = flags.lr;
      if (flags.members !== undefined) overrides.members = flags.members;
      if (flags.standardize !== undefined) overrides.standardize = flags.standardize;
      const hyper = defaultHyper(d.envId, overrides);
      const id = flags.id ?? `${d.envId}-${flags.kind}-${d.policy}`.replace(/[^A-Za-z0-9._-]/g, '_');
      const s = datasetSummary(d);
      process.stdout.write(`training ${hyper.kind} on ${s.transitions} transitions from ${s.agents} agents (${d.envId}, ${d.policy}); backend ${backend.name}; ${hyper.epochs} epochs, batch ${hyper.batchSize}, rank ${hyper.rank}, ${hyper.members} members\n`);
      const bar = flags.progress && process.stderr.isTTY
        ? new cliProgress.SingleBar({ format: 'epoch {epoch}/{epochs} [{bar}] {percentage}% | loss {loss} | {tps} transitions/s | eta {eta_formatted}', hideCursor: true }, cliProgress.Presets.shades_classic)
        : null;
      const steps = Math.ceil(d.n / Math.min(hyper.batchSize, d.n));
      bar?.start(hyper.epochs * steps, 0, { epoch: 0, epochs: hyper.epochs, loss: '-', tps: '-' });
      let done = 0;
      const outcome = await runPersimTraining({
        dataset: d, hyper, registryDir: flags.out, id, overwrite: flags.overwrite, evalEpisodes: flags.evalEpisodes, command: commandLine(cmd),
        onStep: () => { done += 1; bar?.update(done); },
        onEpoch: (e) => {
          bar?.update(done, { epoch: e.epoch, loss: e.loss.toExponential(3), tps: e.transitionsPerSecond.toFixed(0) });
          if (!bar && (e.epoch % Math.max(1, Math.round(e.epochs / 10)) === 0 || e.epoch === e.epochs)) {
            process.stdout.write(`epoch ${e.epoch}/${e.epochs} loss ${e.loss.toExponential(3)} lr ${e.lr} ${e.transitionsPerSecond.toFixed(0)} transitions/s\n`);
          }
        },
      });
      bar?.stop();
      process.stdout.write(`saved ${outcome.path}\n${JSON.stringify(outcome.metrics, null, 2)}\n`);
      outcome.model.dispose();
    });

  program
    .command('compare')
    .description('compare a learned model with the real environment (PerSim protocol) and write a table and plots')
    .requiredOption('--model <id>', 'model id in the registry')
    .option('--registry <dir>', 'model registry directory', 'models')
    .option('--agents <ids>', 'comma-separated agent ids (default: the model\'s 5 test agents)', intList)
    .option('--episodes <n>', 'episodes per agent (PerSim: 200)', intArg('--episodes'), 200)
    .option('--seed <n>', 'evaluation seed', intArg('--seed', 0), 0)
    .addOption(new Option('--mode <mode>', 'ensemble use: member mean or a random member per step').choices(['mean', 'sample']).default('mean'))
    .option('--out <dir>', 'output directory for <model>-compare.md/.json/.svg', 'compare-results')
    .action(async (flags: CompareFlags, cmd: Command) => {
      const model = await loadPersim(flags.registry, flags.model);
      try {
        const rows = evaluatePersimAgents(model, { episodes: flags.episodes, seed: flags.seed, mode: flags.mode }, flags.agents);
        const header = `# ${flags.model}: sim versus real\n\nCommand: \`${commandLine(cmd)}\``;
        const files = await writeComparisonReport(flags.out, `${flags.model}-compare`, rows, header, observationNames(model.meta.env.id, model.network.D));
        process.stdout.write(`${comparisonTable(rows)}\n\nwrote ${files.map((f) => join(f)).join(', ')}\n`);
      } finally {
        model.dispose();
      }
    });
}
