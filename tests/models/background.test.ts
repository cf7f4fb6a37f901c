/**
 * Training as a background job (what a server's train job wraps): it runs in a worker thread, reports step and epoch
 * progress, saves to the registry, and a cancelled job stops early and saves nothing.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectDataset } from '../../src/data/collect.js';
import { listModels } from '../../src/models/registry.js';
import { defaultHyper, startPersimTrainingJob, type TrainingEvent } from '../../src/models/persim/index.js';

const dataset = collectDataset({ envId: 'MountainCar-v0', numAgents: 5, policy: 'pure', seed: 1 });

describe('background training job', () => {
  it('reports progress and saves the model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twingym-job-'));
    const events: TrainingEvent[] = [];
    const job = startPersimTrainingJob({ dataset, hyper: defaultHyper('MountainCar-v0', { epochs: 2, members: 2, batchSize: 64 }), registryDir: dir, id: 'bg', evalEpisodes: 0 }, (e) => events.push(e));
    const out = await job.done;
    expect(out.path).toBe(join(dir, 'bg'));
    expect(events.filter((e) => e.type === 'epoch').map((e) => (e.type === 'epoch' ? e.report.epoch : 0))).toEqual([1, 2]);
    expect(events.some((e) => e.type === 'step')).toBe(true);
    expect(events[events.length - 1].type).toBe('done');
    expect((await listModels(dir)).map((m) => m.id)).toEqual(['bg']);
  });

  it('stops when cancelled and saves nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twingym-job-'));
    let epochs = 0;
    const job = startPersimTrainingJob({ dataset, hyper: defaultHyper('MountainCar-v0', { epochs: 1000, members: 2, batchSize: 64 }), registryDir: dir, id: 'bg', evalEpisodes: 0 }, (e) => {
      if (e.type === 'epoch') { epochs += 1; job.cancel(); }
    });
    await expect(job.done).rejects.toThrow(/cancelled after \d+ epochs; nothing was saved/);
    expect(epochs).toBeLessThan(5);
    expect(await listModels(dir)).toEqual([]);
  });
});
