/**
 * Context spaces: the named physical parameters that make an environment heterogeneous (CARL's "context", PerSim's
 * "agent"). Contexts are stored per env instance as rows of a Float64Array, in the order the parameters are declared.
 */
import type { ContextMap, ContextParam, ContextSpec } from '../../protocol/ts/spaces.js';
import { TwinGymError } from './errors.js';
import type { Rng } from './rng.js';

/** The ordered parameters of an environment's context. */
export class ContextSpace {
  readonly names: readonly string[];
  readonly defaults: Float64Array;
  private readonly index: ReadonlyMap<string, number>;

  constructor(readonly params: readonly ContextParam[]) {
    this.names = params.map((p) => p.name);
    this.defaults = Float64Array.from(params, (p) => p.default);
    this.index = new Map(this.names.map((n, i) => [n, i]));
    for (const p of params) {
      if (!(p.low <= p.default && p.default <= p.high)) throw new RangeError(`context ${p.name}: default outside [low, high]`);
    }
  }

  /** Number of parameters (the width of one context row). */
  get size(): number {
    return this.params.length;
  }

  /** The wire description. */
  spec(): ContextSpec {
    return { params: this.params.map((p) => ({ ...p })) };
  }

  /**
   * Writes `map` over the row at out[offset ..]: named parameters change, the others keep their value. Unknown names and
   * values outside the declared range are refused with a protocol error naming the parameter and its range.
   */
  apply(map: ContextMap, out: Float64Array, offset: number): void {
    for (const [name, value] of Object.entries(map)) {
      const i = this.index.get(name);
      if (i === undefined) {
        throw new TwinGymError('unknown_context_key', `context parameter "${name}" does not exist; this environment has ${this.names.join(', ') || 'no parameters'}`, { key: name, known: [...this.names] });
      }
      const p = this.params[i];
      if (typeof value !== 'number' || !Number.isFinite(value) || value < p.low || value > p.high) {
        throw new TwinGymError('context_out_of_range', `context ${name}=${value} is outside [${p.low}, ${p.high}]`, { key: name, value, low: p.low, high: p.high });
      }
    }
    for (const [name, value] of Object.entries(map)) out[offset + this.index.get(name)!] = value;
  }

  /** Checks a map without writing it anywhere (same errors as apply). */
  validate(map: ContextMap): void {
    this.apply(map, new Float64Array(this.size), 0);
  }

  /** The row at values[offset ..] as a name -> value map. */
  toMap(values: ArrayLike<number>, offset = 0): ContextMap {
    const out: ContextMap = {};
    this.names.forEach((n, i) => { out[n] = values[offset + i]; });
    return out;
  }

  /** A context drawn uniformly from every parameter's range (how PerSim draws its agents). */
  sampleUniform(rng: Rng): ContextMap {
    const out: ContextMap = {};
    for (const p of this.params) out[p.name] = rng.uniform(p.low, p.high);
    return out;
  }
}
