/**
 * The PerSim network (REFERENCE.md 3) for an ensemble of M members, and the two ablations.
 *
 *   persim:          delta_d = sum_l u_l(agent) v_l(s, d) w_l(a)
 *                    u: linear map of the one-hot agent id to r factors (weights + bias)
 *                    w: linear map of the one-hot action (discrete) or a 2-hidden-layer MLP (continuous) to r factors
 *                    v: state MLP whose D*r outputs are reshaped to D x r
 *   unpersonalized:  the same without the agent: u = 1.
 *   unfactorized:    one MLP on (one-hot agent, state, action) -> delta, its first layer the sum of three linear maps.
 *
 * An agent enters only through its "agent code": u for persim, the agent's first-layer contribution for the
 * unfactorized net. Personalising a new agent fits a code with everything else frozen (personalize.ts), and prediction
 * accepts either trained agent ids or explicit codes. States and targets are standardised when hyper.standardize is
 * set; the network then works in standardised units and predictions are converted back.
 */
import { tf } from '../nn/backend.js';
import { declareDense, declareMlp, dense, mlp } from '../nn/layers.js';
import { fusedDense3d, matMul2d } from '../nn/matmul.js';
import { EnsembleParams } from '../nn/params.js';
import type { PersimHyper } from './config.js';

/** Sizes of the data a network is built for. */
export interface NetworkShape {
  obsSize: number;
  actionSize: number;
  /** Number of discrete actions, 0 for continuous ones. */
  discreteActions: number;
  numAgents: number;
}

/** Per-dimension mean and std of states and of delta targets (length D each). */
export interface Standardization {
  stateMean: number[];
  stateStd: number[];
  deltaMean: number[];
  deltaStd: number[];
}

/** Network inputs for one batch, already on the backend. */
export interface BatchInputs {
  /** [B, D] standardised (or raw) states. */
  states: tf.Tensor2D;
  /** [B, nA] one-hot actions, or [B, A] continuous actions. */
  actions: tf.Tensor2D;
  /** [B, numAgents] one-hot agent ids; null when agent codes are given instead. */
  agents: tf.Tensor2D | null;
}

/** Which agent rows are predicted for: trained agent ids (one per row), explicit codes ([M, codeSize]), or none. */
export type AgentSpec = { agentIds: Int32Array } | { codes: Float32Array } | null;

/** Read-back tables of the fast inference path, valid for one parameter version. */
interface InferenceTables {
  version: number;
  /** Per member, [numAgents, r] agent factors (persim only). */
  agentU: Float64Array[] | null;
  /** Per member, [nA, r] discrete action factors (discrete actions only). */
  actionW: Float64Array[] | null;
}

/** Where member-major next observations go: next = min(max(s + delta, low), high) per dimension. */
export interface NextTarget {
  next: Float64Array;
  low: ArrayLike<number>;
  high: ArrayLike<number>;
}

/** A dense layer's weights [1, in, out] (the fused kernel's operand shape) and bias [out] on the backend. */
interface FoldedLayer {
  w: tf.Tensor3D;
  b: tf.Tensor1D;
}

/** Folded last layers kept per network: members x agents in use (a planner uses one agent, a server a few). */
const FOLD_CACHE = 64;

/** An ensemble PerSim network (or ablation) with its parameters. */
export class PersimNetwork {
  readonly params: EnsembleParams;
  readonly D: number;
  readonly r: number;
  /** Width of an agent code (r for persim, the first hidden width for unfactorized, 0 for unpersonalized). */
  readonly codeSize: number;
  private readonly stateLayers: number;
  private readonly actionLayers: number;
  private readonly restLayers: number;
  private norm: Standardization | null = null;
  private tables: InferenceTables | null = null;
  private readonly folded = new Map<string, FoldedLayer>();
  private firstFolded: (FoldedLayer | undefined)[] = [];
  /** [1, in, out] views of the encoders' weights for the fused kernel, per `${layer}|${member}`. */
  private readonly weights3d = new Map<string, tf.Tensor3D>();
  private foldVersion = -1;
  /** Float32 staging rows for uploads, reused across calls (the backend copies them, and each upload is disposed before the next). */
  private staging = new Float32Array(0);
  /** Deltas of predictMemberNext's non-folded paths, reused across calls. */
  private scratch = new Float32Array(0);

