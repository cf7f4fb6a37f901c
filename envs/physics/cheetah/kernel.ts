/** The HalfCheetah physics kernel: one cannon-es world that every instance of a slice passes through in turn. */
import type { KernelLayout, PhysicsKernel } from '../shared/kernel.js';
import { CHEETAH_STATE_SIZE } from './kinematics.js';
import { NUM_JOINTS } from './model.js';
import { CheetahWorld, DEFAULT_CHEETAH_SIM, type CheetahPhysics, type CheetahSimSettings } from './world.js';

/** Context row layout: mass_scale, damping_scale, friction, gravity. */
export const CHEETAH_CONTEXT_SIZE = 4;

/** Simulation settings selected by the env options (substeps: world.step calls per 0.01 s; 2 by default). */
export function cheetahSimSettings(options: Readonly<Record<string, string | number | boolean>>): CheetahSimSettings {
  const substeps = Number(options.substeps ?? DEFAULT_CHEETAH_SIM.substeps);
  return { ...DEFAULT_CHEETAH_SIM, substeps };
}

/** Reads one context row as the world's physical parameters. */
export function cheetahPhysicsOf(contexts: Float64Array, offset: number): CheetahPhysics {
  return { massScale: contexts[offset], dampingScale: contexts[offset + 1], friction: contexts[offset + 2], gravity: contexts[offset + 3] };
}

/** Steps cheetah states. Instances share one world: restoring a state is exact, so sharing changes no number. */
export class CheetahKernel implements PhysicsKernel {
  readonly layout: KernelLayout = { stateSize: CHEETAH_STATE_SIZE, actionSize: NUM_JOINTS, contextSize: CHEETAH_CONTEXT_SIZE };
  readonly world: CheetahWorld;

  constructor(settings: Readonly<CheetahSimSettings> = DEFAULT_CHEETAH_SIM) {
    this.world = new CheetahWorld(settings);
  }

  step(states: Float64Array, actions: Float64Array, contexts: Float64Array, next: Float64Array, from: number, to: number): void {
    const S = CHEETAH_STATE_SIZE;
    for (let i = from; i < to; i++) {
      this.world.setPhysics(cheetahPhysicsOf(contexts, i * CHEETAH_CONTEXT_SIZE));
      this.world.step(states, i * S, actions, i * NUM_JOINTS, next, i * S);
    }
  }

  readContexts(contexts: Float64Array, n: number, out: Float64Array): void {
    for (let i = 0; i < n; i++) {
      const o = i * CHEETAH_CONTEXT_SIZE;
      this.world.setPhysics(cheetahPhysicsOf(contexts, o));
      const p = this.world.readPhysics();
      out[o] = p.massScale;
      out[o + 1] = p.dampingScale;
      out[o + 2] = p.friction;
      out[o + 3] = p.gravity;
    }
  }
}
