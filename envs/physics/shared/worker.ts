/**
 * A physics worker thread: builds the environment's kernel, answers DONE = 0 when ready, then steps its slice each time
 * the parent bumps SEQ. It blocks in Atomics.wait between commands, leaving the loop only to take larger buffers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { kernelFactories } from '../kernels.js';
import { CMD, CMD_EXIT, CMD_STEP, CMD_YIELD, COUNT, DONE, ERR, SEQ, type WorkerBuffers, type WorkerInit } from './protocol.js';

const init = workerData as WorkerInit;
const ctrl = init.ctrl;
let buffers: WorkerBuffers = init.buffers;

function answer(seq: number): void {
  Atomics.store(ctrl, DONE, seq);
  Atomics.notify(ctrl, DONE);
}

function fail(seq: number, error: unknown): void {
  Atomics.store(ctrl, ERR, 1);
  answer(seq);
  throw error;
}

const factory = kernelFactories[init.envId];
if (!factory) fail(0, new Error(`no physics kernel for ${init.envId}`));
const kernel = factory(init.options);

/** Serves commands until told to yield (returns true) or exit (returns false). */
function serve(seen: number): boolean {
  for (;;) {
    Atomics.wait(ctrl, SEQ, seen);
    seen = Atomics.load(ctrl, SEQ);
    const cmd = Atomics.load(ctrl, CMD);
    if (cmd === CMD_EXIT) return false;
    if (cmd === CMD_YIELD) {
      answer(seen);
      return true;
    }
    if (cmd === CMD_STEP) {
      try {
        const n = Atomics.load(ctrl, COUNT);
        kernel.step(buffers.states, buffers.actions, buffers.contexts, buffers.next, 0, n);
      } catch (e) {
        fail(seen, e);
      }
    }
    answer(seen);
  }
}

parentPort!.on('message', (m: { buffers: WorkerBuffers; seq: number }) => {
  buffers = m.buffers;
  answer(m.seq);
  if (!serve(m.seq)) process.exit(0);
});

answer(0);
if (!serve(0)) process.exit(0);
