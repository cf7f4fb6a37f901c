/**
 * A physics kernel: the part of a physics environment that owns cannon-es worlds and steps a slice of a batch. The same
 * kernel class runs on the session's thread and in worker threads, so both paths compute identical numbers.
 */

/** Sizes of one batch row in each array. */
export interface KernelLayout {
  stateSize: number;
  actionSize: number;
  contextSize: number;
}

/** Steps instances and reads back the contexts its worlds actually carry. */
export interface PhysicsKernel {
  readonly layout: KernelLayout;
  /** Computes next rows [from, to) from the same rows of states, actions and contexts. */
  step(states: Float64Array, actions: Float64Array, contexts: Float64Array, next: Float64Array, from: number, to: number): void;
  /** Applies each context row to a world and writes what the bodies then carry into the same row of out. */
  readContexts(contexts: Float64Array, n: number, out: Float64Array): void;
}

/** Builds a kernel for an environment's options (worker threads rebuild it from the same plain options). */
export type KernelFactory = (options: Readonly<Record<string, string | number | boolean>>) => PhysicsKernel;
