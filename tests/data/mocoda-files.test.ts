/**
 * Augmented MOCODA datasets as files: real + generated rows in the paper's 1 : 4 ratio, relabelled, written as NPZ and
 * D4RL-style HDF5 by src/data/files.ts and read back exactly (same fingerprint); one path through a real (tiny)
 * model and parent distribution, so every piece of augmentDataset runs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetFingerprint } from '../../src/data/dataset.js';
import { loadDataset, saveDataset } from '../../src/data/files.js';
import { augmentDataset } from '../../src/data/mocoda/augment.js';
import { mocodaDefinition, NAV_ID, transitionsOf } from '../../src/data/mocoda/common.js';
import { navigationLShaped } from '../../src/data/mocoda/empirical.js';
import { defaultMocodaHyper, fitParentDistribution, trainMocoda } from '../../src/models/mocoda/index.js';

const dir = mkdtempSync(join(tmpdir(), 'twingym-mocoda-files-'));

describe('augmented MOCODA datasets', () => {
  const real = navigationLShaped({ seed: 6, transitions: 1000 });

  it.each(['npz', 'h5'])('CoDA: 1,000 real + 4,000 generated rows round-trip through .%s', async (ext) => {
    const aug = await augmentDataset({ distribution: 'CoDA', real, seed: 3 });
    const d = aug.dataset;
    expect(d.n).toBe(5000);
    expect(aug.realRows).toBe(1000);
    expect(d.policy).toBe('CoDA');
    // The real rows come first, unchanged.
    expect(Array.from(d.observations.subarray(0, 2000))).toEqual(Array.from(real.observations));
    const path = join(dir, `coda.${ext}`);
    await saveDataset(d, path);
    const back = await loadDataset(path);
    expect(datasetFingerprint(back)).toBe(datasetFingerprint(d));
    expect(back.policy).toBe('CoDA');
    expect(back.numAgents).toBe(1);
  });

  it('MOCODA-U through a trained model and parent distribution, saved and read back', async () => {
    const def = mocodaDefinition(NAV_ID);
    const model = await trainMocoda(transitionsOf(real), def, defaultMocodaHyper(NAV_ID, 'local', { hidden: [16], embed: 8, members: 2, epochs: 1, earlyStopWindow: 0 }));
    try {
      const parents = fitParentDistribution(def, real, { components: 4, seed: 0 });
      const aug = await augmentDataset({ distribution: 'MOCODA-U', real, rows: 2000, model, parents, seed: 1 });
      expect(aug.dataset.n).toBe(3000);
      expect(aug.generated.acceptance).toBeGreaterThan(0);
      expect(aug.generated.acceptance).toBeLessThan(0.5);
      for (let i = 0; i < aug.dataset.n; i++) {
        const x = aug.dataset.nextObservations[2 * i];
        const y = aug.dataset.nextObservations[2 * i + 1];
        expect(aug.dataset.rewards[i]).toBe(x > 0.8 && x < 0.9 && y > 0.8 && y < 0.9 ? 0 : -1);
      }
      const path = join(dir, 'mocoda-u.h5');
      await saveDataset(aug.dataset, path, { precision: 'f32' });
      const back = await loadDataset(path);
      expect(back.n).toBe(3000);
      for (let k = 0; k < 200; k++) expect(back.observations[k]).toBeCloseTo(aug.dataset.observations[k], 6);
    } finally {
      model.dispose();
    }
  });
});
