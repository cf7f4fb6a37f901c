/**
 * MOCODA model kinds, hyper-parameters and the transition data they train on (REFERENCE.md 5). The defaults are the
 * paper's: 5 members, Adam with weight decay 5e-5, batch 512, lr 1e-4 and 2 x 256 for 2D navigation, lr 2e-4 and
 * 2 x 512 for HookSweep2, 600 / 4000 epochs, early stopping only in the last 50 epochs.
 */

/** The three dynamics-model factorisations. */
export type MocodaKind = 'unfactored' | 'global' | 'local';

/** Every kind, in the order reports list them. */
export const MOCODA_KINDS: readonly MocodaKind[] = ['unfactored', 'global', 'local'];

/** Registry kind of each model kind (what manifests and list_models report). */
export const MOCODA_MODEL_KINDS: Readonly<Record<MocodaKind, string>> = {
  unfactored: 'mocoda-unfactored',
  global: 'mocoda-global',
  local: 'mocoda-local',
};

/** Hyper-parameters of a MOCODA Gaussian ensemble. */
export interface MocodaHyper {
  kind: MocodaKind;
  /** Ensemble size (the paper: 5). */
  members: number;
  /** Hidden layer widths of each MLP (ReLU). */
  hidden: number[];
  /** Width of the per-root linear embedding of the locally factored model (the paper: 128); unused by other kinds. */
  embed: number;
  /** Adam learning rate. */
  lr: number;
  /** L2 weight decay added to the gradient, as PyTorch's Adam(weight_decay) does. */
  weightDecay: number;
  /** Minibatch size (per member). */
  batch: number;
  epochs: number;
  /** Fraction of the rows held out for validation (0 disables validation and early stopping). */
  validationFraction: number;
  seed: number;
  /**
   * Early stopping looks only at the last `earlyStopWindow` epochs: there the weights of the best validation epoch are
   * kept, and training ends once `patience` epochs in a row did not improve on it.
   */
  earlyStopWindow: number;
  patience: number;
}

/** Transitions to train on: row-major float64, n rows of observation size (next observations too) and action size. */
export interface TransitionData {
  n: number;
  observations: Float64Array;
  actions: Float64Array;
  nextObservations: Float64Array;
}

/** The environments with paper settings; anything else gets the 2D navigation ones. */
const PAPER: Readonly<Record<string, { hidden: number[]; lr: number; epochs: number }>> = {
  'Navigation2D-v0': { hidden: [256, 256], lr: 1e-4, epochs: 600 },
  'HookSweep2-v0': { hidden: [512, 512], lr: 2e-4, epochs: 4000 },
};

/** The paper's hyper-parameters for an environment and kind, with optional overrides (e.g. smaller nets for tests). */
export function defaultMocodaHyper(envId: string, kind: MocodaKind, overrides: Partial<MocodaHyper> = {}): MocodaHyper {
  const p = PAPER[envId] ?? PAPER['Navigation2D-v0'];
  const h: MocodaHyper = {
    kind,
    members: 5,
    hidden: [...p.hidden],
    embed: 128,
    lr: p.lr,
    weightDecay: 5e-5,
    batch: 512,
    epochs: p.epochs,
    validationFraction: 0.1,
    seed: 0,
    earlyStopWindow: 50,
    patience: 10,
    ...overrides,
  };
  validateMocodaHyper(h);
  return h;
}

/** Throws a RangeError naming the first invalid field. */
export function validateMocodaHyper(h: MocodaHyper): void {
  const posInt = (v: number) => Number.isInteger(v) && v >= 1;
  if (!MOCODA_KINDS.includes(h.kind)) throw new RangeError(`kind must be one of ${MOCODA_KINDS.join(', ')}, got ${String(h.kind)}`);
  if (!posInt(h.members)) throw new RangeError(`members must be a positive integer, got ${h.members}`);
  if (!Array.isArray(h.hidden) || !h.hidden.every(posInt)) throw new RangeError('hidden must be a list of positive integer widths');
  if (!posInt(h.embed)) throw new RangeError(`embed must be a positive integer, got ${h.embed}`);
  if (!(h.lr > 0 && Number.isFinite(h.lr))) throw new RangeError(`lr must be positive, got ${h.lr}`);
  if (!(h.weightDecay >= 0 && Number.isFinite(h.weightDecay))) throw new RangeError(`weightDecay must be >= 0, got ${h.weightDecay}`);
  if (!posInt(h.batch)) throw new RangeError(`batch must be a positive integer, got ${h.batch}`);
  if (!(Number.isInteger(h.epochs) && h.epochs >= 0)) throw new RangeError(`epochs must be a non-negative integer, got ${h.epochs}`);
  if (!(h.validationFraction >= 0 && h.validationFraction < 1)) throw new RangeError(`validationFraction must be in [0, 1), got ${h.validationFraction}`);
  if (!Number.isSafeInteger(h.seed) || h.seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${h.seed}`);
  if (!(Number.isInteger(h.earlyStopWindow) && h.earlyStopWindow >= 0)) throw new RangeError(`earlyStopWindow must be a non-negative integer, got ${h.earlyStopWindow}`);
  if (!posInt(h.patience)) throw new RangeError(`patience must be a positive integer, got ${h.patience}`);
}
