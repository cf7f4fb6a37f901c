/**
 * The datasets directory jobs write to: for each dataset id, `<id>.npz` (numpy), `<id>.h5` (D4RL-style HDF5) and
 * `<id>.json`, a small sidecar that describes the dataset for listings without opening the data files. The sidecar is
 * written last (atomically), so a dataset is listed only once both files are complete.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TwinGymError } from '../core/errors.js';
import { datasetFingerprint, type Dataset } from '../data/dataset.js';
import { loadNpz, saveHdf5, saveNpz } from '../data/files.js';
import { isValidModelId, namesIn } from '../models/registry.js';

/** The file formats every stored dataset has. */
export const DATASET_FORMATS = ['npz', 'hdf5'] as const;
/** One of the stored file formats. */
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/** What a listing reports about a stored dataset (wire names). */
export interface DatasetEntry {
  id: string;
  env_id: string;
  /** Transitions. */
  rows: number;
  policy: string;
  /** ISO 8601. */
  created: string;
  files: DatasetFormat[];
  agents: number;
  seed: number;
  env_options: Record<string, string | number | boolean>;
  fingerprint: string;
}

/** True for ids that are safe file names (the model id rules). */
export function isValidDatasetId(id: string): boolean {
  return isValidModelId(id);
}

/** Throws invalid_argument explaining the id rules when `id` breaks them. */
export function checkDatasetId(id: string, path: string): void {
  if (!isValidDatasetId(id)) {
    throw new TwinGymError('invalid_argument', `dataset id "${id}" is invalid: use 1-128 letters, digits, '.', '_' or '-', not starting with '.'`, { path });
  }
}

/** The path of one file of a dataset. */
export function datasetFile(dir: string, id: string, format: DatasetFormat | 'json'): string {
  return join(dir, `${id}.${format === 'hdf5' ? 'h5' : format}`);
}

/** A stored dataset's sidecar, or null when it does not exist (or is unreadable). */
export async function readDatasetEntry(dir: string, id: string): Promise<DatasetEntry | null> {
  if (!isValidDatasetId(id)) return null;
  try {
    const e = JSON.parse(await readFile(datasetFile(dir, id, 'json'), 'utf8')) as DatasetEntry & { format?: string };
    if (e.format !== 'twingym-dataset-entry' || e.id !== id) return null;
    const { format: _format, ...entry } = e;
    return entry;
  } catch {
    return null;
  }
}

/** Every complete dataset of the directory, newest first. */
export async function listDatasets(dir: string): Promise<DatasetEntry[]> {
  const names = await namesIn(dir);
  const out: DatasetEntry[] = [];
  for (const name of names) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const e = await readDatasetEntry(dir, name.slice(0, -'.json'.length));
    if (e) out.push(e);
  }
  return out.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.id < b.id ? -1 : 1));
}

/** A stored dataset's entry, or unknown_dataset naming the stored ids and the parameter that asked for it. */
export async function requireDataset(dir: string, id: string, path: string): Promise<DatasetEntry> {
  const e = await readDatasetEntry(dir, id);
  if (e) return e;
  const known = (await listDatasets(dir)).map((d) => d.id);
  throw new TwinGymError('unknown_dataset', `no dataset "${id}" in the server's datasets; stored: ${known.join(', ') || 'none (run a collect job first)'}`, { path, dataset: id, known });
}

/** Loads a stored dataset (from its .npz, which holds float64 data exactly). */
export async function loadStoredDataset(dir: string, id: string): Promise<Dataset> {
  return loadNpz(datasetFile(dir, id, 'npz'));
}

/** Writes a dataset as .npz and .h5, then its sidecar; returns the sidecar entry. */
export async function saveStoredDataset(dir: string, id: string, d: Dataset): Promise<DatasetEntry> {
  checkDatasetId(id, 'dataset');
  await mkdir(dir, { recursive: true });
  await saveNpz(d, datasetFile(dir, id, 'npz'));
  await saveHdf5(d, datasetFile(dir, id, 'hdf5'));
  const entry: DatasetEntry = {
    id, env_id: d.envId, rows: d.n, policy: d.policy, created: new Date().toISOString(), files: [...DATASET_FORMATS],
    agents: d.numAgents, seed: d.seed, env_options: { ...d.envOptions }, fingerprint: datasetFingerprint(d),
  };
  const path = datasetFile(dir, id, 'json');
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, `${JSON.stringify({ format: 'twingym-dataset-entry', ...entry }, null, 2)}\n`);
  await rename(tmp, path);
  return entry;
}

/** Removes a dataset's files and any temporary files a stopped writer left (a cancelled collect job). */
export async function removeDatasetFiles(dir: string, id: string): Promise<void> {
  const names = await namesIn(dir);
  const mine = new Set(['npz', 'h5', 'json'].map((ext) => `${id}.${ext}`));
  await Promise.all(names.filter((n) => mine.has(n) || [...mine].some((m) => n.startsWith(`${m}.tmp-`))).map((n) => rm(join(dir, n), { force: true })));
}
