/**
 * The MOCODA Gaussian ensemble networks (REFERENCE.md 5), M members, each predicting a mean and a variance
 * (softplus + 1e-6) for every child entry:
 *   unfactored: one MLP from the whole root vector to every child;
 *   global:     one MLP per child on the roots of its global parent set only (the other roots never enter);
 *   local:      per child, a linear embedding of each root, multiplied by that transition's mask entry
 *               M(s, a)[root, child] and summed, then the child's MLP (the "masked composer").
 * The local embedding is computed as ONE product per child: the root vector with every root's entries multiplied by
 * its mask entry, followed by one column per root holding the mask entry itself, times a stacked matrix whose blocks
 * are the per-root weights and whose last R rows are the per-root biases. That is exactly sum_r M[r] (x_r W_r + b_r),
 * with one kernel launch instead of R (dispatch dominates small products on the wasm backend).
 *
 * Parameter storage (MocodaParams): all of a member's parameters live in ONE flat variable, its "pack", and a forward
 * pass cuts the pack into the named tensors with two tf.split calls. The reason is the wasm backend's Slice kernel,
 * which every split, slice and unstack runs on: it copies the WHOLE input out of the wasm heap for every output
 * (backend.readSync without a range), so splitting a flat vector of T numbers into P parts copies P x T numbers. Adam
 * (nn/adam.ts) splits its flat update into one part per variable, and a per-(member, child, layer) variable layout
 * made that split, plus the split in the gradient of a concatenated weight-decay term, the most expensive part of a
 * factored model's training step (measured: 248 ms per split of the global Navigation2D model's 80 variables, twice
 * per step, in a 1,100 ms step). With one pack per member, each member gets its own single-variable Adam (no split at
 * all), and cutting the pack costs a few copies of the member's numbers (see MocodaParams.unpack). Batching children
 * into 3-D tf.matMul products does not help on this backend: a batched product is 7-14x slower than the same 2-D
 * products (measured [10,512,256] x [10,256,256]: 874 ms batched, 130 ms as ten 2-D products), so each (member, child)
 * MLP keeps its own 2-D products, which cost the same FLOPs as any batched form.
 *
 * The registry layout is unchanged by the packing: exportStacked/importStacked speak per-parameter [M, ...shape]
 * arrays named as before (u.t0.w, g0.t0.w, l1.embed, ...), and the initial values are drawn exactly as a per-parameter
 * EnsembleParams would draw them (member m's stream seeded seed * 1009 + m, parameters in declaration order).
 */
import { Rng } from '../../core/rng.js';
import { tf } from '../nn/backend.js';
import { matMul2d } from '../nn/matmul.js';
import { linearInit, matchStacked, type Initializer, type StackedParam } from '../nn/params.js';
import type { MocodaHyper } from './config.js';
import type { MocodaLayout } from './layout.js';
import { dimsOfRoots } from './layout.js';

/** Added to the softplus so a variance is never zero (the reference's constant). */
export const MIN_VARIANCE = 1e-6;

/** One member's outputs for a batch: means and variances [B, childDim]. */
export interface GaussianOut {
  mean: tf.Tensor2D;
  variance: tf.Tensor2D;
}

/** One member's parameters as tensors, by registry name (what forward reads). */
export type MemberWeights = Readonly<Record<string, tf.Tensor>>;

/** A parameter to declare: registry name, per-member shape and initialiser. */
interface ParamDecl {
  name: string;
  shape: number[];
  init: Initializer;
}

/** Where a declared parameter lives in a member's pack. */
interface PackEntry {
  name: string;
  shape: number[];
  size: number;
  offset: number;
}

/**
 * The parameters of M ensemble members, one flat variable ("pack") per member; see the file comment for why. The
 * pack order differs from the declaration order: the parameters cut out on their own by the first split come first,
 * then the run of small ones cut by the second split.
 */
export class MocodaParams {
  /** Numbers per member. */
  readonly size: number;
  private readonly packs: tf.Variable[];
  private readonly entries: PackEntry[];
  private readonly byName = new Map<string, PackEntry>();
  /** Parameters cut out by the first split, in pack order; the small run follows them. */
  private readonly big: PackEntry[];
  private readonly small: PackEntry[];
  private changes = 0;

