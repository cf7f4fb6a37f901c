/** The protocol package: everything a client or server needs to speak TwinGym protocol v1. */
export * from './version.js';
export * from './errors.js';
export * from './tensor.js';
export * from './frame.js';
export * from './spaces.js';
export * from './messages.js';
export * from './schema-types.js';
export * from './vector-json.js';
