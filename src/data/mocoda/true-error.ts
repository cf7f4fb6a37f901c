/**
 * The true-dynamics error of generated transitions: for each generated (s, a, s'), the true simulator is put into s
 * (through the definition's stateFromObservation; for HookSweep2 an approximation that assumes upright, non-spinning
 * boxes, see tests/physics/hooksweep-state.test.ts) and stepped with a at the default context; the error is the
 * squared difference between s' and the true next observation over the dimensions the dynamics changes (HookSweep2's
 * goals are left out). This is what "a generated transition is plausible" means, measured without any model.
 */
import type { EnvDefinition } from '../../core/definition.js';
import { actionSizeOf, dynamicDims, obsSizeOf, type Transitions } from './common.js';

/** Error of generated transitions against the true dynamics. */
export interface TrueErrorReport {
  /** Mean over rows and measured dimensions of (s' - true s')^2. */
  mse: number;
  /** MSE per measured dimension. */
  perDimension: number[];
  /** Rows measured (non-finite generated rows are counted in `nonFinite` and left out of the means). */
  n: number;
  nonFinite: number;
}

/** The true next observations of the transitions' (s, a), stepped in chunks of `chunk` rows. */
export function trueNextObservations(def: EnvDefinition, t: Pick<Transitions, 'n' | 'observations' | 'actions'>, chunk = 4096): Float64Array {
  if (!def.stateFromObservation) throw new Error(`${def.id} cannot be set to an observed state, so its true next states are unknown`);
  const O = obsSizeOf(def);
  const A = actionSizeOf(def);
  const S = def.stateSize;
  const C = def.context.size;
  const dyn = def.trueDynamics();
  const out = new Float64Array(t.n * O);
  try {
    for (let start = 0; start < t.n; start += chunk) {
      const m = Math.min(chunk, t.n - start);
      const states = new Float64Array(m * S);
      def.stateFromObservation(t.observations.subarray(start * O, (start + m) * O), m, states);
      const contexts = new Float64Array(m * C);
      for (let i = 0; i < m; i++) contexts.set(def.context.defaults, i * C);
      const next = new Float64Array(m * S);
      dyn.step({ n: m, states, actions: t.actions.subarray(start * A, (start + m) * A), contexts, next, rngs: [] });
      def.observe(next, m, out.subarray(start * O, (start + m) * O));
    }
  } finally {
    dyn.dispose?.();
  }
  return out;
}

/** MSE of the generated next observations against the true dynamics (see the module comment). */
export function trueDynamicsError(def: EnvDefinition, t: Transitions): TrueErrorReport {
  const O = obsSizeOf(def);
  const D = dynamicDims(def);
  const truth = trueNextObservations(def, t);
  const sums = new Float64Array(D);
  let rows = 0;
  let nonFinite = 0;
  for (let i = 0; i < t.n; i++) {
    let finite = true;
    for (let k = 0; k < O; k++) if (!Number.isFinite(t.observations[i * O + k]) || !Number.isFinite(t.nextObservations[i * O + k])) finite = false;
    if (!finite) { nonFinite++; continue; }
    rows++;
    for (let k = 0; k < D; k++) sums[k] += (t.nextObservations[i * O + k] - truth[i * O + k]) ** 2;
  }
  const perDimension = Array.from(sums, (s) => (rows ? s / rows : NaN));
  const mse = rows ? perDimension.reduce((a, b) => a + b, 0) / D : NaN;
  return { mse, perDimension, n: rows, nonFinite };
}