  /** Declares every parameter at once and initialises member m from Rng.fromSeed(seed * 1009 + m). */
  constructor(readonly members: number, seed: number, decls: readonly ParamDecl[]) {
    if (!Number.isInteger(members) || members < 1) throw new RangeError('an ensemble has at least one member');
    const seen = new Set<string>();
    for (const d of decls) {
      if (seen.has(d.name)) throw new Error(`parameter ${d.name} declared twice`);
      seen.add(d.name);
    }
    const sized = decls.map((d) => ({ name: d.name, shape: [...d.shape], size: d.shape.reduce((a, b) => a * b, 1), offset: 0 }));
    const total = sized.reduce((s, e) => s + e.size, 0);
    const bigCount = bestBigCount(sized.map((e) => e.size), total);
    // The bigCount largest parameters (ties by declaration order) are cut out on their own.
    const bySize = sized.map((e, i) => i).sort((a, b) => sized[b].size - sized[a].size || a - b);
    const isBig = new Set(bySize.slice(0, bigCount));
    this.big = sized.filter((_, i) => isBig.has(i));
    this.small = sized.filter((_, i) => !isBig.has(i));
    let off = 0;
    for (const e of [...this.big, ...this.small]) {
      e.offset = off;
      off += e.size;
    }
    this.size = total;
    this.entries = sized;
    for (const e of sized) this.byName.set(e.name, e);
    this.packs = Array.from({ length: members }, (_, m) => {
      // Same streams and draw order as EnsembleParams, so a seed gives the weights it gave before the packing.
      const rng = Rng.fromSeed(seed * 1009 + m);
      const data = new Float32Array(total);
      decls.forEach((d, i) => data.set(d.init(rng, sized[i].size), sized[i].offset));
      const t = tf.tensor1d(data, 'float32');
      const v = tf.variable(t, true);
      t.dispose();
      return v;
    });
  }

  /** A counter that moves whenever the values may have changed (importStacked, markChanged after optimizer steps). */
  get version(): number {
    return this.changes;
  }

  /** Records that the packs were updated outside this class (an optimizer step), invalidating inference caches. */
  markChanged(): void {
    this.changes += 1;
  }

  /** Registry names in declaration order. */
  names(): string[] {
    return this.entries.map((e) => e.name);
  }

  /** True when the parameter exists. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The trainable variables: one pack per member, in member order. */
  variables(): tf.Variable[] {
    return [...this.packs];
  }

  /** Member m's pack (what its optimizer updates). */
  pack(m: number): tf.Variable {
    return this.packs[m];
  }

  /** Total number of scalars over all members. */
  count(): number {
    return this.size * this.members;
  }

  /**
   * Member m's parameters as differentiable tensors cut from its pack (use inside a gradient closure). Two splits: the
   * first cuts the big parameters and the small run out of the pack, the second cuts the small run; each copies its
   * input once per output on wasm, and bestBigCount chose the cut that copies least.
   */
  unpack(m: number): MemberWeights {
    const pack = this.packs[m];
    const out: Record<string, tf.Tensor> = {};
    const smallSize = this.size - this.big.reduce((s, e) => s + e.size, 0);
    const first = [...this.big.map((e) => e.size), ...(this.small.length > 0 ? [smallSize] : [])];
    const parts = first.length === 1 ? [pack as tf.Tensor] : tf.split(pack, first);
    this.big.forEach((e, i) => {
      out[e.name] = tf.reshape(parts[i], e.shape);
    });
    if (this.small.length > 0) {
      const run = parts[parts.length - 1];
      const pieces = this.small.length === 1 ? [run] : tf.split(run, this.small.map((e) => e.size));
      this.small.forEach((e, i) => {
        out[e.name] = tf.reshape(pieces[i], e.shape);
      });
    }
    return out;
  }

  /** Every parameter stacked over members ([M, ...shape]), in declaration order: the registry layout. */
  exportStacked(): StackedParam[] {
    const packs = this.packs.map((p) => p.dataSync() as Float32Array);
    return this.entries.map((e) => {
      const data = new Float32Array(e.size * this.members);
      packs.forEach((p, m) => data.set(p.subarray(e.offset, e.offset + e.size), m * e.size));
      return { name: e.name, shape: [this.members, ...e.shape], data };
    });
  }

  /** Overwrites parameters from stacked arrays; names and shapes must match the declared ones exactly. */
  importStacked(params: readonly StackedParam[]): void {
    const given = matchStacked(this.entries, this.members, params);
    this.packs.forEach((v, m) => {
      const data = new Float32Array(this.size);
      for (const e of this.entries) data.set(given.get(e.name)!.data.subarray(m * e.size, (m + 1) * e.size), e.offset);
      tf.tidy(() => v.assign(tf.tensor1d(data, 'float32')));
    });
    this.changes += 1;
  }

  /** Frees the packs. */
  dispose(): void {
    tf.dispose(this.packs);
  }
}

/**
 * How many of the largest parameters the first split should cut out on their own. The first split copies the pack
 * once per output (big ones plus the small run), the second copies the small run once per small parameter; this picks
 * the count with the fewest copied numbers (0 means one split of the whole pack).
 */
