/**
 * MOCODA commands under `twingym mocoda`: `data` (the empirical datasets), `train` (a MOCODA ensemble into the model
 * registry), `augment` (an augmented dataset from one of the distributions, written as .npz / .h5) and `error` (a
 * model's error against the true dynamics on each distribution, HookSweep2's goal-region coverage too). The lead
 * registers them in main.ts with registerMocodaCommands(program).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { Rng } from '../../core/rng.js';
import type { Dataset } from '../../data/dataset.js';
import { datasetSummary } from '../../data/dataset.js';
import { loadDataset, saveDataset } from '../../data/files.js';
import { augmentDataset } from '../../data/mocoda/augment.js';
import { HOOK_ID, MOCODA_ENVS, mocodaDefinition, transitionsOf } from '../../data/mocoda/common.js';
import { DISTRIBUTIONS, isDistribution, needsModel, needsParents, type DistributionName } from '../../data/mocoda/distributions.js';
import { empiricalDataset } from '../../data/mocoda/empirical.js';
import { evaluateDistributions } from '../../data/mocoda/evaluate.js';
import { trueDynamicsError } from '../../data/mocoda/true-error.js';
import { ensureBackend } from '../../models/nn/backend.js';
import {
  defaultMocodaHyper, fitParentDistribution, loadMocoda, MOCODA_KINDS, saveMocoda, trainMocoda, type MocodaHyper, type MocodaKind, type MocodaModel,
} from '../../models/mocoda/index.js';
import { intArg, positiveArg } from '../parsers.js';

function widths(value: string): number[] {
  const out = value.split(',').map((s) => Number(s.trim()));
  if (out.length === 0 || out.some((n) => !Number.isSafeInteger(n) || n < 1)) throw new InvalidArgumentError('expected comma-separated positive widths, e.g. 256,256');
  return out;
}

function distributions(value: string): DistributionName[] {
  const out = value.split(',').map((s) => s.trim());
  for (const d of out) if (!isDistribution(d)) throw new InvalidArgumentError(`unknown distribution ${d}; use ${DISTRIBUTIONS.join(', ')}`);
  return out as DistributionName[];
}

/** A progress bar on a terminal, nothing otherwise. */
function bar(enabled: boolean, format: string): cliProgress.SingleBar | null {
  return enabled && process.stderr.isTTY ? new cliProgress.SingleBar({ format, hideCursor: true }, cliProgress.Presets.shades_classic) : null;
}

/** The real data: a dataset file, or the environment's empirical MOCODA data made in memory. */
async function realData(env: string, file: string | undefined, rows: number | undefined, seed: number): Promise<Dataset> {
  if (file) {
    const d = await loadDataset(file);
    if (d.envId !== env) throw new InvalidArgumentError(`${file} holds ${d.envId} data, not ${env}`);
    return d;
  }
  return empiricalDataset(env, { seed, transitions: rows });
}

interface DataFlags { env: string; rows?: number; seed: number; out: string; precision: 'f64' | 'f32' }
interface TrainFlags {
  env: string; data?: string; rows?: number; dataSeed: number; kind: MocodaKind; epochs?: number; hidden?: number[]; embed?: number;
  members?: number; lr?: number; batch?: number; seed: number; id?: string; registry: string; overwrite?: boolean; progress: boolean;
}
interface AugmentFlags {
  env: string; distribution: DistributionName; model?: string; registry: string; data?: string; sourceRows?: number; dataSeed: number;
  rows?: number; seed: number; task?: string; targetAcceptance?: number; out: string[]; precision: 'f64' | 'f32'; progress: boolean;
}
interface ErrorFlags {
  env: string; model: string[]; registry: string; data?: string; sourceRows?: number; dataSeed: number; distributions: DistributionName[];
  n: number; seed: number; json?: boolean;
}

const envOption = () => new Option('--env <id>', 'environment').choices([...MOCODA_ENVS]).default('Navigation2D-v0');

