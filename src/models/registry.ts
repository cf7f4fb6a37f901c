/**
 * The model registry: a directory holding one sub-directory per model id, each with manifest.json and weights.bin
 * (float32, little-endian, parameters in manifest order, each stacked over ensemble members). Writes are atomic: a
 * model is assembled in a hidden ".tmp-" directory and renamed into place, and listing skips hidden directories and
 * anything without a readable manifest, so a half-written model is never listed or loaded.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StackedParam } from './nn/params.js';

/** Where each parameter lives in weights.bin. */
export interface WeightEntry {
  name: string;
  /** [M, ...member shape]. */
  shape: number[];
  /** Offset and length in float32 elements. */
  offset: number;
  length: number;
}

/** The fields every model manifest has; kinds add their own. */
export interface ModelManifestBase {
  format: 'twingym-model';
  version: 1;
  id: string;
  /** Model kind, e.g. "persim", "persim-unfactorized". */
  kind: string;
  env: { id: string; options: Record<string, string | number | boolean> };
  /** ISO-8601 creation time. */
  created: string;
  description: string;
  weights: WeightEntry[];
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True for ids that are safe directory names (letters, digits, '.', '_', '-'; no leading dot). */
export function isValidModelId(id: string): boolean {
  return ID_PATTERN.test(id) && !id.includes('..');
}

/** Throws an Error explaining the id rules when `id` breaks them. */
export function checkModelId(id: string): void {
  if (!isValidModelId(id)) throw new Error(`model id "${id}" is invalid: use 1-128 letters, digits, '.', '_' or '-', not starting with '.'`);
}

/** Serialises stacked parameters into one float32 buffer and the index entries describing it. */
export function packWeights(params: readonly StackedParam[]): { entries: WeightEntry[]; bytes: Uint8Array } {
  const total = params.reduce((s, p) => s + p.data.length, 0);
  const all = new Float32Array(total);
  const entries: WeightEntry[] = [];
  let off = 0;
  for (const p of params) {
    all.set(p.data, off);
    entries.push({ name: p.name, shape: [...p.shape], offset: off, length: p.data.length });
    off += p.data.length;
  }
  return { entries, bytes: new Uint8Array(all.buffer) };
}

/** The inverse of packWeights; checks that every entry lies inside the buffer and matches its shape. */
export function unpackWeights(entries: readonly WeightEntry[], bytes: Uint8Array): StackedParam[] {
  if (bytes.byteLength % 4 !== 0) throw new Error('weights.bin is not a whole number of float32 values');
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return entries.map((e) => {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (size !== e.length || e.offset < 0 || e.offset + e.length > all.length) throw new Error(`weights.bin: parameter ${e.name} is out of range or mis-shaped`);
    return { name: e.name, shape: [...e.shape], data: all.slice(e.offset, e.offset + e.length) };
  });
}

/**
 * Writes a model atomically: manifest (with its weights index filled in) and weights into a hidden temporary
 * directory, then a rename. An existing model with the same id is replaced only when `overwrite` is set; it is moved
 * aside first and removed after the new one is in place.
 */
export async function writeModel<M extends ModelManifestBase>(registryDir: string, manifest: Omit<M, 'weights'>, params: readonly StackedParam[], overwrite = false): Promise<string> {
  checkModelId(manifest.id);
  await mkdir(registryDir, { recursive: true });
  const final = join(registryDir, manifest.id);
  const exists = await stat(final).then(() => true, () => false);
  if (exists && !overwrite) throw new Error(`model ${manifest.id} already exists in ${registryDir}; choose another id or overwrite it`);
  const tmp = join(registryDir, `.tmp-${manifest.id}-${process.pid}-${Date.now()}`);
  await mkdir(tmp);
  try {
    const { entries, bytes } = packWeights(params);
    await writeFile(join(tmp, 'weights.bin'), bytes);
    await writeFile(join(tmp, 'manifest.json'), `${JSON.stringify({ ...manifest, weights: entries }, null, 2)}\n`);
    let old: string | null = null;
    if (exists) {
      old = join(registryDir, `.old-${manifest.id}-${process.pid}-${Date.now()}`);
      await rename(final, old);
    }
    await rename(tmp, final);
    if (old) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return final;
}

/** Reads and minimally validates a model's manifest; null when the model does not exist or is unreadable. */
export async function readManifest<M extends ModelManifestBase = ModelManifestBase>(registryDir: string, id: string): Promise<M | null> {
  if (!isValidModelId(id)) return null;
  try {
    const m = JSON.parse(await readFile(join(registryDir, id, 'manifest.json'), 'utf8')) as M;
    if (m.format !== 'twingym-model' || m.id !== id || !Array.isArray(m.weights)) return null;
    return m;
  } catch {
    return null;
  }
}

/** Reads a model's stacked parameters. */
export async function readModelWeights(registryDir: string, manifest: ModelManifestBase): Promise<StackedParam[]> {
  const bytes = new Uint8Array(await readFile(join(registryDir, manifest.id, 'weights.bin')));
  return unpackWeights(manifest.weights, bytes);
}

/** The entry names of a directory, or none when it cannot be read (a registry or data directory not made yet). */
export async function namesIn(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** Every complete model in the registry (hidden and unreadable directories skipped), sorted by id. */
export async function listModels<M extends ModelManifestBase = ModelManifestBase>(registryDir: string): Promise<M[]> {
  const names = await namesIn(registryDir);
  const out: M[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const m = await readManifest<M>(registryDir, name);
    if (m) out.push(m);
  }
  return out;
}