function bestBigCount(sizes: readonly number[], total: number): number {
  const sorted = [...sizes].sort((a, b) => b - a);
  let best = 0;
  let bestCost = sizes.length * total;
  let bigSum = 0;
  for (let j = 1; j <= sorted.length; j++) {
    bigSum += sorted[j - 1];
    const rest = sorted.length - j;
    const cost = (j + (rest > 0 ? 1 : 0)) * total + rest * (total - bigSum);
    if (cost < bestCost) {
      best = j;
      bestCost = cost;
    }
  }
  return best;
}

interface Head {
  /** Parameter name prefix. */
  name: string;
  /** Child entries this head predicts: [offset, size) in the child vector. */
  offset: number;
  size: number;
}

/** A MOCODA ensemble network for one causal layout. */
export class MocodaNetwork {
  readonly params: MocodaParams;
  private readonly heads: Head[];
  private readonly trunkLayers: number;
  /** global: root-vector columns per child. local: mask columns per child, and root-of-dim expansion. */
  private readonly columns: tf.Tensor1D[] = [];
  private readonly expand: tf.Tensor1D | null = null;
  /** Inference copies of each member's unpacked weights, valid while params.version equals cacheVersion. */
  private cache: Array<MemberWeights | null>;
  private cacheVersion = -1;

  constructor(readonly layout: MocodaLayout, readonly hyper: MocodaHyper) {
    const decls: ParamDecl[] = [];
    const dense = (name: string, inSize: number, outSize: number) => {
      decls.push({ name: `${name}.w`, shape: [inSize, outSize], init: linearInit(inSize) });
      decls.push({ name: `${name}.b`, shape: [outSize], init: linearInit(inSize) });
    };
    const { rootDim, roots, children } = layout;
    const R = roots.length;
    const K = children.length;
    this.trunkLayers = hyper.hidden.length;
    const declareTrunk = (name: string, inSize: number, outSize: number) => {
      const sizes = [inSize, ...hyper.hidden];
      for (let k = 0; k + 1 < sizes.length; k++) dense(`${name}.t${k}`, sizes[k], sizes[k + 1]);
      const last = sizes[sizes.length - 1];
      dense(`${name}.mu`, last, outSize);
      dense(`${name}.var`, last, outSize);
    };
    if (hyper.kind === 'unfactored') {
      declareTrunk('u', rootDim, layout.childDim);
      this.heads = [{ name: 'u', offset: 0, size: layout.childDim }];
    } else {
      this.heads = children.map((c, k) => ({ name: `${hyper.kind === 'global' ? 'g' : 'l'}${k}`, offset: c.offset, size: c.indices.length }));
    }
    if (hyper.kind === 'global') {
      children.forEach((_, k) => {
        const parents = layout.globalParents[k];
        if (parents.length === 0) throw new Error(`child ${children[k].name} has no global parents`);
        const cols = dimsOfRoots(layout, parents);
        this.columns.push(tf.tensor1d(Int32Array.from(cols), 'int32'));
        declareTrunk(this.heads[k].name, cols.length, this.heads[k].size);
      });
    }
    if (hyper.kind === 'local') {
      const E = hyper.embed;
      const rowBound = new Float64Array(rootDim + R);
      for (let d = 0; d < rootDim; d++) rowBound[d] = 1 / Math.sqrt(roots[layout.rootOfDim[d]].indices.length);
      for (let r = 0; r < R; r++) rowBound[rootDim + r] = 1 / Math.sqrt(roots[r].indices.length);
      children.forEach((_, k) => {
        this.columns.push(tf.tensor1d(Int32Array.from({ length: R }, (_r, r) => r * K + k), 'int32'));
        // Per-root nn.Linear initialisation: each root's block (and its bias row) is uniform in +-1/sqrt(root size).
        decls.push({
          name: `${this.heads[k].name}.embed`,
          shape: [rootDim + R, E],
          init: (rng, size) => {
            const out = new Float32Array(size);
            for (let j = 0; j < size; j++) {
              const b = rowBound[Math.floor(j / E)];
              out[j] = rng.uniform(-b, b);
            }
            return out;
          },
        });
        declareTrunk(this.heads[k].name, E, this.heads[k].size);
      });
      this.expand = tf.tensor1d(layout.rootOfDim, 'int32');
    }
    this.params = new MocodaParams(hyper.members, hyper.seed, decls);
    this.cache = new Array<MemberWeights | null>(hyper.members).fill(null);
  }

  /** Number of masks entries per transition the network reads (R x K for local, 0 otherwise). */
  get maskSize(): number {
    return this.hyper.kind === 'local' ? this.layout.roots.length * this.layout.children.length : 0;
  }

