/**
 * Writes small dataset files for the Python interoperability test (tests/python/test_dataset_files.py): a MountainCar
 * random dataset and a CartPole pure-eps-20 dataset, each as .npz and .h5, plus expected.json with the numbers the
 * Python side checks against. Usage: node bin/run-ts.mjs scripts/persim-write-fixtures.ts <out dir>
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectDataset } from '../src/data/collect.js';
import { datasetFingerprint } from '../src/data/dataset.js';
import { saveHdf5, saveNpz } from '../src/data/files.js';

const out = process.argv[2];
if (!out) {
  console.error('usage: persim-write-fixtures.ts <out dir>');
  process.exit(2);
}
await mkdir(out, { recursive: true });
const expected: Record<string, unknown> = {};
for (const [name, envId, policy, agents] of [['mountaincar', 'MountainCar-v0', 'random', 7], ['cartpole', 'CartPole-v0', 'pure-eps-20', 6]] as const) {
  const d = collectDataset({ envId, numAgents: agents, policy, seed: 11 });
  await saveNpz(d, join(out, `${name}.npz`));
  await saveHdf5(d, join(out, `${name}.h5`));
  await saveNpz(d, join(out, `${name}-f32.npz`), { precision: 'f32' });
  expected[name] = {
    env_id: envId, policy, n: d.n, num_agents: d.numAgents, obs_size: d.obsSize,
    observation_sum: d.observations.reduce((s, x) => s + x, 0),
    action_sum: d.actions.reduce((s, x) => s + x, 0),
    terminals: d.terminals.reduce((s, x) => s + x, 0),
    timeouts: d.timeouts.reduce((s, x) => s + x, 0),
    agent_contexts: Array.from(d.agentContexts),
    context_names: d.contextNames,
    fingerprint: datasetFingerprint(d),
  };
}
await writeFile(join(out, 'expected.json'), JSON.stringify(expected, null, 2));
console.log(`wrote fixtures to ${out}`);
