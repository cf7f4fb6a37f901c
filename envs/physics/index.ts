/** Registry entries of the cannon-es physics environments. */
import type { EnvEntry } from '../../src/core/definition.js';
import { halfCheetahEntry } from './cheetah/definition.js';
import { hookSweep2Entry } from './hooksweep/definition.js';

export const physicsEntries: readonly EnvEntry[] = [halfCheetahEntry, hookSweep2Entry];