  /**
   * The per-head inputs of a batch: roots [B, rootDim] and (local only) masks [B, R*K] as 0/1 floats in the causal
   * spec's row-major (root, child) order.
   */
  prepare(roots: tf.Tensor2D, masks: tf.Tensor2D | null): tf.Tensor2D[] {
    const kind = this.hyper.kind;
    if (kind === 'unfactored') return [roots];
    if (kind === 'global') return this.columns.map((c) => tf.gather(roots, c, 1) as tf.Tensor2D);
    if (!masks) throw new Error('the locally factored model needs the masks M(s, a) of its inputs');
    return this.columns.map((c) => {
      const mk = tf.gather(masks, c, 1) as tf.Tensor2D;
      return tf.concat([tf.mul(roots, tf.gather(mk, this.expand!, 1)), mk], 1) as tf.Tensor2D;
    });
  }

  /**
   * Member m's unpacked weights for inference: kept tensors reused until the parameters change (an optimizer step
   * reported through params.markChanged, or importStacked). Not differentiable with respect to the packs, so never
   * pass these to forward inside a gradient closure.
   */
  inferenceWeights(m: number): MemberWeights {
    if (this.cacheVersion !== this.params.version) {
      this.dropCache();
      this.cacheVersion = this.params.version;
    }
    let w = this.cache[m];
    if (!w) {
      const fresh = tf.tidy(() => ({ ...this.params.unpack(m) }));
      for (const t of Object.values(fresh)) tf.keep(t);
      w = fresh;
      this.cache[m] = w;
    }
    return w;
  }

  /**
   * Member m's means and variances for prepared inputs. `weights` defaults to a differentiable unpack of member m's
   * pack (what training needs); inference passes inferenceWeights(m) to skip the unpacking.
   */
  forward(m: number, inputs: readonly tf.Tensor2D[], weights: MemberWeights = this.params.unpack(m)): GaussianOut {
    const w = weights;
    const dense = (name: string, x: tf.Tensor2D) => tf.add(matMul2d(x, w[`${name}.w`] as tf.Tensor2D), w[`${name}.b`]) as tf.Tensor2D;
    const means: tf.Tensor2D[] = [];
    const vars: tf.Tensor2D[] = [];
    this.heads.forEach((h, k) => {
      let x = inputs[k];
      if (this.hyper.kind === 'local') x = matMul2d(x, w[`${h.name}.embed`] as tf.Tensor2D);
      for (let j = 0; j < this.trunkLayers; j++) x = tf.relu(dense(`${h.name}.t${j}`, x)) as tf.Tensor2D;
      means.push(dense(`${h.name}.mu`, x));
      vars.push(tf.add(tf.softplus(dense(`${h.name}.var`, x)), MIN_VARIANCE) as tf.Tensor2D);
    });
    if (means.length === 1) return { mean: means[0], variance: vars[0] };
    return { mean: tf.concat(means, 1) as tf.Tensor2D, variance: tf.concat(vars, 1) as tf.Tensor2D };
  }

  /**
   * Member m's means and variances for n rows given as numbers: roots n x rootDim, masks n x maskSize (or null when
   * the kind reads none). Returns float32 arrays n x childDim; runs in chunks so huge batches stay bounded in memory.
   */
  predict(m: number, roots: Float64Array, masks: Uint8Array | null, n: number, chunk = 8192): { mean: Float32Array; variance: Float32Array } {
    const { rootDim, childDim } = this.layout;
    const Mk = this.maskSize;
    const mean = new Float32Array(n * childDim);
    const variance = new Float32Array(n * childDim);
    const weights = this.inferenceWeights(m);
    for (let lo = 0; lo < n; lo += chunk) {
      const hi = Math.min(n, lo + chunk);
      const b = hi - lo;
      const [mu, va] = tf.tidy(() => {
        const x = tf.tensor2d(Float32Array.from(roots.subarray(lo * rootDim, hi * rootDim)), [b, rootDim]);
        const mk = Mk > 0 && masks ? tf.tensor2d(Float32Array.from(masks.subarray(lo * Mk, hi * Mk)), [b, Mk]) : null;
        const out = this.forward(m, this.prepare(x, mk), weights);
        return [out.mean, out.variance];
      });
      mean.set(mu.dataSync() as Float32Array, lo * childDim);
      variance.set(va.dataSync() as Float32Array, lo * childDim);
      tf.dispose([mu, va]);
    }
    return { mean, variance };
  }

  /** Frees the parameters, the inference copies and the index tensors. */
  dispose(): void {
    this.dropCache();
    this.params.dispose();
    tf.dispose(this.columns);
    if (this.expand) this.expand.dispose();
  }

  private dropCache(): void {
    for (const w of this.cache) if (w) tf.dispose(Object.values(w));
    this.cache.fill(null);
  }
}
