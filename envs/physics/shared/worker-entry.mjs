// Entry of a physics worker thread: workers do not inherit the parent's TypeScript loader, so register tsx here. A
// failure to load is reported through the shared control block, which the parent polls while it waits.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

try {
  register();
  await import('./worker.ts');
} catch (e) {
  Atomics.store(workerData.ctrl, 4, 1);
  Atomics.notify(workerData.ctrl, 1);
  throw e;
}
