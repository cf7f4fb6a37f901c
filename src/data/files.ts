/**
 * Dataset files: NPZ (a zip of .npy arrays, for numpy users) and D4RL-style HDF5 (for h5py, d3rlpy and Minari users).
 * Both hold the same keys:
 *   observations [N, O], actions ([N] int64 for discrete actions, [N, A] float otherwise), rewards [N],
 *   next_observations [N, O], terminals [N] and timeouts [N] (D4RL's names for terminated and truncated),
 *   agent_ids [N] int32, contexts [N, C] (each row's context), agent_contexts [numAgents, C], test_agents [k] int32,
 *   and the header as JSON (NPZ: a 0-d unicode array "metadata", plus "checksums", CRC-32 of each array entry; HDF5:
 *   root attribute "metadata", plus env_id and policy as plain attributes). NPZ archives are written and read with
 *   fflate.
 * Floats are float64 by default so an import reproduces the collected data (and its fingerprint) exactly; float32
 * (D4RL's own choice) is an option. Flags are numpy bool in NPZ and uint8 in HDF5 (h5py reads both as 0/1 arrays).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import type { Dataset } from './dataset.js';
import { validateDataset } from './dataset.js';
import { decodeNpy, encodeNpy, type NpyArray } from './npy.js';

/** Export options. */
export interface ExportOptions {
  /** Float width of observations, actions, rewards and contexts (default f64). */
  precision?: 'f64' | 'f32';
}

interface Header {
  format: 'twingym-dataset';
  version: 1;
  env_id: string;
  env_options: Record<string, string | number | boolean>;
  policy: string;
  policy_description: string;
  seed: number;
  obs_size: number;
  action_size: number;
  discrete_actions: number;
  context_names: string[];
  num_agents: number;
}

interface Column {
  name: string;
  shape: number[];
  data: Float64Array | Float32Array | Int32Array | BigInt64Array | Uint8Array;
  bool?: boolean;
}

function headerOf(d: Dataset): Header {
  return {
    format: 'twingym-dataset', version: 1, env_id: d.envId, env_options: d.envOptions, policy: d.policy,
    policy_description: d.policyDescription, seed: d.seed, obs_size: d.obsSize, action_size: d.actionSize,
    discrete_actions: d.discreteActions, context_names: d.contextNames, num_agents: d.numAgents,
  };
}

function columnsOf(d: Dataset, precision: 'f64' | 'f32'): Column[] {
  validateDataset(d);
  const f = (a: Float64Array) => (precision === 'f32' ? Float32Array.from(a) : a);
  const C = d.contextNames.length;
  const rowContexts = new Float64Array(d.n * C);
  for (let i = 0; i < d.n; i++) rowContexts.set(d.agentContexts.subarray(d.agentIds[i] * C, (d.agentIds[i] + 1) * C), i * C);
  const actions: Column = d.discreteActions > 0
    ? { name: 'actions', shape: [d.n], data: BigInt64Array.from(d.actions, (a) => BigInt(a)) }
    : { name: 'actions', shape: [d.n, d.actionSize], data: f(d.actions) };
  return [
    { name: 'observations', shape: [d.n, d.obsSize], data: f(d.observations) },
    actions,
    { name: 'rewards', shape: [d.n], data: f(d.rewards) },
    { name: 'next_observations', shape: [d.n, d.obsSize], data: f(d.nextObservations) },
    { name: 'terminals', shape: [d.n], data: d.terminals, bool: true },
    { name: 'timeouts', shape: [d.n], data: d.timeouts, bool: true },
    { name: 'agent_ids', shape: [d.n], data: d.agentIds },
    { name: 'contexts', shape: [d.n, C], data: f(rowContexts) },
    { name: 'agent_contexts', shape: [d.numAgents, C], data: f(d.agentContexts) },
    { name: 'test_agents', shape: [d.testAgents.length], data: Int32Array.from(d.testAgents) },
  ];
}

function toF64(a: ArrayLike<number> | BigInt64Array): Float64Array {
  return a instanceof BigInt64Array ? Float64Array.from(a, (x) => Number(x)) : Float64Array.from(a as ArrayLike<number>);
}