/** Adds `mocoda data|train|augment|error` to a commander program. */
export function registerMocodaCommands(program: Command): void {
  const mocoda = program.command('mocoda').description('MOCODA: empirical data, factored dynamics models, augmented datasets (REFERENCE.md 5)');

  mocoda
    .command('data')
    .description('write the empirical MOCODA dataset (Navigation2D: L-shaped 40,000; HookSweep2: noisy one-box expert) as .npz or .h5')
    .addOption(envOption())
    .option('--rows <n>', 'transitions (default 40,000 nav, 50,000 HookSweep2; the paper 1M there)', intArg('--rows', 2))
    .option('--seed <n>', 'data seed', intArg('--seed', 0), 0)
    .requiredOption('--out <file>', 'output file (.npz, .h5 or .hdf5)')
    .addOption(new Option('--precision <p>', 'float width in the file').choices(['f64', 'f32']).default('f64'))
    .action(async (flags: DataFlags) => {
      const b = bar(flags.env === HOOK_ID, 'episodes [{bar}] {percentage}% | {value}/{total} rows | eta {eta_formatted}');
      const rows = flags.rows ?? (flags.env === HOOK_ID ? 50_000 : 40_000);
      b?.start(rows, 0);
      const d = empiricalDataset(flags.env, { seed: flags.seed, transitions: flags.rows, onProgress: (done) => b?.update(done) });
      b?.stop();
      await saveDataset(d, flags.out, { precision: flags.precision });
      const s = datasetSummary(d);
      process.stdout.write(`${flags.out}: ${s.transitions} transitions (${s.terminated} terminal under the target task, ${s.truncated} episode ends); ${d.policyDescription}\n`);
    });

  mocoda
    .command('train')
    .description('train a MOCODA Gaussian ensemble (unfactored, global or local) and save it to the model registry')
    .addOption(envOption())
    .option('--data <file>', 'dataset file (.npz/.h5); default: the empirical data made in memory')
    .option('--rows <n>', 'with the empirical data: its size', intArg('--rows', 2))
    .option('--data-seed <n>', 'with the empirical data: its seed', intArg('--data-seed', 0), 0)
    .addOption(new Option('--kind <kind>', 'model factorisation').choices([...MOCODA_KINDS]).default('local'))
    .option('--epochs <n>', 'epochs (paper: 600 nav, 4000 HookSweep2)', intArg('--epochs'))
    .option('--hidden <widths>', 'hidden widths (paper: 256,256 nav, 512,512 HookSweep2)', widths)
    .option('--embed <n>', 'local model: per-root embedding width (paper: 128)', intArg('--embed'))
    .option('--members <n>', 'ensemble size (default 5)', intArg('--members'))
    .option('--lr <x>', 'learning rate (paper: 1e-4 nav, 2e-4 HookSweep2)', positiveArg('--lr'))
    .option('--batch <n>', 'minibatch size (default 512)', intArg('--batch'))
    .option('--seed <n>', 'training seed', intArg('--seed', 0), 0)
    .option('--id <id>', 'model id (default <env>-mocoda-<kind>)')
    .option('--registry <dir>', 'model registry directory', 'models')
    .option('--overwrite', 'replace an existing model with the same id')
    .option('--no-progress', 'no progress bar (a line per 10% of epochs instead)')
    .action(async (flags: TrainFlags) => {
      const backend = await ensureBackend();
      const data = await realData(flags.env, flags.data, flags.rows, flags.dataSeed);
      const over: Partial<MocodaHyper> = { seed: flags.seed };
      if (flags.epochs !== undefined) over.epochs = flags.epochs;
      if (flags.hidden !== undefined) over.hidden = flags.hidden;
      if (flags.embed !== undefined) over.embed = flags.embed;
      if (flags.members !== undefined) over.members = flags.members;
      if (flags.lr !== undefined) over.lr = flags.lr;
      if (flags.batch !== undefined) over.batch = flags.batch;
      const hyper = defaultMocodaHyper(flags.env, flags.kind, over);
      const id = flags.id ?? `${flags.env}-mocoda-${flags.kind}`.replace(/[^A-Za-z0-9._-]/g, '_');
      process.stdout.write(`training ${hyper.kind} on ${data.n} transitions of ${flags.env} (${data.policy}); backend ${backend.name}; ${hyper.epochs} epochs, hidden ${hyper.hidden.join('x')}, ${hyper.members} members, lr ${hyper.lr}\n`);
      const b = bar(flags.progress, 'epoch {epoch}/{epochs} [{bar}] {percentage}% | loss {loss} | val mse {mse} | eta {eta_formatted}');
      let done = 0;
      b?.start(hyper.epochs, 0, { epoch: 0, epochs: hyper.epochs, loss: '-', mse: '-' });
      const model = await trainMocoda(transitionsOf(data), mocodaDefinition(flags.env), hyper, {
        onEpoch: (e) => {
          done = e.epoch;
          b?.update(done, { epoch: e.epoch, loss: e.loss.toFixed(4), mse: e.validationMse.toExponential(2) });
          if (!b && (e.epoch % Math.max(1, Math.round(e.epochs / 10)) === 0 || e.epoch === e.epochs)) {
            process.stdout.write(`epoch ${e.epoch}/${e.epochs} loss ${e.loss.toFixed(4)} validation MSE ${e.validationMse.toExponential(3)} ${e.transitionsPerSecond.toFixed(0)} transitions/s\n`);
          }
        },
      });
      b?.stop();
      try {
        const path = await saveMocoda(flags.registry, id, model, { overwrite: flags.overwrite, dataset: { dataset: flags.data ?? 'empirical', policy: data.policy } });
        process.stdout.write(`saved ${path} (best epoch ${model.training.bestEpoch}, ${model.training.seconds.toFixed(0)} s)\n`);
      } finally {
        model.dispose();
      }
    });

  mocoda
    .command('augment')
    .description('build an augmented dataset: real rows + generated rows (4x by default), relabelled for the target task')
    .addOption(envOption())
    .addOption(new Option('--distribution <name>', 'sampling distribution').choices([...DISTRIBUTIONS]).default('MOCODA'))
    .option('--model <id>', 'MOCODA model id (DYNA, RAND and the MOCODA distributions need one)')
    .option('--registry <dir>', 'model registry directory', 'models')
    .option('--data <file>', 'real dataset file; default: the empirical data made in memory')
    .option('--source-rows <n>', 'with the empirical data: its size', intArg('--source-rows', 2))
    .option('--data-seed <n>', 'with the empirical data: its seed', intArg('--data-seed', 0), 0)
    .option('--rows <n>', 'generated rows (default 4 x the real rows)', intArg('--rows'))
    .option('--seed <n>', 'sampling seed', intArg('--seed', 0), 0)
    .option('--task <task>', 'Navigation2D target task for the rewards (default diagonal)')
    .option('--target-acceptance <x>', 'MOCODA-U / MOCODA-P rejection acceptance (default 0.2)', positiveArg('--target-acceptance'))
    .requiredOption('--out <files>', 'output file(s), comma-separated (.npz, .h5)', (v: string) => v.split(','))
    .addOption(new Option('--precision <p>', 'float width in the files').choices(['f64', 'f32']).default('f64'))
    .option('--no-progress', 'no progress bar')
    .action(async (flags: AugmentFlags) => {
      const dist = flags.distribution;
      if (needsModel(dist) && !flags.model) throw new InvalidArgumentError(`${dist} needs --model (train one with \`twingym mocoda train\`)`);
      const def = mocodaDefinition(flags.env);
      const real = await realData(flags.env, flags.data, flags.sourceRows, flags.dataSeed);
      let model: MocodaModel | undefined;
      if (needsModel(dist)) {
        await ensureBackend();
        model = await loadMocoda(flags.registry, flags.model!, def);
      }
      try {
        const parents = needsParents(dist) ? fitParentDistribution(def, real, { seed: flags.seed }) : undefined;
        const rows = flags.rows ?? 4 * real.n;
        const b = bar(flags.progress, `${dist} [{bar}] {percentage}% | {value}/{total} rows | eta {eta_formatted}`);
        b?.start(rows, 0);
        const aug = await augmentDataset({
          distribution: dist, real, rows, model, parents, seed: flags.seed, task: flags.task as 'diagonal' | undefined,
          targetAcceptance: flags.targetAcceptance, onProgress: (done) => b?.update(done),
        });
        b?.update(rows);
        b?.stop();
        for (const out of flags.out) await saveDataset(aug.dataset, out, { precision: flags.precision });
        const m = Math.min(aug.generated.n, 20_000);
        const O = real.obsSize;
        const A = real.actionSize;
        const err = trueDynamicsError(def, { n: m, observations: aug.generated.observations.subarray(0, m * O), actions: aug.generated.actions.subarray(0, m * A), nextObservations: aug.generated.nextObservations.subarray(0, m * O) });
        process.stdout.write(`${flags.out.join(', ')}: ${aug.dataset.n} rows (${aug.realRows} real + ${aug.generated.n} ${dist}), acceptance ${aug.generated.acceptance.toFixed(3)}, true-dynamics MSE of the generated rows ${err.mse.toExponential(3)} (first ${err.n})\n`);
      } finally {
        model?.dispose();
      }
    });

  mocoda
    .command('error')
    .description('error of MOCODA models against the true dynamics on each distribution (the paper\'s Table 1 for one seed)')
    .addOption(envOption())
    .requiredOption('--model <ids>', 'comma-separated MOCODA model ids', (v: string) => v.split(','))
    .option('--registry <dir>', 'model registry directory', 'models')
    .option('--data <file>', 'real dataset file; default: the empirical data made in memory')
    .option('--source-rows <n>', 'with the empirical data: its size', intArg('--source-rows', 2))
    .option('--data-seed <n>', 'with the empirical data: its seed', intArg('--data-seed', 0), 0)
    .option('--distributions <list>', 'comma-separated distributions', distributions)
    .option('--n <n>', 'transitions per distribution', intArg('--n'), 10_000)
    .option('--seed <n>', 'sampling seed', intArg('--seed', 0), 0)
    .option('--json', 'print JSON instead of a table')
    .action(async (flags: ErrorFlags) => {
      await ensureBackend();
      const def = mocodaDefinition(flags.env);
      const real = await realData(flags.env, flags.data, flags.sourceRows, flags.dataSeed);
      const dists = flags.distributions ?? (flags.env === HOOK_ID ? ['EMP', 'MOCODA', 'MOCODA-P'] : ['EMP', 'DYNA', 'RAND', 'MOCODA', 'MOCODA-U']);
      const parents = dists.some(needsParents) ? fitParentDistribution(def, real, { seed: flags.seed }) : undefined;
      const results: Array<{ model: string; scores: Awaited<ReturnType<typeof evaluateDistributions>>['scores'] }> = [];
      for (const id of flags.model) {
        const model = await loadMocoda(flags.registry, id, def);
        try {
          const { scores } = await evaluateDistributions({ def, data: transitionsOf(real), model, parents, distributions: dists, n: flags.n, rng: Rng.fromSeed(flags.seed) });
          results.push({ model: id, scores });
        } finally {
          model.dispose();
        }
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
        return;
      }
      const hook = flags.env === HOOK_ID;
      process.stdout.write(`| model | distribution | model MSE x100 | generated MSE x100 | acceptance${hook ? ' | two-box goal region' : ''} |\n|---|---|---|---|---|${hook ? '---|' : ''}\n`);
      for (const r of results) {
        for (const s of r.scores) {
          process.stdout.write(`| ${r.model} | ${s.distribution} | ${(100 * s.modelMse).toPrecision(3)} | ${(100 * s.generatedMse).toPrecision(3)} | ${s.acceptance.toFixed(3)}${hook ? ` | ${(100 * (s.goalCoverage ?? 0)).toFixed(1)}%` : ''} |\n`);
        }
      }
    });
}