  constructor(readonly shape: NetworkShape, readonly hyper: PersimHyper) {
    const D = shape.obsSize;
    const r = hyper.rank;
    this.D = D;
    this.r = r;
    this.params = new EnsembleParams(hyper.members, hyper.seed);
    const p = this.params;
    const actIn = shape.discreteActions > 0 ? shape.discreteActions : shape.actionSize;
    if (hyper.kind === 'unfactorized') {
      const [h0, ...rest] = hyper.stateHidden.length ? hyper.stateHidden : [256];
      // One first layer on the concatenated input, stored as three blocks so the one-hot parts cost a product each.
      declareDense(p, 'net.state', D, h0);
      p.add('net.action.w', [actIn, h0], (rng, n) => initUniform(rng, n, D + actIn + shape.numAgents));
      p.add('net.agent.w', [shape.numAgents, h0], (rng, n) => initUniform(rng, n, D + actIn + shape.numAgents));
      declareMlp(p, 'net.rest', h0, rest, D);
      this.restLayers = rest.length + 1;
      this.stateLayers = 0;
      this.actionLayers = 0;
      this.codeSize = h0;
    } else {
      if (hyper.kind === 'persim') declareDense(p, 'agent', shape.numAgents, r);
      if (shape.discreteActions > 0) {
        declareMlp(p, 'action', actIn, [], r);
        this.actionLayers = 1;
      } else {
        declareMlp(p, 'action', actIn, hyper.actionHidden, r);
        this.actionLayers = hyper.actionHidden.length + 1;
      }
      declareMlp(p, 'state', D, hyper.stateHidden, D * r);
      this.stateLayers = hyper.stateHidden.length + 1;
      this.restLayers = 0;
      this.codeSize = hyper.kind === 'persim' ? r : 0;
    }
  }

  /** The standardisation in use (null when the network works on raw units). */
  get standardization(): Standardization | null {
    return this.norm;
  }

  /** Sets the standardisation (from the training data, or from a saved model). */
  setStandardization(norm: Standardization | null): void {
    this.norm = norm;
    // Folded layers carry the standardisation in their weights.
    this.clearFolded(this.params.version);
  }

  /** Member m's agent codes for one-hot agents [B, N] -> [B, codeSize]. */
  agentCodes(m: number, agents: tf.Tensor2D): tf.Tensor2D {
    if (this.hyper.kind === 'persim') return dense(this.params, 'agent', m, agents);
    if (this.hyper.kind === 'unfactorized') return matMul2d(agents, this.params.get('net.agent.w', m) as tf.Tensor2D);
    throw new Error('the unpersonalized ablation has no agent codes');
  }

  /**
   * Member m's predicted (standardised) deltas [B, D]. `codes` overrides the agent: [B or 1, codeSize]; otherwise
   * inputs.agents must be given (the unpersonalized ablation needs neither).
   */
  forward(m: number, inputs: BatchInputs, codes?: tf.Tensor2D): tf.Tensor2D {
    const p = this.params;
    const kind = this.hyper.kind;
    const code = (): tf.Tensor2D => {
      if (codes) return codes;
      if (!inputs.agents) throw new Error('forward needs agent ids or agent codes');
      return this.agentCodes(m, inputs.agents);
    };
    if (kind === 'unfactorized') {
      let h = dense(p, 'net.state', m, inputs.states);
      h = tf.add(h, matMul2d(inputs.actions, p.get('net.action.w', m) as tf.Tensor2D));
      h = tf.relu(tf.add(h, code())) as tf.Tensor2D;
      return mlp(p, 'net.rest', this.restLayers, m, h);
    }
    const B = inputs.states.shape[0];
    const { v, w } = this.factors(m, inputs);
    const uw = kind === 'persim' ? tf.mul(w, code()) : w;
    // delta_d = sum_l v[b, d, l] * (u w)[b, l]
    return tf.sum(tf.mul(v, tf.reshape(uw, [B, 1, this.r])), 2) as tf.Tensor2D;
  }

