/**
 * PerSim as a `Dynamics`: the transition of a served environment whose next states come from a model for one agent
 * (a trained agent id, or codes fitted from a personalisation trajectory). Spaces, reward, termination, time limit and
 * initial states stay the definition's own, so the session code is the same as for the real environment.
 *
 * Ensemble use (`mode`): "mean" (default) averages the members' predicted deltas, which is what PerSim's evaluation
 * does, and exposes the members to planners (`members`, `stepMembers`: each member steps its own rows, as random
 * shooting needs); "sample" draws one member per instance and step from that instance's generator (the session's
 * seeded stream), which keeps the ensemble's disagreement in the imagined trajectories and stays reproducible under
 * reset(seed). A sampling dynamics does not declare itself an ensemble, because an ensemble's step must be the mean.
 * Predicted observations are clipped to the observation space's finite bounds, where the real environment keeps them
 * too (MountainCar's position and speed limits).
 */
import { assertObservationDrivesState, type Dynamics, type EnvDefinition, type TransitionBatch } from '../../core/definition.js';
import type { PersimModel } from './model.js';
import type { AgentSpec } from './network.js';

/** Which agent a model dynamics imitates. */
export type PersimAgent = { agent: number } | { codes: Float32Array; label?: string };

/** Options of a PerSim dynamics. */
export interface PersimDynamicsOptions {
  mode?: 'mean' | 'sample';
  /** Model id reported in info (the registry id). */
  modelId?: string;
}

/** A Dynamics that steps with a PerSim model for one agent. */
export class PersimDynamics implements Dynamics {
  readonly kind: string;
  readonly info: Readonly<Record<string, string | number | boolean>>;
  /** Ensemble size, declared in mean mode only (see the module comment). */
  readonly members?: number;
  /** Mean mode is row-deterministic (see Dynamics); sample mode draws a member per row. */
  readonly rowDeterministic: boolean;
  private readonly mode: 'mean' | 'sample';
  private readonly O: number;
  /** The agent id repeated per row, kept between calls (a planner steps the same row count thousands of times). */
  private ids = new Int32Array(0);

  constructor(private readonly def: EnvDefinition, private readonly model: PersimModel, private readonly agent: PersimAgent, options: PersimDynamicsOptions = {}) {
    if (model.meta.env.id !== def.id) throw new Error(`model is for ${model.meta.env.id}, not ${def.id}`);
    this.O = def.observationSpace.size;
    if (model.network.D !== this.O) throw new Error(`model predicts ${model.network.D} numbers; ${def.id} observations have ${this.O}`);
    assertObservationDrivesState(def);
    if ('agent' in agent && !(Number.isInteger(agent.agent) && agent.agent >= 0 && agent.agent < model.numAgents)) {
      throw new RangeError(`agent ${agent.agent} is not one of the model's agents 0..${model.numAgents - 1}`);
    }
    if ('codes' in agent && agent.codes.length !== model.network.hyper.members * model.network.codeSize) throw new RangeError('agent codes have the wrong size for this model');
    this.mode = options.mode ?? 'mean';
    if (this.mode === 'mean') this.members = model.network.hyper.members;
    this.rowDeterministic = this.mode === 'mean';
    this.kind = model.meta.kind;
    this.info = {
      kind: model.meta.kind,
      model: options.modelId ?? model.meta.id ?? '',
      agent: 'agent' in agent ? agent.agent : -1,
      personalized: 'codes' in agent,
      ensemble: this.mode,
      members: model.network.hyper.members,
    };
  }

  /** Predicts batch.next for every instance. */
  step(batch: TransitionBatch): void {
    const { n, states, actions, next } = batch;
    const O = this.O;
    const def = this.def;
    let obs = states;
    if (def.stateSize !== O) {
      obs = new Float64Array(n * O);
      def.observe(states, n, obs);
    }
    const net = this.model.network;
    const M = net.hyper.members;
    const deltas = net.predictDeltas(obs, actions, n, net.codeSize === 0 ? null : this.who(n));
    const nextObs = def.stateSize === O ? next : new Float64Array(n * O);
    const { low, high } = def.observationSpace;
    for (let i = 0; i < n; i++) {
      const pick = this.mode === 'sample' ? batch.rngs[i].integer(0, M - 1) : -1;
      for (let d = 0; d < O; d++) {
        let delta = 0;
        if (pick >= 0) delta = deltas[(pick * n + i) * O + d];
        else for (let m = 0; m < M; m++) delta += deltas[(m * n + i) * O + d] / M;
        nextObs[i * O + d] = Math.min(Math.max(obs[i * O + d] + delta, low[d]), high[d]);
      }
    }
    if (def.stateSize !== O) def.stateFromObservation!(nextObs, n, next);
  }

  /** Member-major stepping (mean mode): rows [m*k, (m+1)*k) are predicted by member m alone. */
  stepMembers(batch: TransitionBatch): void {
    const { n, states, actions, next } = batch;
    const net = this.model.network;
    const M = net.hyper.members;
    if (n % M !== 0) throw new RangeError(`stepMembers needs a multiple of ${M} rows, got ${n}`);
    const k = n / M;
    const O = this.O;
    const def = this.def;
    let obs = states;
    if (def.stateSize !== O) {
      obs = new Float64Array(n * O);
      def.observe(states, n, obs);
    }
    const nextObs = def.stateSize === O ? next : new Float64Array(n * O);
    const { low, high } = def.observationSpace;
    net.predictMemberNext(obs, actions, k, net.codeSize === 0 ? null : this.who(k), { next: nextObs, low, high });
    if (def.stateSize !== O) def.stateFromObservation!(nextObs, n, next);
  }

  /** The network's agent argument for `rows` rows. */
  private who(rows: number): AgentSpec {
    if (!('agent' in this.agent)) return { codes: this.agent.codes };
    if (this.ids.length !== rows) this.ids = new Int32Array(rows).fill(this.agent.agent);
    return { agentIds: this.ids };
  }

  /** A trained agent's contexts are known: report them as the applied contexts (personalised agents keep the session's). */
  readContexts(contexts: Float64Array, n: number, out: Float64Array): void {
    out.set(contexts.subarray(0, out.length));
    if (!('agent' in this.agent)) return;
    const ctx = this.model.agentContext(this.agent.agent);
    const names = this.def.context.names;
    for (let i = 0; i < n; i++) {
      names.forEach((name, k) => {
        if (name in ctx) out[i * names.length + k] = ctx[name];
      });
    }
  }
}
