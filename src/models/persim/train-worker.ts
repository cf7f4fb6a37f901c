/**
 * The body of a PerSim training worker (see background.ts): runs one training job off the main thread and reports
 * progress, the result or the error as messages. Cancellation is a flag in shared memory that the training loop
 * polls between optimizer steps, so it takes effect within one step even though the loop never yields.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runPersimTraining } from './job.js';
import type { TrainingWorkerData, TrainingEvent } from './background.js';

const data = workerData as TrainingWorkerData;
const flag = new Int32Array(data.cancel);
const post = (e: TrainingEvent) => parentPort!.postMessage(e);
let lastStepPost = 0;

try {
  const outcome = await runPersimTraining({
    ...data.job,
    onEpoch: (report) => post({ type: 'epoch', report }),
    onStep: (step, steps, epoch) => {
      const now = Date.now();
      // Step events are throttled: a fast model takes hundreds of steps per second.
      if (now - lastStepPost >= 250 || step === steps) {
        lastStepPost = now;
        post({ type: 'step', step, steps, epoch, epochs: data.job.hyper.epochs });
      }
    },
    shouldStop: () => Atomics.load(flag, 0) === 1,
  });
  post({ type: 'done', path: outcome.path, metrics: outcome.metrics });
  outcome.model.dispose();
} catch (e) {
  post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
