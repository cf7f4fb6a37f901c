/**
 * PerSim hyper-parameters (REFERENCE.md 3) and their per-environment defaults. The paper trains 300 epochs; smaller
 * configurations keep the architecture and scale the learning-rate milestones with the epoch count.
 */
import { persimSchedule } from '../nn/schedule.js';

/** PerSim and the paper's two ablations. */
export type PersimKind = 'persim' | 'unfactorized' | 'unpersonalized';
/** Every kind, PerSim first. */
export const PERSIM_KINDS: readonly PersimKind[] = ['persim', 'unfactorized', 'unpersonalized'];

/** Everything that determines a trained model besides the data. */
export interface PersimHyper {
  kind: PersimKind;
  /** Latent rank r. */
  rank: number;
  /** Hidden layers of the state encoder (its output is D x r). The unfactorized ablation uses them for its network. */
  stateHidden: number[];
  /** Hidden layers of the action encoder for continuous actions (discrete actions use a linear map of the one-hot). */
  actionHidden: number[];
  /** Ensemble size; the members are trained together as one network on a summed loss, each on its own shuffles. */
  members: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Epochs after which the learning rate halves (PerSim: 150 and 300, scaled for shorter runs). */
  milestones: number[];
  /** Standardise states and delta targets with the dataset's mean and std (PerSim does it for HalfCheetah only). */
  standardize: boolean;
  seed: number;
}

/** PerSim's settings per environment: rank, encoder sizes, batch size, standardisation. */
const ENV_DEFAULTS: Readonly<Record<string, Pick<PersimHyper, 'rank' | 'stateHidden' | 'actionHidden' | 'batchSize' | 'standardize'>>> = {
  'MountainCar-v0': { rank: 3, stateHidden: [256], actionHidden: [], batchSize: 512, standardize: false },
  'CartPole-v0': { rank: 5, stateHidden: [256], actionHidden: [], batchSize: 64, standardize: false },
  // The action MLP's width is not given in the paper; 256 matches the other encoders' scale.
  'HalfCheetah-v0': { rank: 15, stateHidden: [512, 512, 512, 512], actionHidden: [256, 256], batchSize: 1024, standardize: true },
};

/** The generic fallback for environments PerSim did not use. */
const FALLBACK = { rank: 5, stateHidden: [256], actionHidden: [256, 256], batchSize: 256, standardize: true };

/** PerSim's milestones [150, 300] scaled from 300 epochs to `epochs`. */
export function scaledMilestones(epochs: number): number[] {
  return persimSchedule(epochs).milestones;
}

/** The default hyper-parameters for an environment, with overrides applied (milestones follow epochs unless given). */
export function defaultHyper(envId: string, overrides: Partial<PersimHyper> = {}): PersimHyper {
  const env = ENV_DEFAULTS[envId] ?? FALLBACK;
  const epochs = overrides.epochs ?? 300;
  const h: PersimHyper = {
    kind: 'persim',
    rank: env.rank,
    stateHidden: [...env.stateHidden],
    actionHidden: [...env.actionHidden],
    members: 5,
    epochs,
    batchSize: env.batchSize,
    learningRate: 1e-3,
    milestones: scaledMilestones(epochs),
    standardize: env.standardize,
    seed: 0,
    ...overrides,
  };
  validateHyper(h);
  return h;
}

/** Throws a RangeError naming the first invalid field. */
export function validateHyper(h: PersimHyper): void {
  const posInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  };
  if (!PERSIM_KINDS.includes(h.kind)) throw new RangeError(`kind must be one of ${PERSIM_KINDS.join(', ')}, got ${h.kind}`);
  posInt('rank', h.rank);
  posInt('members', h.members);
  posInt('epochs', h.epochs);
  posInt('batchSize', h.batchSize);
  h.stateHidden.forEach((v) => posInt('stateHidden', v));
  h.actionHidden.forEach((v) => posInt('actionHidden', v));
  if (!(h.learningRate > 0)) throw new RangeError('learningRate must be positive');
  if (!Number.isSafeInteger(h.seed) || h.seed < 0) throw new RangeError('seed must be a non-negative integer');
}
