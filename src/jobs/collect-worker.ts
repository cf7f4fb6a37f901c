/**
 * The body of a collect job's worker (see collect.ts): collects, truncates to the asked steps, writes the dataset
 * files and the sidecar, and reports progress (throttled), the entry or the error as messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { collectDataset } from '../data/collect.js';
import { TwinGymError } from '../core/errors.js';
import { type CollectWorkerData, type CollectWorkerMessage } from './collect.js';
import { saveStoredDataset } from './datasets.js';

const data = workerData as CollectWorkerData;
const post = (m: CollectWorkerMessage) => parentPort!.postMessage(m);
let last = 0;

try {
  // maxSteps stops each trajectory during collection instead of cutting it afterwards, so a short request on a
  // long-episode env (HalfCheetah's 1000 steps) costs only the steps it keeps.
  const d = collectDataset({
    envId: data.envId,
    maxSteps: data.steps ?? undefined,
    numAgents: data.agents,
    policy: data.policy,
    seed: data.seed,
    onProgress: (active, step) => {
      const now = Date.now();
      if (now - last >= 100 || active === 0) {
        last = now;
        post({ type: 'progress', step, active });
      }
    },
  });
  const entry = await saveStoredDataset(data.datasetsDir, data.id, d);
  post({ type: 'done', entry });
} catch (e) {
  if (e instanceof TwinGymError) post({ type: 'error', message: e.message, code: e.code, details: e.details });
  else post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
