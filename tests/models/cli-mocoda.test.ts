/**
 * The MOCODA commands end to end on a tiny scale, through the real `twingym` command tree: data writes the L-shaped
 * set, train reads it into a registry entry, augment writes real + generated rows relabelled for the task, and error
 * scores the model against the true dynamics. Values are checked against REFERENCE.md 1.3 directly.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { loadDataset } from '../../src/data/files.js';
import { readManifest } from '../../src/models/registry.js';

let dir: string;

async function run(...args: string[]): Promise<string> {
  let out = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { out += String(chunk); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'twingym', ...args]);
  } finally {
    write.mockRestore();
    err.mockRestore();
  }
  return out;
}

beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'twingym-mocoda-cli-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('twingym mocoda data / train / augment / error', () => {
  it('runs the whole pipeline and every file holds what the reference says', async () => {
    const data = join(dir, 'nav.npz');
    await run('mocoda', 'data', '--env', 'Navigation2D-v0', '--rows', '600', '--seed', '1', '--out', data);
    const d = await loadDataset(data);
    expect(d.n).toBe(600);
    // Outside the top-right quadrant the true step is s' = s + 0.05 a (REFERENCE.md 1.3).
    for (let i = 0; i < d.n; i++) {
      const [x, y] = [d.observations[2 * i], d.observations[2 * i + 1]];
      if (x > 0.5 && y > 0.5) continue;
      expect(d.nextObservations[2 * i]).toBeCloseTo(x + 0.05 * d.actions[2 * i], 12);
      expect(d.nextObservations[2 * i + 1]).toBeCloseTo(y + 0.05 * d.actions[2 * i + 1], 12);
    }

    const registry = join(dir, 'models');
    await run('mocoda', 'train', '--env', 'Navigation2D-v0', '--data', data, '--kind', 'local', '--epochs', '2', '--hidden', '16',
      '--embed', '8', '--members', '2', '--id', 'nav-tiny', '--registry', registry, '--no-progress');
    const manifest = await readManifest(registry, 'nav-tiny');
    expect(manifest).toMatchObject({ kind: 'mocoda-local', env: { id: 'Navigation2D-v0' } });

    const out = join(dir, 'aug.npz');
    await run('mocoda', 'augment', '--env', 'Navigation2D-v0', '--distribution', 'MOCODA', '--model', 'nav-tiny', '--registry', registry,
      '--data', data, '--rows', '200', '--task', 'diagonal', '--out', out, '--no-progress');
    const aug = await loadDataset(out);
    expect(aug.n).toBe(800);
    // Relabelled for the diagonal task: -1 per step, 0 when the next state enters the goal box (0.8, 0.9)^2.
    for (let i = 0; i < aug.n; i++) {
      const [x, y] = [aug.nextObservations[2 * i], aug.nextObservations[2 * i + 1]];
      const inGoal = x > 0.8 && x < 0.9 && y > 0.8 && y < 0.9;
      expect(aug.rewards[i]).toBe(inGoal ? 0 : -1);
    }

    const table = await run('mocoda', 'error', '--env', 'Navigation2D-v0', '--model', 'nav-tiny', '--registry', registry, '--data', data,
      '--distributions', 'EMP,RAND', '--n', '200', '--json');
    const [scored] = JSON.parse(table) as Array<{ model: string; scores: Array<{ distribution: string; n: number; modelMse: number; generatedMse: number }> }>;
    expect(scored.model).toBe('nav-tiny');
    expect(scored.scores.map((x) => [x.distribution, x.n])).toEqual([['EMP', 200], ['RAND', 200]]);
    for (const x of scored.scores) expect(x.modelMse).toBeGreaterThan(0);
    // EMP rows are real transitions: their next states are the true ones, so the "generated" error is exactly 0.
    expect(scored.scores[0].generatedMse).toBe(0);
  }, 60_000);
});
