/**
 * NPZ and HDF5 dataset files: exact round trips (same fingerprint), float32 export, the .npy encoding itself checked
 * byte by byte against numpy's documented layout, corrupted archives refused (per-entry CRCs), deflated archives
 * without checksums read. tests/python reads the same files
 * with numpy and h5py.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { collectDataset } from '../../src/data/collect.js';
import { datasetFingerprint } from '../../src/data/dataset.js';
import { decodeNpz, encodeNpz, loadDataset, saveDataset } from '../../src/data/files.js';
import { decodeNpy, encodeNpy } from '../../src/data/npy.js';

const dir = mkdtempSync(join(tmpdir(), 'twingym-files-'));

describe('dataset files', () => {
  const d = collectDataset({ envId: 'CartPole-v0', numAgents: 7, policy: 'pure-eps-20', seed: 4 });

  it.each(['npz', 'h5'])('round-trips exactly through .%s', async (ext) => {
    const path = join(dir, `d.${ext}`);
    await saveDataset(d, path);
    const back = await loadDataset(path);
    expect(datasetFingerprint(back)).toBe(datasetFingerprint(d));
    expect(back.policyDescription).toBe(d.policyDescription);
    expect(back.testAgents).toEqual(d.testAgents);
    expect(Array.from(back.timeouts)).toEqual(Array.from(d.timeouts));
  });

  it('float32 export rounds every value to float32', async () => {
    const path = join(dir, 'd32.h5');
    await saveDataset(d, path, { precision: 'f32' });
    const back = await loadDataset(path);
    expect(Array.from(back.observations)).toEqual(Array.from(d.observations, Math.fround));
    expect(Array.from(back.actions)).toEqual(Array.from(d.actions));
  });

  it('encodes .npy with numpy\'s header layout', () => {
    const bytes = encodeNpy({ shape: [2, 3], data: Float64Array.of(1, 2, 3, 4, 5, 6) });
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const hlen = bytes[8] + 256 * bytes[9];
    expect((10 + hlen) % 64).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + hlen));
    expect(header.startsWith("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }")).toBe(true);
    expect(header.endsWith('\n')).toBe(true);
    expect(new Float64Array(bytes.slice(10 + hlen).buffer)).toEqual(Float64Array.of(1, 2, 3, 4, 5, 6));
    const s = decodeNpy(encodeNpy({ shape: [], data: 'gravité ✓' }));
    expect(s.data).toBe('gravité ✓');
    expect(decodeNpy(encodeNpy({ shape: [4], data: Int32Array.of(-1, 0, 7, 2 ** 31 - 1) })).data).toEqual(Int32Array.of(-1, 0, 7, 2 ** 31 - 1));
  });

  it('refuses a corrupted archive and a file without the TwinGym header', () => {
    const bytes = encodeNpz(d);
    const bad = bytes.slice();
    bad[200] ^= 0xff;
    expect(() => decodeNpz(bad)).toThrow(/corrupt|CRC/);
    expect(() => decodeNpz(Uint8Array.of(1, 2, 3))).toThrow(/not a zip/);
  });

  it('writes byte-identical stored archives and reads deflated ones without checksums (numpy.savez_compressed)', () => {
    const a = encodeNpz(d);
    expect(encodeNpz(d)).toEqual(a);
    const entries = unzipSync(a);
    // numpy.savez stores every entry: method 0 in each local header (offset 8), and the arrays appear verbatim.
    expect(new DataView(a.buffer, a.byteOffset).getUint16(8, true)).toBe(0);
    expect(Object.keys(entries).sort()).toEqual(['actions', 'agent_contexts', 'agent_ids', 'checksums', 'contexts', 'metadata', 'next_observations',
      'observations', 'rewards', 'terminals', 'test_agents', 'timeouts'].map((k) => `${k}.npy`));
    const { 'checksums.npy': _sums, ...plain } = entries;
    const deflated = zipSync(Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, [v, { level: 6 }]])));
    expect(datasetFingerprint(decodeNpz(deflated))).toBe(datasetFingerprint(d));
  });
});
