/**
 * A MOCODA model as a `Dynamics`, so a session serves an imagined Navigation2D or HookSweep2 exactly like the real
 * one. States are observed with the definition's observe, the model predicts the children, observation entries that
 * are no child's (HookSweep2's goals) are copied from the current observation, the result is clipped to the
 * observation space's finite bounds, and mapped back to the state layout with stateFromObservation.
 *
 * Modes: "mean" (default) steps with the ensemble mean of the members' means and declares the ensemble (`members`,
 * `stepMembers`: member m steps rows [m*k, (m+1)*k) with its own mean), as planners require; "sample" draws a member
 * per row from that row's generator and adds its std / temperature noise (the reference's generation), and does not
 * declare itself an ensemble because an ensemble's step must be the mean.
 */
import { assertObservationDrivesState, type Dynamics, type EnvDefinition, type TransitionBatch } from '../../core/definition.js';
import type { MocodaModel } from './model.js';

/** Options of a MOCODA dynamics. */
export interface MocodaDynamicsOptions {
  mode?: 'mean' | 'sample';
  /** Std divisor in sample mode (default 3, the reference's). */
  temperature?: number;
  /** Model id reported in info. */
  modelId?: string;
}

/** A Dynamics stepping with a MOCODA ensemble. */
export class MocodaDynamics implements Dynamics {
  readonly kind: string;
  readonly info: Readonly<Record<string, string | number | boolean>>;
  readonly members?: number;
  private readonly mode: 'mean' | 'sample';
  private readonly temperature: number;
  private readonly O: number;

  constructor(private readonly def: EnvDefinition, private readonly model: MocodaModel, options: MocodaDynamicsOptions = {}) {
    if (model.def.id !== def.id) throw new Error(`model is for ${model.def.id}, not ${def.id}`);
    this.O = def.observationSpace.size;
    if (model.layout.obsSize !== this.O) throw new Error(`model predicts ${model.layout.obsSize}-d observations; ${def.id} has ${this.O}`);
    assertObservationDrivesState(def);
    this.mode = options.mode ?? 'mean';
    this.temperature = options.temperature ?? 3;
    if (!(this.temperature > 0)) throw new RangeError(`temperature must be positive, got ${this.temperature}`);
    if (this.mode === 'mean') this.members = model.members;
    this.kind = model.registryKind;
    this.info = { kind: model.registryKind, model: options.modelId ?? '', ensemble: this.mode, members: model.members, temperature: this.temperature };
  }

  /** Predicts batch.next for every instance (ensemble mean, or a sampled member with noise). */
  step(batch: TransitionBatch): void {
    const { n, actions } = batch;
    const obs = this.observe(batch);
    let nextObs: Float64Array;
    if (this.mode === 'mean') nextObs = this.model.meanPrediction(obs, actions, n);
    else {
      const M = this.model.members;
      const who = Int32Array.from({ length: n }, (_, i) => batch.rngs[i].integer(0, M - 1));
      const { mean, std } = this.model.predictAssigned(obs, actions, n, who);
      this.model.addNoise(mean, std, n, this.temperature, (i) => batch.rngs[i]);
      nextObs = mean;
    }
    this.finish(nextObs, n, batch.next);
  }

  /** Member-major stepping: rows [m*k, (m+1)*k) are predicted by member m's mean alone. */
  stepMembers(batch: TransitionBatch): void {
    const { n, actions } = batch;
    const M = this.model.members;
    if (n % M !== 0) throw new RangeError(`stepMembers needs a multiple of ${M} rows, got ${n}`);
    const k = n / M;
    const who = Int32Array.from({ length: n }, (_, i) => Math.floor(i / k));
    const obs = this.observe(batch);
    this.finish(this.model.predictAssigned(obs, actions, n, who).mean, n, batch.next);
  }

  private observe(batch: TransitionBatch): Float64Array {
    const obs = new Float64Array(batch.n * this.O);
    this.def.observe(batch.states, batch.n, obs);
    return obs;
  }

  private finish(nextObs: Float64Array, n: number, next: Float64Array): void {
    const { low, high } = this.def.observationSpace;
    const O = this.O;
    for (let i = 0; i < n; i++) for (let d = 0; d < O; d++) nextObs[i * O + d] = Math.min(Math.max(nextObs[i * O + d], low[d]), high[d]);
    if (this.def.stateFromObservation) this.def.stateFromObservation(nextObs, n, next);
    else next.set(nextObs.subarray(0, n * O));
  }
}
