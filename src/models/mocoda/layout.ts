/**
 * The variables MOCODA works on, resolved from an environment's causal spec: the root vector of a transition (the
 * roots' observation and action entries concatenated in spec order), the child vector (the children's next-observation
 * entries), the global mask, and each local region with its mask and parent sets as root indices. Models and the
 * parent distribution both index through this, so the spec is interpreted in one place.
 */
import type { EnvDefinition } from '../../core/definition.js';
import { Discrete } from '../../core/spaces.js';

/** One root variable: where it lives in the observation or action, and where in the root vector. */
export interface RootVar {
  name: string;
  source: 'obs' | 'action';
  indices: number[];
  /** Offset of its first entry in the root vector. */
  offset: number;
}

/** One child variable: its next-observation indices and its offset in the child vector. */
export interface ChildVar {
  name: string;
  indices: number[];
  offset: number;
}

/** A local region: its mask (roots x children) and parent sets (root indices, each sorted). */
export interface RegionInfo {
  name: string;
  mask: number[][];
  parentSets: number[][];
}

/** The resolved causal layout of one environment definition. */
export interface MocodaLayout {
  envId: string;
  obsSize: number;
  actionSize: number;
  roots: RootVar[];
  children: ChildVar[];
  /** Length of the root vector (sum of root sizes). */
  rootDim: number;
  /** Length of the child vector. */
  childDim: number;
  /** global[r][k] = 1 when child k may depend on root r somewhere. */
  globalMask: number[][];
  /**
   * The globally factored model's inputs per child (root indices, sorted): the union over regions of the child's
   * parent set when every region names one set per child (SPEC 5: parent_sets[k] belongs to child k), else the
   * global mask's column. The two differ where a region's mask over-approximates: Navigation2D's entangled mask is all
   * ones although x' never reads y there, and MOCODA's global graph (x' <- x, ax, ay; y' <- y, ax, ay) is the union of
   * the parent sets, so a global model built from the mask would be the unfactored one again.
   */
  globalParents: number[][];
  regions: RegionInfo[];
  /** For each root-vector entry, the root it belongs to. */
  rootOfDim: Int32Array;
}

/** Resolves a definition's causal spec; throws when the definition has none or it is inconsistent. */
export function mocodaLayout(def: EnvDefinition): MocodaLayout {
  if (!def.causal) throw new Error(`${def.id} exposes no causal structure, which MOCODA needs (roots, children, masks)`);
  if (def.actionSpace instanceof Discrete) throw new Error(`${def.id} has discrete actions; MOCODA models continuous ones`);
  const spec = def.causal.spec();
  const obsSize = def.observationSpace.size;
  const actionSize = def.actionSpace.size;
  let off = 0;
  const roots: RootVar[] = spec.roots.map((r) => {
    const limit = r.source === 'obs' ? obsSize : actionSize;
    if (r.indices.length === 0 || r.indices.some((i) => i >= limit)) throw new Error(`root ${r.name} of ${def.id} has indices outside its ${r.source} (size ${limit})`);
    const v = { name: r.name, source: r.source, indices: [...r.indices], offset: off };
    off += r.indices.length;
    return v;
  });
  const rootDim = off;
  off = 0;
  const children: ChildVar[] = spec.children.map((c) => {
    if (c.indices.length === 0 || c.indices.some((i) => i >= obsSize)) throw new Error(`child ${c.name} of ${def.id} has indices outside the observation (size ${obsSize})`);
    const v = { name: c.name, indices: [...c.indices], offset: off };
    off += c.indices.length;
    return v;
  });
  const R = roots.length;
  const K = children.length;
  const checkMask = (m: number[][], what: string) => {
    if (m.length !== R || m.some((row) => row.length !== K)) throw new Error(`${what} of ${def.id} is not ${R} roots x ${K} children`);
  };
  checkMask(spec.global_mask, 'the global mask');
  const byName = new Map(roots.map((r, i) => [r.name, i]));
  const regions: RegionInfo[] = spec.local_masks.map((lm) => {
    checkMask(lm.mask, `the mask of region ${lm.region}`);
    const parentSets = lm.parent_sets.map((set) => set.map((name) => {
      const i = byName.get(name);
      if (i === undefined) throw new Error(`parent set of region ${lm.region} names ${name}, which is not a root of ${def.id}`);
      return i;
    }).sort((a, b) => a - b));
    return { name: lm.region, mask: lm.mask.map((r) => [...r]), parentSets };
  });
  const rootOfDim = new Int32Array(rootDim);
  roots.forEach((r, i) => rootOfDim.fill(i, r.offset, r.offset + r.indices.length));
  const perChild = regions.length > 0 && regions.every((g) => g.parentSets.length === K);
  const globalParents = children.map((_c, k) => perChild
    ? [...new Set(regions.flatMap((g) => g.parentSets[k]))].sort((a, b) => a - b)
    : roots.map((_r, r) => r).filter((r) => spec.global_mask[r][k] === 1));
  return { envId: def.id, obsSize, actionSize, roots, children, rootDim, childDim: off, globalMask: spec.global_mask.map((r) => [...r]), globalParents, regions, rootOfDim };
}

/** Root vectors of n transitions (n x rootDim), gathered from observations and actions. */
export function rootVectors(layout: MocodaLayout, obs: Float64Array, actions: Float64Array, n: number, out = new Float64Array(n * layout.rootDim)): Float64Array {
  const { obsSize: O, actionSize: A, rootDim: D } = layout;
  for (let i = 0; i < n; i++) {
    for (const r of layout.roots) {
      const src = r.source === 'obs' ? obs : actions;
      const base = r.source === 'obs' ? i * O : i * A;
      for (let j = 0; j < r.indices.length; j++) out[i * D + r.offset + j] = src[base + r.indices[j]];
    }
  }
  return out;
}

/**
 * The inverse of rootVectors: writes root entries into observation and action rows. Observation entries that are
 * no root's (HookSweep2's goals) and action entries that are no root's are left as they are in `obs` / `actions`.
 */
export function scatterRoots(layout: MocodaLayout, roots: Float64Array, n: number, obs: Float64Array, actions: Float64Array): void {
  const { obsSize: O, actionSize: A, rootDim: D } = layout;
  for (let i = 0; i < n; i++) {
    for (const r of layout.roots) {
      const dst = r.source === 'obs' ? obs : actions;
      const base = r.source === 'obs' ? i * O : i * A;
      for (let j = 0; j < r.indices.length; j++) dst[base + r.indices[j]] = roots[i * D + r.offset + j];
    }
  }
}

/** Child vectors (n x childDim) of n next observations. */
export function childVectors(layout: MocodaLayout, nextObs: Float64Array, n: number): Float64Array {
  const { obsSize: O, childDim: K } = layout;
  const out = new Float64Array(n * K);
  for (let i = 0; i < n; i++) for (const c of layout.children) for (let j = 0; j < c.indices.length; j++) out[i * K + c.offset + j] = nextObs[i * O + c.indices[j]];
  return out;
}

/** Root-vector entries (sorted) of a set of root indices. */
export function dimsOfRoots(layout: MocodaLayout, rootIdx: readonly number[]): number[] {
  return [...rootIdx].sort((a, b) => a - b).flatMap((r) => layout.roots[r].indices.map((_, j) => layout.roots[r].offset + j));
}
