/**
 * HookSweep2's local causal structure as MOCODA uses it (REFERENCE.md 1.5). Roots: gripper, box 1, box 2, action;
 * children: next gripper, box 1, box 2. Everywhere the paper's mask applies, except when the boxes' xy positions are
 * within 0.05 in L1 distance (touching), where everything may depend on everything. The region test is the paper's
 * heuristic: it ignores whether the hook touches a box.
 */
import type { CausalSpec } from '../../../protocol/ts/spaces.js';
import type { CausalStructure } from '../../../src/core/definition.js';
import { HOOK_OBS_SIZE, O_BOX1, O_BOX2 } from './layout.js';

const ROOTS = 4;
const CHILDREN = 3;
const APART: readonly (readonly number[])[] = [[1, 1, 1], [1, 1, 0], [1, 0, 1], [1, 1, 1]];
const TOUCHING: readonly (readonly number[])[] = [[1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 1]];
/** Boxes closer than this in L1 xy distance count as interacting. */
export const TOUCH_DISTANCE = 0.05;

/** 1 when the boxes of the observation at obs[o ..] are in the interacting region. */
export function boxesTouching(obs: Float64Array, o: number): boolean {
  return Math.abs(obs[o + O_BOX1] - obs[o + O_BOX2]) + Math.abs(obs[o + O_BOX1 + 1] - obs[o + O_BOX2 + 1]) < TOUCH_DISTANCE;
}

/** The causal structure object of the definition. */
export const hookCausal: CausalStructure = {
  spec(): CausalSpec {
    const roots = [
      { name: 'grip', source: 'obs' as const, indices: [0, 1, 2, 3, 4, 5] },
      { name: 'box1', source: 'obs' as const, indices: [6, 7, 8, 9, 10] },
      { name: 'box2', source: 'obs' as const, indices: [11, 12, 13, 14, 15] },
      { name: 'action', source: 'action' as const, indices: [0, 1, 2, 3] },
    ];
    const children = [
      { name: 'grip', indices: [0, 1, 2, 3, 4, 5] },
      { name: 'box1', indices: [6, 7, 8, 9, 10] },
      { name: 'box2', indices: [11, 12, 13, 14, 15] },
    ];
    return {
      roots,
      children,
      global_mask: TOUCHING.map((r) => [...r]),
      local_masks: [
        {
          region: 'apart',
          description: `boxes at L1 xy distance >= ${TOUCH_DISTANCE}: each box moves with the gripper, the action and itself`,
          mask: APART.map((r) => [...r]),
          parent_sets: [['grip', 'action'], ['grip', 'box1', 'action'], ['grip', 'box2', 'action']],
        },
        {
          region: 'touching',
          description: `boxes at L1 xy distance < ${TOUCH_DISTANCE}: the boxes may push each other`,
          mask: TOUCHING.map((r) => [...r]),
          parent_sets: [['grip', 'box1', 'box2', 'action']],
        },
      ],
    };
  },
  mask(obs, _actions, n, out) {
    for (let i = 0; i < n; i++) {
      const m = boxesTouching(obs, i * HOOK_OBS_SIZE) ? TOUCHING : APART;
      for (let r = 0; r < ROOTS; r++) for (let k = 0; k < CHILDREN; k++) out[i * ROOTS * CHILDREN + r * CHILDREN + k] = m[r][k];
    }
  },
  region(obs, _actions, n, out) {
    for (let i = 0; i < n; i++) out[i] = boxesTouching(obs, i * HOOK_OBS_SIZE) ? 1 : 0;
  },
};
