/** Shared neural-network helpers (TF.js): backend selection, ensemble parameters, layers, Adam, schedules. */
export { ensureBackend, tf, type BackendInfo, type BackendName } from './backend.js';
export { matMul2d, setExplicitTransposeGrad, fusedDense3d, type FusedActivation } from './matmul.js';
export { EnsembleParams, linearInit, constantInit, type StackedParam, type Initializer } from './params.js';
export { declareDense, dense, declareMlp, mlp } from './layers.js';
export { Adam, DEFAULT_ADAM, type AdamConfig } from './adam.js';
export { persimSchedule, learningRateAt, type StepSchedule } from './schedule.js';
