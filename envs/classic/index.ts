/** Registry entries of the classic (closed-form) environments. */
import type { EnvEntry } from '../../src/core/definition.js';
import { mountainCarEntry } from './mountain-car.js';

export const classicEntries: readonly EnvEntry[] = [mountainCarEntry];