function datasetFrom(header: Header, get: (name: string) => { data: ArrayLike<number> | BigInt64Array; shape: number[] }): Dataset {
  if (header.format !== 'twingym-dataset') throw new Error('the file has no TwinGym dataset header (metadata)');
  const obs = get('observations');
  const n = obs.shape[0];
  const d: Dataset = {
    envId: header.env_id,
    envOptions: header.env_options,
    policy: header.policy,
    policyDescription: header.policy_description,
    seed: header.seed,
    obsSize: header.obs_size,
    actionSize: header.action_size,
    discreteActions: header.discrete_actions,
    contextNames: header.context_names,
    numAgents: header.num_agents,
    agentContexts: toF64(get('agent_contexts').data),
    testAgents: Array.from(toF64(get('test_agents').data)),
    n,
    observations: toF64(obs.data),
    actions: toF64(get('actions').data),
    rewards: toF64(get('rewards').data),
    nextObservations: toF64(get('next_observations').data),
    terminals: Uint8Array.from(toF64(get('terminals').data)),
    timeouts: Uint8Array.from(toF64(get('timeouts').data)),
    agentIds: Int32Array.from(toF64(get('agent_ids').data)),
  };
  validateDataset(d);
  return d;
}

/** Writes through a temporary name and renames, so a reader never sees a half-written file. */
async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}

/**
 * 1980-01-01 00:00 local time, the earliest DOS timestamp: a fixed entry time keeps archives byte-identical across runs
 * (fflate converts with local-time getters, so a local date maps to exactly this DOS stamp).
 */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/**
 * An extra 0-d string entry: JSON {entry name: CRC-32} of every array entry. fflate's reader does not check the
 * archive's own CRCs, so decodeNpz verifies these instead (files without the entry, e.g. numpy-written, are not
 * checked). It is separate from "metadata" so the header stays identical to the HDF5 file's.
 */
const CHECKSUMS = 'checksums';

/**
 * The dataset as .npz bytes (numpy.load reads it without allow_pickle). Entries are stored uncompressed, like
 * numpy.savez: float data barely deflates, and stored entries load without an inflate pass.
 */
export function encodeNpz(d: Dataset, options: ExportOptions = {}): Uint8Array {
  const cols = columnsOf(d, options.precision ?? 'f64');
  const files: Zippable = {};
  const sums: Record<string, number> = {};
  for (const c of cols) {
    const name = `${c.name}.npy`;
    const data = encodeNpy({ shape: c.shape, data: c.data, descr: c.bool ? '|b1' : undefined });
    files[name] = [data, { level: 0, mtime: FIXED_MTIME }];
    sums[name] = crc32(data) >>> 0;
  }
  files['metadata.npy'] = [encodeNpy({ shape: [], data: JSON.stringify(headerOf(d)) }), { level: 0, mtime: FIXED_MTIME }];
  files[`${CHECKSUMS}.npy`] = [encodeNpy({ shape: [], data: JSON.stringify(sums) }), { level: 0, mtime: FIXED_MTIME }];
  return zipSync(files);
}

/** Reads a dataset from .npz bytes written by encodeNpz (or by numpy with the same keys and metadata). */
export function decodeNpz(bytes: Uint8Array): Dataset {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new Error(`not a zip archive, or a corrupt one (${(e as Error).message}); an .npz is a zip of .npy files`);
  }
  const metaBytes = files['metadata.npy'];
  if (!metaBytes) throw new Error('the .npz has no "metadata" string; it was not written by TwinGym');
  let header: Header;
  try {
    const meta = decodeNpy(metaBytes);
    if (typeof meta.data !== 'string') throw new Error('not a string');
    header = JSON.parse(meta.data) as Header;
  } catch (e) {
    throw new Error(`the .npz metadata is corrupt or not TwinGym's (${(e as Error).message})`);
  }
  const sumBytes = files[`${CHECKSUMS}.npy`];
  if (sumBytes) {
    let sums: Record<string, number>;
    try {
      sums = JSON.parse(decodeNpy(sumBytes).data as string) as Record<string, number>;
    } catch (e) {
      throw new Error(`the .npz checksums entry is corrupt (${(e as Error).message})`);
    }
    for (const [name, sum] of Object.entries(sums)) {
      const data = files[name];
      if (data && (crc32(data) >>> 0) !== sum) throw new Error(`the .npz entry ${name} is corrupt (CRC mismatch)`);
    }
  }
  const arrays = new Map<string, NpyArray>();
  for (const [name, data] of Object.entries(files)) {
    if (name !== 'metadata.npy' && name !== `${CHECKSUMS}.npy`) arrays.set(name.replace(/\.npy$/, ''), decodeNpy(data));
  }
  return datasetFrom(header, (name) => {
    const a = arrays.get(name);
    if (!a || typeof a.data === 'string') throw new Error(`the .npz lacks the array "${name}"`);
    return { data: a.data, shape: a.shape };
  });
}

