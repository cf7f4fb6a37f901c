/**
 * MOCODA's data side: empirical datasets, sampling distributions (EMP, DYNA, RAND, MOCODA, MOCODA-U, MOCODA-P, CoDA),
 * relabelling, augmented datasets, the true-dynamics error of generated transitions and HookSweep2's two-box
 * goal-region coverage. The models and parent distribution live in src/models/mocoda.
 */
export * from './common.js';
export * from './empirical.js';
export * from './relabel.js';
export * from './kde.js';
export * from './coda.js';
export * from './distributions.js';
export * from './augment.js';
export * from './true-error.js';
export * from './coverage.js';
export * from './evaluate.js';
