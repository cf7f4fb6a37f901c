/**
 * The shared-memory handshake between a physics dynamics and its worker threads. The control block is an Int32Array:
 * the dynamics bumps SEQ after writing CMD (and COUNT and the inputs); the worker answers by storing the same number in
 * DONE, or a non-zero ERR when its kernel threw.
 */

export const SEQ = 0;
export const DONE = 1;
export const CMD = 2;
export const COUNT = 3;
export const ERR = 4;
export const CTRL_SIZE = 5;

export const CMD_STEP = 1;
/** Leave the wait loop and take new buffers from a message (the batch outgrew them). */
export const CMD_YIELD = 2;
export const CMD_EXIT = 3;

/** Input and output rows of one worker's slice. */
export interface WorkerBuffers {
  states: Float64Array;
  actions: Float64Array;
  contexts: Float64Array;
  next: Float64Array;
}

/** What a worker is started with (workerData). */
export interface WorkerInit {
  envId: string;
  options: Record<string, string | number | boolean>;
  ctrl: Int32Array;
  buffers: WorkerBuffers;
}
