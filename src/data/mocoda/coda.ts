/**
 * CoDA (counterfactual data augmentation, REFERENCE.md 5): a new transition is made from two real ones by swapping a
 * part that the local causal mask declares independent of the rest. The parts of a transition are the connected
 * components of its mask's bipartite graph (roots - children): a component's children read only its roots, so its
 * (roots, children) values may come from another transition as long as
 *  - both transitions lie in the same local region (the same mask, hence the same components), and
 *  - the mixed transition still lies in that region (its own mask says the parts are independent).
 * Navigation2D outside the entangled quadrant splits into (x, ax -> x') and (y, ay -> y'). HookSweep2's gripper and
 * action reach every child, so its masks have a single component and CoDA has nothing to swap there.
 */
import type { CausalSpec } from '../../../protocol/ts/spaces.js';
import type { EnvDefinition } from '../../core/definition.js';
import type { Rng } from '../../core/rng.js';
import { actionSizeOf, obsSizeOf, type Transitions } from './common.js';

/** One independent part of a region's mask: observation, action and next-observation indices. */
export interface CodaPart {
  obs: number[];
  action: number[];
  next: number[];
}

/** The independent parts of every local region of a causal spec (one entry per region, in spec order). */
export function codaParts(spec: CausalSpec): CodaPart[][] {
  const R = spec.roots.length;
  const K = spec.children.length;
  return spec.local_masks.map((region) => {
    // Union-find over roots 0..R-1 and children R..R+K-1.
    const parent = Array.from({ length: R + K }, (_, i) => i);
    const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
    for (let r = 0; r < R; r++) for (let k = 0; k < K; k++) if (region.mask[r][k]) parent[find(r)] = find(R + k);
    const groups = new Map<number, CodaPart>();
    const part = (i: number): CodaPart => {
      const g = find(i);
      let p = groups.get(g);
      if (!p) { p = { obs: [], action: [], next: [] }; groups.set(g, p); }
      return p;
    };
    spec.roots.forEach((root, r) => {
      const p = part(r);
      (root.source === 'obs' ? p.obs : p.action).push(...root.indices);
    });
    spec.children.forEach((child, k) => part(R + k).next.push(...child.indices));
    return [...groups.values()];
  });
}

/** What CoDA produced and how hard it was. */
export interface CodaResult extends Transitions {
  /** Pairs tried per transition produced. */
  attemptsPerSample: number;
}

/**
 * n CoDA transitions from the real ones: draw two rows in the same region whose mask has at least two parts, copy a
 * random non-empty proper subset of the parts from the second into the first, keep the result if it lies in the same
 * region. Observation entries no root names (HookSweep2's goals) come from the first row. Throws when no region of
 * the data has two parts, or when too few mixes stay in their region.
 */
export function codaAugment(def: EnvDefinition, data: Transitions, n: number, rng: Rng, maxAttemptsPerSample = 200): CodaResult {
  if (!def.causal) throw new Error(`${def.id} has no causal structure; CoDA needs its local masks`);
  const parts = codaParts(def.causal.spec());
  const O = obsSizeOf(def);
  const A = actionSizeOf(def);
  const regions = new Uint8Array(data.n);
  def.causal.region(data.observations, data.actions, data.n, regions);
  const byRegion = parts.map(() => [] as number[]);
  for (let i = 0; i < data.n; i++) byRegion[regions[i]].push(i);
  const usable = parts.map((p, r) => (p.length >= 2 && byRegion[r].length >= 2 ? r : -1)).filter((r) => r >= 0);
  if (usable.length === 0) throw new Error(`${def.id}'s data has no region whose mask splits into independent parts, so CoDA cannot swap anything`);
  let usableRows = 0;
  for (const r of usable) usableRows += byRegion[r].length;
  const out: CodaResult = { n, observations: new Float64Array(n * O), actions: new Float64Array(n * A), nextObservations: new Float64Array(n * O), attemptsPerSample: 0 };
  const o1 = new Float64Array(O);
  const a1 = new Float64Array(A);
  const n1 = new Float64Array(O);
  const region1 = new Uint8Array(1);
  let attempts = 0;
  for (let made = 0; made < n;) {
    if (++attempts > maxAttemptsPerSample * Math.max(n, 1)) throw new Error(`CoDA kept only ${made} of ${attempts} mixes inside their region; the data's regions are too thin to swap in`);
    // A region with probability proportional to its rows, then two rows of it.
    let pick = Math.floor(rng.random() * usableRows);
    let r = usable[0];
    for (const u of usable) { if (pick < byRegion[u].length) { r = u; break; } pick -= byRegion[u].length; }
    const rows = byRegion[r];
    const i = rows[Math.floor(rng.random() * rows.length)];
    const j = rows[Math.floor(rng.random() * rows.length)];
    if (i === j) continue;
    o1.set(data.observations.subarray(i * O, (i + 1) * O));
    a1.set(data.actions.subarray(i * A, (i + 1) * A));
    n1.set(data.nextObservations.subarray(i * O, (i + 1) * O));
    const ps = parts[r];
    // A random non-empty proper subset of the parts, as a bit set.
    const subset = 1 + Math.floor(rng.random() * ((1 << ps.length) - 2));
    ps.forEach((p, b) => {
      if (!((subset >> b) & 1)) return;
      for (const k of p.obs) o1[k] = data.observations[j * O + k];
      for (const k of p.action) a1[k] = data.actions[j * A + k];
      for (const k of p.next) n1[k] = data.nextObservations[j * O + k];
    });
    def.causal.region(o1, a1, 1, region1);
    if (region1[0] !== r) continue;
    out.observations.set(o1, made * O);
    out.actions.set(a1, made * A);
    out.nextObservations.set(n1, made * O);
    made++;
  }
  out.attemptsPerSample = attempts / Math.max(n, 1);
  return out;
}
