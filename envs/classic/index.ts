/** Registry entries of the classic (closed-form) environments. */
import type { EnvEntry } from '../../src/core/definition.js';
import { cartPoleEntry } from './cart-pole.js';
import { mountainCarContinuousEntry } from './mountain-car-continuous.js';
import { mountainCarEntry } from './mountain-car.js';
import { navigation2dEntry } from './navigation2d.js';

export const classicEntries: readonly EnvEntry[] = [mountainCarEntry, mountainCarContinuousEntry, cartPoleEntry, navigation2dEntry];