  /**
   * PerSim only: member m's prediction before the agent enters, [B * D, r] with row (b, d) = v[b, d, :] * w[b, :], so
   * that the standardised deltas of any agent code u are this matrix times u. Scoring many candidate codes on the same
   * rows is then one product instead of one network pass per code.
   */
  agentFreeBasis(m: number, inputs: BatchInputs): tf.Tensor2D {
    if (this.hyper.kind !== 'persim') throw new Error('only the factorized PerSim model is linear in its agent code');
    return tf.tidy(() => {
      const B = inputs.states.shape[0];
      const { v, w } = this.factors(m, inputs);
      return tf.reshape(tf.mul(v, tf.reshape(w, [B, 1, this.r])), [B * this.D, this.r]) as tf.Tensor2D;
    });
  }

  /** Member m's state factors v [B, D, r] and action factors w [B, r] (the factorized kinds). */
  private factors(m: number, inputs: BatchInputs): { v: tf.Tensor3D; w: tf.Tensor2D } {
    const B = inputs.states.shape[0];
    const v = tf.reshape(mlp(this.params, 'state', this.stateLayers, m, inputs.states), [B, this.D, this.r]) as tf.Tensor3D;
    return { v, w: mlp(this.params, 'action', this.actionLayers, m, inputs.actions) };
  }

