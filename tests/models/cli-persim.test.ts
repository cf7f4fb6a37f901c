/**
 * The PerSim commands end to end on a tiny scale: collect writes a dataset file, train reads it and writes a registry
 * entry whose manifest records the environment, hyper-parameters, dataset fingerprint, curve, metrics and command,
 * and compare writes the table and plots.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerPersimCommands } from '../../src/cli/commands/persim.js';
import { loadDataset } from '../../src/data/files.js';
import { datasetFingerprint } from '../../src/data/dataset.js';

function program(): Command {
  const p = new Command('twingym').exitOverride();
  registerPersimCommands(p);
  return p;
}

async function run(...args: string[]): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { out += String(chunk); return true; });
  try {
    await program().parseAsync(['node', 'twingym', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

afterEach(() => vi.restoreAllMocks());

describe('twingym collect / train / compare', () => {
  it('collects, trains into the registry and compares, writing every file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twingym-cli-'));
    const data = join(dir, 'mc.npz');
    expect(await run('collect', '--env', 'MountainCar-v0', '--agents', '6', '--policy', 'pure-eps-20', '--seed', '2', '--out', data)).toMatch(/mc\.npz: \d+ transitions from 6 agents/);
    const models = join(dir, 'models');
    const out = await run('train', '--data', data, '--epochs', '2', '--members', '2', '--seed', '3', '--out', models, '--id', 'mc-cli', '--eval-episodes', '2', '--no-progress');
    expect(out).toMatch(/epoch 2\/2 loss/);
    const manifest = JSON.parse(await readFile(join(models, 'mc-cli', 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ id: 'mc-cli', kind: 'persim', env: { id: 'MountainCar-v0' }, hyper: { epochs: 2, members: 2, seed: 3, rank: 3, batchSize: 512 } });
    expect(manifest.dataset.fingerprint).toBe(datasetFingerprint(await loadDataset(data)));
    expect(manifest.training.curve).toHaveLength(2);
    expect(manifest.training.command).toMatch(/^twingym train .*--data \S+mc\.npz.*--epochs 2/);
    expect(Object.keys(manifest.metrics.rmse_mean)).toEqual(['test-agent-1', 'test-agent-2', 'test-agent-3', 'test-agent-4', 'test-agent-5']);
    expect(Date.parse(manifest.created)).toBeGreaterThan(0);
    const results = join(dir, 'results');
    const table = await run('compare', '--model', 'mc-cli', '--registry', models, '--agents', '0,5', '--episodes', '2', '--out', results);
    expect(table).toContain('| agent-id-5 |');
    for (const f of ['mc-cli-compare.md', 'mc-cli-compare.json', 'mc-cli-compare-agent-id-0.svg', 'mc-cli-compare-agent-id-5.svg']) expect(existsSync(join(results, f))).toBe(true);
  });

  it('refuses a train without data, and an unknown model in compare', async () => {
    await expect(run('train', '--epochs', '1')).rejects.toThrow(/--data <file> or --env <id>/);
    const dir = await mkdtemp(join(tmpdir(), 'twingym-cli-'));
    await expect(run('compare', '--model', 'missing', '--registry', dir)).rejects.toThrow(/no model "missing"/);
  });
});
