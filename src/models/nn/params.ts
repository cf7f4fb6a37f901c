/**
 * Parameters of an ensemble of M identically shaped networks. Each member's tensors are separate variables, because
 * on the wasm backend a 3-D batched tf.matMul over members is far slower than M plain 2-D products (measured here:
 * [5,512,256] x [5,256,256] took 161 ms batched and 25 ms as five 2-D products; see bench/persim.ts). The ensemble is
 * still one object trained by one optimizer step on one summed loss, and it is stored stacked: every parameter is
 * exported as one [M, ...shape] array, which is the on-disk format.
 */
import { Rng } from '../../core/rng.js';
import { tf } from './backend.js';

/** One named parameter, stacked over members. */
export interface StackedParam {
  name: string;
  /** [M, ...member shape]. */
  shape: number[];
  data: Float32Array;
}

/** How to initialise one member's copy of a parameter. */
export type Initializer = (rng: Rng, size: number) => Float32Array;

/**
 * PyTorch's nn.Linear default (what the PerSim reference code uses): weights and biases uniform in
 * [-1/sqrt(fan_in), 1/sqrt(fan_in)].
 */
export function linearInit(fanIn: number): Initializer {
  const bound = 1 / Math.sqrt(fanIn);
  return (rng, size) => Float32Array.from({ length: size }, () => rng.uniform(-bound, bound));
}

/** A constant initialiser. */
export function constantInit(value: number): Initializer {
  return (_rng, size) => new Float32Array(size).fill(value);
}

interface Entry {
  name: string;
  shape: number[];
  vars: tf.Variable[];
}

/**
 * Stored stacked parameters by name, after checking that every declared parameter is present with shape
 * [members, ...declared shape]; throws an Error naming the first one that is missing or misshapen. Every model that
 * loads weights from the registry goes through this, so a stale or foreign weights file fails the same way.
 */
export function matchStacked(declared: ReadonlyArray<{ name: string; shape: readonly number[] }>, members: number, params: readonly StackedParam[]): Map<string, StackedParam> {
  const given = new Map(params.map((p) => [p.name, p]));
  for (const e of declared) {
    const p = given.get(e.name);
    if (!p) throw new Error(`stored weights lack parameter ${e.name}`);
    const want = [members, ...e.shape];
    if (p.shape.length !== want.length || p.shape.some((d, i) => d !== want[i])) {
      throw new Error(`parameter ${e.name} has shape [${p.shape}] in the stored weights; the model needs [${want}]`);
    }
  }
  return given;
}

/** The named parameters of M ensemble members. */
export class EnsembleParams {
  private readonly entries: Entry[] = [];
  private readonly byName = new Map<string, Entry>();
  private readonly rngs: Rng[];
  private changes = 0;

  /** Member m draws its initial values from its own stream seeded with seed * 1009 + m, so members differ. */
  constructor(readonly members: number, seed: number) {
    if (!Number.isInteger(members) || members < 1) throw new RangeError('an ensemble has at least one member');
    this.rngs = Array.from({ length: members }, (_, m) => Rng.fromSeed(seed * 1009 + m));
  }

  /** Declares a parameter and initialises every member's copy (in declaration order, so seeds replay exactly). */
  add(name: string, shape: number[], init: Initializer): void {
    if (this.byName.has(name)) throw new Error(`parameter ${name} declared twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    const vars = this.rngs.map((rng, m) => {
      const t = tf.tensor(init(rng, size), shape, 'float32');
      const v = tf.variable(t, true, `${name}_${m}_${uniqueSuffix()}`);
      t.dispose();
      return v;
    });
    const e = { name, shape, vars };
    this.entries.push(e);
    this.byName.set(name, e);
  }

  /**
   * A counter that moves whenever the values may have changed (importStacked, or a trainer's markChanged after an
   * optimizer step), so read-back caches of derived tables (e.g. PerSim's inference tables) know when to rebuild.
   */
  get version(): number {
    return this.changes;
  }

  /** Records that the variables were updated outside this class (an optimizer step). */
  markChanged(): void {
    this.changes += 1;
  }

  /** Member m's copy of a parameter. */
  get(name: string, m: number): tf.Variable {
    const e = this.byName.get(name);
    if (!e) throw new Error(`no parameter ${name}`);
    return e.vars[m];
  }

  /** True when the parameter exists. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Parameter names in declaration order. */
  names(): string[] {
    return this.entries.map((e) => e.name);
  }

  /** Every variable (all members), optionally only those whose name passes `filter`. */
  variables(filter?: (name: string) => boolean): tf.Variable[] {
    return this.entries.filter((e) => !filter || filter(e.name)).flatMap((e) => e.vars);
  }

  /** Total number of scalars over all members. */
  count(): number {
    return this.entries.reduce((s, e) => s + e.shape.reduce((a, b) => a * b, 1) * this.members, 0);
  }

  /** Every parameter stacked over members ([M, ...shape]), read synchronously. */
  exportStacked(): StackedParam[] {
    return this.entries.map((e) => {
      const size = e.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size * this.members);
      e.vars.forEach((v, m) => data.set(v.dataSync() as Float32Array, m * size));
      return { name: e.name, shape: [this.members, ...e.shape], data };
    });
  }

  /** Overwrites parameters from stacked arrays; names and shapes must match the declared ones exactly. */
  importStacked(params: readonly StackedParam[]): void {
    const given = matchStacked(this.entries, this.members, params);
    for (const e of this.entries) {
      const p = given.get(e.name)!;
      const size = e.shape.reduce((a, b) => a * b, 1);
      e.vars.forEach((v, m) => tf.tidy(() => v.assign(tf.tensor(p.data.slice(m * size, (m + 1) * size), e.shape, 'float32'))));
    }
    this.changes += 1;
  }

  /** Frees every variable. */
  dispose(): void {
    for (const e of this.entries) for (const v of e.vars) v.dispose();
    this.entries.length = 0;
    this.byName.clear();
  }
}

let counter = 0;
function uniqueSuffix(): number {
  // TF.js variable names are global per engine: two models with the same layout must not collide.
  counter += 1;
  return counter;
}
