/** Registry entries of the cannon-es physics environments. */
import type { EnvEntry } from '../../src/core/definition.js';

export const physicsEntries: readonly EnvEntry[] = [];