  /** Builds batch inputs from raw float64 rows (states standardised here when the network uses standardisation). */
  inputs(states: Float64Array, actions: Float64Array, n: number, agentIds: Int32Array | null): BatchInputs {
    const D = this.D;
    const s = new Float32Array(n * D);
    const norm = this.norm;
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < D; d++) {
        const x = states[i * D + d];
        s[i * D + d] = norm ? (x - norm.stateMean[d]) / norm.stateStd[d] : x;
      }
    }
    const nA = this.shape.discreteActions;
    const a = nA > 0
      ? tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(actions.subarray(0, n)), 'int32'), nA).toFloat() as tf.Tensor2D)
      : tf.tensor2d(Float32Array.from(actions.subarray(0, n * this.shape.actionSize)), [n, this.shape.actionSize]);
    const g = agentIds ? tf.tidy(() => tf.oneHot(tf.tensor1d(agentIds.subarray(0, n), 'int32'), this.shape.numAgents).toFloat() as tf.Tensor2D) : null;
    return { states: tf.tensor2d(s, [n, D]), actions: a, agents: g };
  }

  /**
   * Raw-unit deltas of every member for n rows: [M, n, D] as one Float32Array. Agents come from `agentIds` (trained
   * agents) or from `codes` (one code per member, [M, codeSize], e.g. a personalised agent).
   */
  predictDeltas(states: Float64Array, actions: Float64Array, n: number, agent: AgentSpec): Float32Array {
    if (this.hyper.kind === 'unfactorized') return this.predictDeltasGraph(states, actions, n, agent);
    const M = this.hyper.members;
    const D = this.D;
    const out = new Float32Array(M * n * D);
    // Every member reads the same rows: upload them once.
    const x = tf.tensor3d(this.inputRows(states, n), [1, n, D]);
    const a = this.continuousActions(actions, n);
    try {
      for (let m = 0; m < M; m++) this.predictMember(m, x, a, actions, n, agent, out, m * n * D, null);
    } finally {
      x.dispose();
      a?.dispose();
    }
    return out;
  }

  /**
   * Member-major prediction: rows [m*k, (m+1)*k) are stepped by member m alone (planners give every member its own
   * trajectory). Returns raw-unit deltas [M*k, D], in `out` when given (a planner reuses one buffer for every step).
   * The agent is given as for predictDeltas, with k agent ids.
   */
  predictMemberRows(states: Float64Array, actions: Float64Array, k: number, agent: AgentSpec, out?: Float32Array): Float32Array {
    const M = this.hyper.members;
    const D = this.D;
    if (out && out.length < M * k * D) throw new RangeError(`out holds ${out.length} numbers; ${M * k * D} are needed`);
    if (this.hyper.kind === 'unfactorized') {
      const graph = this.predictMemberRowsGraph(states, actions, k, agent);
      if (!out) return graph;
      out.set(graph);
      return out;
    }
    const result = out ?? new Float32Array(M * k * D);
    this.memberRows(states, actions, k, agent, result, null);
    return result;
  }

  /**
   * predictMemberRows applied: member-major next observations min(max(s + delta, low), high) written into
   * target.next [M*k, D], equal to adding and clipping predictMemberRows' deltas. Planners step through this: on the
   * folded path (discrete actions, one agent) it reads each row's delta straight from the network's output, without
   * the intermediate delta buffer (one pass over the rows instead of two).
   */
  predictMemberNext(states: Float64Array, actions: Float64Array, k: number, agent: AgentSpec, target: NextTarget): void {
    const n = this.hyper.members * k * this.D;
    if (target.next.length < n) throw new RangeError(`next holds ${target.next.length} numbers; ${n} are needed`);
    if (this.hyper.kind === 'unfactorized') {
      applyDeltas(states, this.predictMemberRowsGraph(states, actions, k, agent), 0, n, this.D, target);
      return;
    }
    if (this.scratch.length < n) this.scratch = new Float32Array(n);
    this.memberRows(states, actions, k, agent, this.scratch.subarray(0, n), target);
  }

  /** The per-member loop of predictMemberRows and predictMemberNext (factorised kinds). */
  private memberRows(states: Float64Array, actions: Float64Array, k: number, agent: AgentSpec, out: Float32Array, target: NextTarget | null): void {
    const M = this.hyper.members;
    const D = this.D;
    const A = this.shape.discreteActions > 0 ? 1 : this.shape.actionSize;
    for (let m = 0; m < M; m++) {
      const memberActions = actions.subarray(m * k * A, (m + 1) * k * A);
      const x = tf.tensor3d(this.inputRows(states.subarray(m * k * D, (m + 1) * k * D), k), [1, k, D]);
      const a = this.continuousActions(memberActions, k);
      try {
        this.predictMember(m, x, a, memberActions, k, agent, out, m * k * D, target ? { states, target } : null);
      } finally {
        x.dispose();
        a?.dispose();
      }
    }
  }

  /**
   * Inference for the factorised kinds, built for speed (planners call it thousands of times per decision): only the
   * state encoder (and a continuous action encoder) runs on the backend, one fused matMul + bias + ReLU op per layer;
   * the rank-r contraction delta_d = sum_l v[d, l] w_l(a) u_l runs in JS on the read-back v, with u and discrete w taken
   * from tables read back once per weight version; with discrete actions and one agent the contraction is folded into
   * the last layer instead (foldedLastLayer). Per member and call that is one upload, L ops and one read-back, against
   * ~15 ops (one-hot builds, agent and action products, reshapes, the contraction) for the training graph.
   * Standardisation (when the network uses it) is folded into the weights as well: the first layer takes raw states
   * (see inputRows) and the folded last layer outputs raw deltas, so no pass over the rows converts units.
   * The result equals `forward` up to float32 rounding order (the contraction is summed in float64).
   * Writes member m's raw-unit deltas for k rows into out[offset ..), or, with `apply`, the next observations
   * (apply.states + delta, clipped) into apply.target.next[offset ..) (out is then scratch space).
   */
  private predictMember(m: number, x: tf.Tensor3D, a: tf.Tensor3D | null, actions: Float64Array, k: number, agent: AgentSpec, out: Float32Array, offset: number, apply: { states: Float64Array; target: NextTarget } | null): void {
    const D = this.D;
    const r = this.r;
    const tables = this.inferenceTables();
    // Weight views and folded layers (weight3d, foldedFirstLayer, foldedLastLayer) are derived from the parameters:
    // this is the one place they are dropped once the parameters have moved.
    if (this.foldVersion !== this.params.version) this.clearFolded(this.params.version);
    const nA = this.shape.discreteActions;
    const DR = D * r;
    // u for every row: null (unpersonalized), one shared row (codes, or a single agent id), or a row per agent id.
    let uShared: ArrayLike<number> | null = null;
    let uTable: Float64Array | null = null;
    let ids: Int32Array | null = null;
    if (this.hyper.kind === 'persim') {
      if (!agent) throw new Error('forward needs agent ids or agent codes');
      if ('codes' in agent) {
        uShared = agent.codes.subarray(m * this.codeSize, (m + 1) * this.codeSize);
      } else {
        ids = agent.agentIds;
        uTable = tables.agentU![m];
        let same = k > 0;
        for (let i = 1; i < k && same; i++) same = ids[i] === ids[0];
        if (same) uShared = uTable.subarray(ids[0] * r, (ids[0] + 1) * r);
      }
    }
    const first = this.foldedFirstLayer(m);
    if (nA > 0 && (uShared || !uTable)) {
      // Discrete actions and one agent (the planning case): w(a) * u is a small table over actions, so it folds into
      // the state encoder's last layer, which then outputs the D deltas of every action (nA * D columns instead of
      // D * r); each row keeps its own action's block.
      const key = `${m}|${!uShared ? '-' : ids ? `#${ids[0]}` : Array.prototype.join.call(uShared, ',')}`;
      const o = this.runMlp('state', this.stateLayers, m, x, first, this.foldedLastLayer(m, uShared, key));
      const width = nA * D;
      const base = apply ? apply.states : null;
      const next = apply ? apply.target.next : null;
      const low = apply ? apply.target.low : null;
      const high = apply ? apply.target.high : null;
      for (let i = 0; i < k; i++) {
        const act = actions[i];
        // An integer index keeps the copies below on integer arithmetic (a float index is measurably slower here).
        const ai = act | 0;
        if (ai !== act || ai < 0 || ai >= nA) throw new RangeError(`action ${act} is not one of the integers 0..${nA - 1}`);
        const from = i * width + ai * D;
        const to = offset + i * D;
        if (next) for (let d = 0; d < D; d++) next[to + d] = Math.min(Math.max(base![to + d] + o[from + d], low![d]), high![d]);
        else for (let d = 0; d < D; d++) out[to + d] = o[from + d];
      }
      return;
    }
    const v = this.runMlp('state', this.stateLayers, m, x, first);
    const wCont = a ? this.runMlp('action', this.actionLayers, m, a) : null;
    const f = new Float64Array(r);
    for (let i = 0; i < k; i++) {
      let wSrc: ArrayLike<number>;
      let wAt: number;
      if (wCont) {
        wSrc = wCont;
        wAt = i * r;
      } else {
        const act = actions[i];
        if (!((act | 0) === act && act >= 0 && act < nA)) throw new RangeError(`action ${act} is not one of the integers 0..${nA - 1}`);
        wSrc = tables.actionW![m];
        wAt = act * r;
      }
      if (uShared) for (let l = 0; l < r; l++) f[l] = wSrc[wAt + l] * uShared[l];
      else if (uTable) for (let l = 0; l < r; l++) f[l] = wSrc[wAt + l] * uTable[ids![i] * r + l];
      else for (let l = 0; l < r; l++) f[l] = wSrc[wAt + l];
      contract(v, i * DR, f, 0, D, r, out, offset + i * D);
    }
    this.destandardize(out, offset, offset + k * D);
    if (apply) applyDeltas(apply.states, out, offset, offset + k * D, D, apply.target);
  }

  /**
   * Member m's MLP `name` applied to x with fused matMul + bias (+ ReLU) ops, read back as [rows, out]; `first` and
   * `last` (when given) replace the first and last layers' weights and bias.
   */
  private runMlp(name: string, layers: number, m: number, x: tf.Tensor3D, first?: FoldedLayer | null, last?: FoldedLayer): Float32Array {
    const p = this.params;
    let h = x;
    for (let l = 0; l < layers; l++) {
      const override = last && l + 1 === layers ? last : first && l === 0 ? first : null;
      const w = override ? override.w : this.weight3d(`${name}.${l}.w`, m);
      const bias = override ? override.b : (p.get(`${name}.${l}.b`, m) as tf.Tensor1D);
      const next = fusedDense3d(h, w, bias, l + 1 < layers ? 'relu' : 'linear');
      if (h !== x) h.dispose();
      h = next;
    }
    const data = h.dataSync() as Float32Array;
    if (h !== x) h.dispose();
    return data;
  }

  /** Member m's weights `name` as a [1, in, out] view (no copy), kept until the parameters change. */
  private weight3d(name: string, m: number): tf.Tensor3D {
    const key = `${name}|${m}`;
    const hit = this.weights3d.get(key);
    if (hit) return hit;
    const w = this.params.get(name, m);
    const view = tf.reshape(w, [1, w.shape[0], w.shape[1]!]) as tf.Tensor3D;
    this.weights3d.set(key, view);
    return view;
  }

  /**
   * Tables read back from the weights, rebuilt only when the parameters change: per member, the agent factors u of
   * every trained agent [numAgents, r] (one-hot times W plus b is row a of W plus b) and, for discrete actions, the
   * action factors w [nA, r]. Both are rounded as the float32 graph rounds them.
   */
  private inferenceTables(): InferenceTables {
    const version = this.params.version;
    if (this.tables && this.tables.version === version) return this.tables;
    const M = this.hyper.members;
    const rowsPlusBias = (name: string, m: number): Float64Array => {
      const w = this.params.get(`${name}.w`, m).dataSync() as Float32Array;
      const b = this.params.get(`${name}.b`, m).dataSync() as Float32Array;
      const cols = b.length;
      return Float64Array.from(w, (x, j) => Math.fround(x + b[j % cols]));
    };
    const nA = this.shape.discreteActions;
    this.tables = {
      version,
      agentU: this.hyper.kind === 'persim' ? Array.from({ length: M }, (_, m) => rowsPlusBias('agent', m)) : null,
      actionW: nA > 0 ? Array.from({ length: M }, (_, m) => rowsPlusBias('action.0', m)) : null,
    };
    return this.tables;
  }

  /**
   * Member m's state-encoder last layer with the action and agent factors folded in: column a*D + d holds
   * sum_l W[:, d*r + l] w_l(a) u_l (u = 1 without an agent), so the layer outputs every action's deltas. Computed in
   * float64 from the read-back weights and kept per member and agent (a few KB each, the most recent FOLD_CACHE) under
   * `key`, which names the member and the agent. With standardisation the column is scaled to raw units too (delta =
   * y * deltaStd + deltaMean).
   */
  private foldedLastLayer(m: number, u: ArrayLike<number> | null, key: string): FoldedLayer {
    const r = this.r;
    const hit = this.folded.get(key);
    if (hit) {
      // Map order is insertion order: re-inserting marks the entry most recently used.
      this.folded.delete(key);
      this.folded.set(key, hit);
      return hit;
    }
    const D = this.D;
    const nA = this.shape.discreteActions;
    const tables = this.inferenceTables();
    const wA = tables.actionW![m];
    const F = new Float64Array(nA * r);
    for (let j = 0; j < nA * r; j++) F[j] = u ? wA[j] * u[j % r] : wA[j];
    const last = this.stateLayers - 1;
    const W = this.params.get(`state.${last}.w`, m).dataSync() as Float32Array;
    const b = this.params.get(`state.${last}.b`, m).dataSync() as Float32Array;
    const H = W.length / (D * r);
    const width = nA * D;
    const wOut = new Float32Array(H * width);
    const bOut = new Float32Array(width);
    const norm = this.norm;
    for (let a = 0; a < nA; a++) {
      for (let d = 0; d < D; d++) {
        const col = a * D + d;
        const scale = norm ? norm.deltaStd[d] : 1;
        let bs = 0;
        for (let l = 0; l < r; l++) bs += b[d * r + l] * F[a * r + l];
        bOut[col] = bs * scale + (norm ? norm.deltaMean[d] : 0);
        for (let h = 0; h < H; h++) {
          let sum = 0;
          const at = h * D * r + d * r;
          for (let l = 0; l < r; l++) sum += W[at + l] * F[a * r + l];
          wOut[h * width + col] = sum * scale;
        }
      }
    }
    const layer = { w: tf.tensor3d(wOut, [1, H, width]), b: tf.tensor1d(bOut) };
    this.folded.set(key, layer);
    if (this.folded.size > FOLD_CACHE) {
      const oldest = this.folded.keys().next().value as string;
      const e = this.folded.get(oldest)!;
      tf.dispose([e.w, e.b]);
      this.folded.delete(oldest);
    }
    return layer;
  }

  /**
   * Member m's state-encoder first layer with the input standardisation folded in, so the fast path uploads raw
   * states: W[d, j] / stateStd[d] and b[j] - sum_d stateMean[d] W[d, j] / stateStd[d], in float64, kept per weight
   * version. Null without standardisation, and for a one-layer encoder (its only layer is the folded last layer,
   * which then gets standardised inputs, see inputRows).
   */
  private foldedFirstLayer(m: number): FoldedLayer | null {
    const norm = this.norm;
    if (!norm || !this.foldsInput) return null;
    const hit = this.firstFolded[m];
    if (hit) return hit;
    const W = this.params.get('state.0.w', m).dataSync() as Float32Array;
    const b = this.params.get('state.0.b', m).dataSync() as Float32Array;
    const D = this.D;
    const H = b.length;
    const wOut = new Float32Array(D * H);
    const bOut = new Float32Array(H);
    for (let j = 0; j < H; j++) {
      let shift = b[j];
      for (let d = 0; d < D; d++) {
        const w = W[d * H + j] / norm.stateStd[d];
        wOut[d * H + j] = w;
        shift -= norm.stateMean[d] * w;
      }
      bOut[j] = shift;
    }
    const layer = { w: tf.tensor3d(wOut, [1, D, H]), b: tf.tensor1d(bOut) };
    this.firstFolded[m] = layer;
    return layer;
  }

  private clearFolded(version: number): void {
    for (const e of this.folded.values()) tf.dispose([e.w, e.b]);
    this.folded.clear();
    for (const e of this.firstFolded) if (e) tf.dispose([e.w, e.b]);
    this.firstFolded = [];
    tf.dispose([...this.weights3d.values()]);
    this.weights3d.clear();
    this.foldVersion = version;
  }

  /**
   * n raw float64 rows as the fast path's float32 input: raw when the first layer carries the standardisation
   * (foldedFirstLayer), standardised when the network uses standardisation otherwise.
   */
  private inputRows(states: Float64Array, n: number): Float32Array {
    const size = n * this.D;
    if (this.staging.length < size) this.staging = new Float32Array(size);
    const rows = this.staging.subarray(0, size);
    const norm = this.norm;
    if (!norm || this.foldsInput) {
      rows.set(states.subarray(0, size));
      return rows;
    }
    const D = this.D;
    for (let j = 0; j < size; j += D) for (let d = 0; d < D; d++) rows[j + d] = (states[j + d] - norm.stateMean[d]) / norm.stateStd[d];
    return rows;
  }

  /** Continuous actions as a [1, n, A] tensor (null for discrete actions, which are looked up in a table). */
  private continuousActions(actions: Float64Array, n: number): tf.Tensor3D | null {
    if (this.shape.discreteActions > 0) return null;
    const A = this.shape.actionSize;
    return tf.tensor3d(Float32Array.from(actions.subarray(0, n * A)), [1, n, A]);
  }

  /** Standardised deltas back to raw units, in place, for the rows in out[from, to) (default: all). */
  private destandardize(out: Float32Array, from = 0, to = out.length): void {
    const norm = this.norm;
    if (!norm) return;
    const D = this.D;
    for (let j = from; j < to; j += D) for (let d = 0; d < D; d++) out[j + d] = out[j + d] * norm.deltaStd[d] + norm.deltaMean[d];
  }

  /** Whether the fast path folds the input standardisation into the state encoder's first layer (foldedFirstLayer). */
  private get foldsInput(): boolean {
    return this.norm !== null && this.stateLayers >= 2;
  }

  /** predictDeltas through the training graph (the unfactorized ablation, and the reference for tests). */
  predictDeltasGraph(states: Float64Array, actions: Float64Array, n: number, agent: AgentSpec): Float32Array {
    const M = this.hyper.members;
    const ids = agent && 'agentIds' in agent ? agent.agentIds : null;
    const inp = this.inputs(states, actions, n, ids);
    try {
      const out = tf.tidy(() => {
        const parts: tf.Tensor2D[] = [];
        for (let m = 0; m < M; m++) {
          const codes = agent && 'codes' in agent ? tf.tensor2d(agent.codes.subarray(m * this.codeSize, (m + 1) * this.codeSize), [1, this.codeSize]) : undefined;
          parts.push(this.forward(m, inp, codes));
        }
        return tf.stack(parts);
      });
      const data = out.dataSync() as Float32Array;
      out.dispose();
      this.destandardize(data);
      return data;
    } finally {
      tf.dispose([inp.states, inp.actions, ...(inp.agents ? [inp.agents] : [])]);
    }
  }

  /** predictMemberRows through the training graph (the unfactorized ablation). */
  private predictMemberRowsGraph(states: Float64Array, actions: Float64Array, k: number, agent: AgentSpec): Float32Array {
    const M = this.hyper.members;
    const D = this.D;
    const A = this.shape.discreteActions > 0 ? 1 : this.shape.actionSize;
    const out = new Float32Array(M * k * D);
    for (let m = 0; m < M; m++) {
      const ids = agent && 'agentIds' in agent ? agent.agentIds : null;
      const inp = this.inputs(states.subarray(m * k * D, (m + 1) * k * D), actions.subarray(m * k * A, (m + 1) * k * A), k, ids);
      try {
        const y = tf.tidy(() => {
          const codes = agent && 'codes' in agent ? tf.tensor2d(agent.codes.subarray(m * this.codeSize, (m + 1) * this.codeSize), [1, this.codeSize]) : undefined;
          return this.forward(m, inp, codes);
        });
        out.set(y.dataSync() as Float32Array, m * k * D);
        y.dispose();
      } finally {
        tf.dispose([inp.states, inp.actions, ...(inp.agents ? [inp.agents] : [])]);
      }
    }
    this.destandardize(out);
    return out;
  }

  /** Every trained agent's code per member: [M, numAgents, codeSize] (what the embedding plot shows). */
  trainedCodes(): Float32Array {
    const M = this.hyper.members;
    const N = this.shape.numAgents;
    const out = new Float32Array(M * N * this.codeSize);
    if (this.codeSize === 0) return out;
    tf.tidy(() => {
      const eye = tf.eye(N) as tf.Tensor2D;
      for (let m = 0; m < M; m++) out.set(this.agentCodes(m, eye).dataSync() as Float32Array, m * N * this.codeSize);
    });
    return out;
  }

  /** Frees the parameters and the inference caches. */
  dispose(): void {
    this.clearFolded(-1);
    this.params.dispose();
  }
}

