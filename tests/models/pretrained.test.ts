/**
 * The pretrained models shipped in models/ (scripts/persim-pretrained.ts): both are listed, describe their test agents
 * with PerSim's contexts, and the MountainCar model meets PerSim's accuracy on a few episodes of the comparison
 * protocol (RMSE <= 0.005, median R^2 >= 0.99: the paper's target).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeDefinition } from '../../envs/registry.js';
import { compareDynamics } from '../../src/eval/compare.js';
import { PersimModelStore } from '../../src/models/persim/index.js';

const registry = fileURLToPath(new URL('../../models', import.meta.url));

describe('shipped PerSim models', () => {
  it('are listed with their environment, agents and metrics', async () => {
    const store = new PersimModelStore(registry);
    const list = await store.list();
    const byId = new Map(list.map((m) => [m.id, m]));
    expect(byId.get('persim-mountaincar-random')).toMatchObject({ env: 'MountainCar-v0', kind: 'persim', test_agents: [0, 1, 2, 3, 4], rank: 3, members: 5 });
    expect(byId.get('persim-cartpole-random')).toMatchObject({ env: 'CartPole-v0', kind: 'persim', test_agents: [0, 1, 2, 3, 4], rank: 5, members: 5 });
    await store.dispose();
  });

  it('MountainCar imitates its test agents 1 and 5 within PerSim\'s error', async () => {
    const store = new PersimModelStore(registry);
    const def = makeDefinition('MountainCar-v0');
    for (const agent of [0, 4]) {
      const { dynamics, contexts } = await store.makeDynamics(def, { model: 'persim-mountaincar-random', agent });
      expect(contexts).toEqual({ gravity: [0.0001, 0.0005, 0.001, 0.0025, 0.0035][agent] });
      const r = compareDynamics({ definition: def, context: contexts!, model: dynamics, episodes: 10, seed: 9 });
      expect(r.rmseMean).toBeLessThan(0.005);
      expect(r.r2Median).toBeGreaterThan(0.99);
    }
    await store.dispose();
  });
});
