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
import { matMul2d } from '../nn/matmul.js';
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
    const v = tf.reshape(mlp(p, 'state', this.stateLayers, m, inputs.states), [B, this.D, this.r]);
    let uw = mlp(p, 'action', this.actionLayers, m, inputs.actions);
    if (kind === 'persim') uw = tf.mul(uw, code()) as tf.Tensor2D;
    // delta_d = sum_l v[b, d, l] * (u w)[b, l]
    return tf.sum(tf.mul(v, tf.reshape(uw, [B, 1, this.r])), 2) as tf.Tensor2D;
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
  predictDeltas(states: Float64Array, actions: Float64Array, n: number, agent: { agentIds: Int32Array } | { codes: Float32Array } | null): Float32Array {
    const M = this.hyper.members;
    const D = this.D;
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
      const norm = this.norm;
      if (norm) {
        for (let k = 0; k < M * n; k++) for (let d = 0; d < D; d++) data[k * D + d] = data[k * D + d] * norm.deltaStd[d] + norm.deltaMean[d];
      }
      return data;
    } finally {
      tf.dispose([inp.states, inp.actions, ...(inp.agents ? [inp.agents] : [])]);
    }
  }

  /**
   * Member-major prediction: rows [m*k, (m+1)*k) are stepped by member m alone (planners give every member its own
   * trajectory). Returns raw-unit deltas [M*k, D]. The agent is given as for predictDeltas, with k agent ids.
   */
  predictMemberRows(states: Float64Array, actions: Float64Array, k: number, agent: { agentIds: Int32Array } | { codes: Float32Array } | null): Float32Array {
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
    const norm = this.norm;
    if (norm) for (let i = 0; i < M * k; i++) for (let d = 0; d < D; d++) out[i * D + d] = out[i * D + d] * norm.deltaStd[d] + norm.deltaMean[d];
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

  /** Frees the parameters. */
  dispose(): void {
    this.params.dispose();
  }
}

function initUniform(rng: { uniform(a: number, b: number): number }, n: number, fanIn: number): Float32Array {
  const b = 1 / Math.sqrt(fanIn);
  return Float32Array.from({ length: n }, () => rng.uniform(-b, b));
}
