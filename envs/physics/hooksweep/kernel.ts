/** The HookSweep2 physics kernel: one cannon-es world that every instance of a slice passes through in turn. */
import type { KernelLayout, PhysicsKernel } from '../shared/kernel.js';
import { HOOK_ACTION_SIZE, HOOK_STATE_SIZE } from './layout.js';
import { HookWorld, type HookPhysics } from './world.js';

/** Context row layout: box1_mass_scale, box2_mass_scale, friction. */
export const HOOK_CONTEXT_SIZE = 3;

/** Reads one context row as the world's physical parameters. */
export function hookPhysicsOf(contexts: Float64Array, offset: number): HookPhysics {
  return { box1MassScale: contexts[offset], box2MassScale: contexts[offset + 1], friction: contexts[offset + 2] };
}

/** Steps HookSweep2 states. */
export class HookKernel implements PhysicsKernel {
  readonly layout: KernelLayout = { stateSize: HOOK_STATE_SIZE, actionSize: HOOK_ACTION_SIZE, contextSize: HOOK_CONTEXT_SIZE };
  readonly world = new HookWorld();

  step(states: Float64Array, actions: Float64Array, contexts: Float64Array, next: Float64Array, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      this.world.setPhysics(hookPhysicsOf(contexts, i * HOOK_CONTEXT_SIZE));
      this.world.step(states, i * HOOK_STATE_SIZE, actions, i * HOOK_ACTION_SIZE, next, i * HOOK_STATE_SIZE);
    }
  }

  readContexts(contexts: Float64Array, n: number, out: Float64Array): void {
    for (let i = 0; i < n; i++) {
      const o = i * HOOK_CONTEXT_SIZE;
      this.world.setPhysics(hookPhysicsOf(contexts, o));
      const p = this.world.readPhysics();
      out[o] = p.box1MassScale;
      out[o + 1] = p.box2MassScale;
      out[o + 2] = p.friction;
    }
  }
}
