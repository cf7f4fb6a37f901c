/**
 * MOCODA's job kinds run end to end in a temporary places directory: train_mocoda on the empirical data saves a
 * registry model; augment_mocoda builds and stores a dataset (npz, h5, sidecar) with the generated rows' true error;
 * validate refuses what would fail later (missing model, CoDA on HookSweep2, a taken dataset id).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStoredDataset, readDatasetEntry } from '../../src/jobs/datasets.js';
import { augmentMocodaJob, trainMocodaJob, type AugmentMocodaParams, type TrainMocodaParams } from '../../src/jobs/mocoda.js';
import type { JobProgress, JobRunContext } from '../../src/jobs/types.js';
import { readManifest } from '../../src/models/registry.js';

const root = mkdtempSync(join(tmpdir(), 'twingym-mocoda-jobs-'));
const places = { modelsDir: join(root, 'models'), datasetsDir: join(root, 'datasets') };

function context(progress: JobProgress[]): JobRunContext {
  return { places, progress: (p) => progress.push(p), signal: new AbortController().signal };
}

describe('MOCODA jobs', () => {
  it('train_mocoda trains on the empirical data and saves the model', async () => {
    const p: TrainMocodaParams = { env_id: 'Navigation2D-v0', dataset: 'empirical', kind: 'local', model: 'nav-local-tiny', epochs: 2, hidden: [16], members: 2, rows: 1000 };
    await trainMocodaJob.validate(p, places);
    const progress: JobProgress[] = [];
    const out = await trainMocodaJob.run(p, context(progress));
    expect(out.model).toBe('nav-local-tiny');
    expect(progress.some((x) => x.unit === 'epochs' && x.done === 2 && x.total === 2)).toBe(true);
    const m = await readManifest(places.modelsDir, 'nav-local-tiny');
    expect(m?.kind).toBe('mocoda-local');
    await expect(trainMocodaJob.validate(p, places)).rejects.toThrow(/already exists/);
  });

  it('augment_mocoda stores real + generated rows and reports their true-dynamics error', async () => {
    const p: AugmentMocodaParams = { env_id: 'Navigation2D-v0', distribution: 'MOCODA', model: 'nav-local-tiny', source_rows: 1000, rows: 2000, seed: 2, dataset: 'nav-mocoda-tiny' };
    await augmentMocodaJob.validate(p, places);
    const progress: JobProgress[] = [];
    const out = await augmentMocodaJob.run(p, context(progress));
    expect(out).toMatchObject({ dataset: 'nav-mocoda-tiny', rows: 3000, real_rows: 1000, generated_rows: 2000 });
    expect(Number(out.true_mse)).toBeGreaterThan(0);
    const entry = await readDatasetEntry(places.datasetsDir, 'nav-mocoda-tiny');
    expect(entry).toMatchObject({ rows: 3000, policy: 'MOCODA', env_id: 'Navigation2D-v0', files: ['npz', 'hdf5'] });
    const d = await loadStoredDataset(places.datasetsDir, 'nav-mocoda-tiny');
    expect(d.n).toBe(3000);
    expect(progress.some((x) => x.unit === 'transitions')).toBe(true);
    await expect(augmentMocodaJob.validate(p, places)).rejects.toThrow(/already exists/);
  });

  it('validate refuses a missing model, CoDA on HookSweep2 and a model of another environment', async () => {
    await expect(augmentMocodaJob.validate({ env_id: 'Navigation2D-v0', distribution: 'DYNA' }, places)).rejects.toThrow(/needs a trained MOCODA model/);
    await expect(augmentMocodaJob.validate({ env_id: 'HookSweep2-v0', distribution: 'CoDA' }, places)).rejects.toThrow(/independent parts/);
    await expect(augmentMocodaJob.validate({ env_id: 'HookSweep2-v0', distribution: 'MOCODA', model: 'nav-local-tiny' }, places)).rejects.toThrow(/simulates Navigation2D-v0/);
  });
});
