/**
 * The body of the PerSim personalisation thread (see personalize-worker.ts): loads models from the registry (a few
 * cached, by id and creation time), fits a new agent's codes with `personalize`, and replies with the codes or the
 * error. Calls are handled one after another, so a model is never freed while a fit still uses it.
 */
import { parentPort } from 'node:worker_threads';
import { TwinGymError } from '../../core/errors.js';
import { readManifest } from '../registry.js';
import { loadPersim, type PersimModel } from './model.js';
import { personalize } from './personalize.js';
import type { PersonalizeWorkerCall, PersonalizeWorkerError, PersonalizeWorkerReply } from './personalize-worker.js';

const port = parentPort!;
/** Models kept loaded: personalising is usually repeated on the same few models, and each holds its weights. */
const MAX_CACHED = 4;
const cache = new Map<string, { created: string; model: PersimModel }>();

/** The model as it is on disk now, loading it when the cached copy is missing or was replaced. */
async function model(registryDir: string, id: string): Promise<{ created: string; model: PersimModel }> {
  const key = `${registryDir}\u0000${id}`;
  const manifest = await readManifest(registryDir, id);
  const created = manifest?.created ?? '';
  const hit = cache.get(key);
  if (hit && hit.created === created) {
    // Re-inserted so the map's order is least recently used first.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  if (hit) {
    cache.delete(key);
    hit.model.dispose();
  }
  const entry = { created, model: await loadPersim(registryDir, id) };
  cache.set(key, entry);
  while (cache.size > MAX_CACHED) {
    const [oldest, old] = cache.entries().next().value!;
    cache.delete(oldest);
    old.model.dispose();
  }
  return entry;
}

function serialize(e: unknown): PersonalizeWorkerError {
  if (e instanceof TwinGymError) return { name: e.name, message: e.message, stack: e.stack, code: e.code, details: e.details };
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

async function handle(call: PersonalizeWorkerCall): Promise<void> {
  let reply: PersonalizeWorkerReply;
  try {
    const { created, model: m } = await model(call.registryDir, call.model);
    const fitted = personalize(m.network, call.data, call.options);
    reply = { id: call.id, ok: true, result: { ...fitted, created } };
  } catch (e) {
    reply = { id: call.id, ok: false, error: serialize(e) };
  }
  port.postMessage(reply, reply.ok ? [reply.result.codes.buffer as ArrayBuffer] : []);
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (call: PersonalizeWorkerCall) => {
  queue = queue.then(() => handle(call));
});
