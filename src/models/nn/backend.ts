/**
 * TF.js backend selection. The wasm backend is the default because it installs offline and is 20-80x faster than the
 * pure-JS cpu backend on this machine kind (REFERENCE.md 7). tfjs-node is used only when it happens to be installed:
 * it is looked up by name at run time and never imported statically, so its absence can never break a build or an
 * import. The cpu backend is the last resort. Every caller goes through `ensureBackend` and can report the result.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';

/** The backends TwinGym knows how to select. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** Which backend is in use and why. */
export interface BackendInfo {
  name: BackendName;
  /** Why it was chosen (or what was tried before it). */
  reason: string;
}

let current: Promise<BackendInfo> | null = null;

function tfjsNodeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

async function select(preferred: BackendName | 'auto'): Promise<BackendInfo> {
  const tried: string[] = [];
  const order: BackendName[] = preferred === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [preferred, 'wasm', 'cpu'];
  for (const name of order) {
    if (name === 'tensorflow') {
      if (!tfjsNodeInstalled()) { tried.push('tfjs-node not installed'); continue; }
      try {
        // A computed specifier keeps bundlers and tsc from resolving an optional package.
        const spec = ['@tensorflow', 'tfjs-node'].join('/');
        await import(spec);
      } catch (e) {
        tried.push(`tfjs-node failed to load: ${(e as Error).message}`);
        continue;
      }
    }
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return { name, reason: tried.length ? `${tried.join('; ')}; using ${name}` : `using ${name}` };
      }
      tried.push(`${name} backend refused to initialise`);
    } catch (e) {
      tried.push(`${name} failed: ${(e as Error).message}`);
    }
  }
  throw new Error(`no TF.js backend could be initialised: ${tried.join('; ')}`);
}

/**
 * Initialises the TF.js backend once per process and returns which one is in use. `preferred` (or the environment
 * variable TWINGYM_TF_BACKEND) forces an order; the default tries tfjs-node, then wasm, then cpu. Later calls return
 * the first call's result, because switching backends mid-process would strand tensors on the old one.
 */
export function ensureBackend(preferred?: BackendName | 'auto'): Promise<BackendInfo> {
  if (!current) {
    const env = process.env.TWINGYM_TF_BACKEND as BackendName | 'auto' | undefined;
    current = select(preferred ?? env ?? 'auto');
  }
  return current;
}

export { tf };
