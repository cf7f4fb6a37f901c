/**
 * Writes an augmented MOCODA dataset for tests/python/test_mocoda_files.py: 1,000 L-shaped Navigation2D rows plus
 * 4,000 CoDA rows (no model needed, so the files are made in a second), relabelled for the diagonal task, as .npz and
 * .h5 into the directory given as the first argument, with expected.json describing them.
 * Usage: node bin/run-ts.mjs tests/python/mocoda-write-files.ts <dir>
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { saveDataset } from '../../src/data/files.js';
import { augmentDataset } from '../../src/data/mocoda/augment.js';
import { navigationLShaped } from '../../src/data/mocoda/empirical.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: mocoda-write-files.ts <output dir>');
const real = navigationLShaped({ seed: 11, transitions: 1000 });
const aug = await augmentDataset({ distribution: 'CoDA', real, seed: 5, task: 'diagonal' });
await saveDataset(aug.dataset, join(dir, 'nav-coda.npz'));
await saveDataset(aug.dataset, join(dir, 'nav-coda.h5'));
let rewardSum = 0;
for (const r of aug.dataset.rewards) rewardSum += r;
await writeFile(join(dir, 'expected.json'), JSON.stringify({
  n: aug.dataset.n, real_rows: aug.realRows, generated_rows: aug.generated.n, env_id: aug.dataset.envId, policy: aug.dataset.policy,
  task: 'diagonal', reward_sum: rewardSum,
}));
