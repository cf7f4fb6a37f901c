/** Kernel factories by environment id: how worker threads rebuild an environment's physics from plain options. */
import { CheetahKernel, cheetahSimSettings } from './cheetah/kernel.js';
import { HookKernel } from './hooksweep/kernel.js';
import type { KernelFactory } from './shared/kernel.js';

export const kernelFactories: Readonly<Record<string, KernelFactory>> = {
  'HalfCheetah-v0': (options) => new CheetahKernel(cheetahSimSettings(options)),
  'HookSweep2-v0': () => new HookKernel(),
};
