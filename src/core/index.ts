/** The core library: spaces, seeding, contexts, definitions, sessions and snapshots. */
export * from './errors.js';
export * from './rng.js';
export * from './spaces.js';
export * from './context.js';
export * from './definition.js';
export * from './session.js';
export * from './snapshot.js';
export * from './batch-input.js';