/** Writes the dataset as an .npz file (atomically). */
export async function saveNpz(d: Dataset, path: string, options: ExportOptions = {}): Promise<void> {
  await writeAtomic(path, encodeNpz(d, options));
}

/** Reads an .npz dataset file. */
export async function loadNpz(path: string): Promise<Dataset> {
  return decodeNpz(new Uint8Array(await readFile(path)));
}

type H5 = typeof import('h5wasm');

let h5: Promise<H5> | null = null;
async function h5wasm(): Promise<H5> {
  if (!h5) {
    h5 = (async () => {
      const mod = (await import('h5wasm/node')) as unknown as H5 & { default?: H5 };
      const lib = (mod.default ?? mod) as H5;
      await lib.ready;
      return lib;
    })();
  }
  return h5;
}

function h5dtype(c: Column): string {
  const a = c.data;
  if (a instanceof Float64Array) return '<d';
  if (a instanceof Float32Array) return '<f';
  if (a instanceof Int32Array) return '<i';
  if (a instanceof BigInt64Array) return '<q';
  return '<B';
}

/** Writes the dataset as a D4RL-style HDF5 file (atomically: a temporary file renamed into place). */
export async function saveHdf5(d: Dataset, path: string, options: ExportOptions = {}): Promise<void> {
  const lib = await h5wasm();
  const cols = columnsOf(d, options.precision ?? 'f64');
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const f = new lib.File(tmp, 'w');
  try {
    for (const c of cols) f.create_dataset({ name: c.name, data: c.data, shape: c.shape, dtype: h5dtype(c) });
    f.create_attribute('metadata', JSON.stringify(headerOf(d)));
    f.create_attribute('env_id', d.envId);
    f.create_attribute('policy', d.policy);
  } finally {
    f.close();
  }
  await rename(tmp, path);
}

/** Reads a D4RL-style HDF5 dataset written by saveHdf5. */
export async function loadHdf5(path: string): Promise<Dataset> {
  const lib = await h5wasm();
  const f = new lib.File(path, 'r');
  try {
    const meta = f.attrs.metadata?.value;
    if (typeof meta !== 'string') throw new Error(`${path} has no "metadata" attribute; it was not written by TwinGym`);
    return datasetFrom(JSON.parse(meta) as Header, (name) => {
      const ds = f.get(name);
      if (!(ds instanceof lib.Dataset)) throw new Error(`${path} lacks the dataset "${name}"`);
      const value = ds.value;
      if (value === null || typeof value !== 'object' || !ArrayBuffer.isView(value)) throw new Error(`${path}: "${name}" is not a numeric array`);
      return { data: value as unknown as ArrayLike<number>, shape: ds.shape ?? [] };
    });
  } finally {
    f.close();
  }
}

/** Saves by file extension: .npz or .h5/.hdf5. */
export async function saveDataset(d: Dataset, path: string, options: ExportOptions = {}): Promise<void> {
  if (path.endsWith('.npz')) return saveNpz(d, path, options);
  if (path.endsWith('.h5') || path.endsWith('.hdf5')) return saveHdf5(d, path, options);
  throw new Error(`unknown dataset file type for ${path}; use .npz, .h5 or .hdf5`);
}

/** Loads by file extension: .npz or .h5/.hdf5. */
export async function loadDataset(path: string): Promise<Dataset> {
  if (path.endsWith('.npz')) return loadNpz(path);
  if (path.endsWith('.h5') || path.endsWith('.hdf5')) return loadHdf5(path);
  throw new Error(`unknown dataset file type for ${path}; use .npz, .h5 or .hdf5`);
}