/** target.next[j] = min(max(states[j] + deltas[j], low[d]), high[d]) for j in [from, to), d = j mod D. */
function applyDeltas(states: Float64Array, deltas: Float32Array, from: number, to: number, D: number, target: NextTarget): void {
  const { next, low, high } = target;
  // Dimension by dimension, so each pass keeps its two bounds in registers.
  for (let d = 0; d < D; d++) {
    const lo = low[d];
    const hi = high[d];
    for (let j = from + d; j < to; j += D) next[j] = Math.min(Math.max(states[j] + deltas[j], lo), hi);
  }
}

/** out[o + d] = sum_l v[vAt + d*r + l] * f[fAt + l] for d < D: one row's rank-r contraction. */
function contract(v: Float32Array, vAt: number, f: Float64Array, fAt: number, D: number, r: number, out: Float32Array, o: number): void {
  for (let d = 0; d < D; d++) {
    let sum = 0;
    const at = vAt + d * r;
    for (let l = 0; l < r; l++) sum += v[at + l] * f[fAt + l];
    out[o + d] = sum;
  }
}

function initUniform(rng: { uniform(a: number, b: number): number }, n: number, fanIn: number): Float32Array {
  const b = 1 / Math.sqrt(fanIn);
  return Float32Array.from({ length: n }, () => rng.uniform(-b, b));
}
