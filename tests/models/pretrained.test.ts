/**
 * The pretrained models shipped in models/ (scripts/persim-pretrained.ts): all are listed, describe their test agents
 * with PerSim's contexts, the MountainCar model meets PerSim's accuracy on a few episodes of the comparison protocol
 * (RMSE <= 0.005, median R^2 >= 0.99: the paper's target), and the standardised CartPole model gets the kinematic
 * rows (delta x = tau x_dot, delta theta = tau theta_dot, tau = 0.02, the same for every agent) right where the
 * raw-unit one does not: why both are shipped.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeDefinition } from '../../envs/registry.js';
import { compareDynamics } from '../../src/eval/compare.js';
import { ensureBackend } from '../../src/models/nn/index.js';
import { PersimModelStore, loadPersim } from '../../src/models/persim/index.js';

const registry = fileURLToPath(new URL('../../models', import.meta.url));

describe('shipped PerSim models', () => {
  it('are listed with their environment, agents and metrics', async () => {
    const store = new PersimModelStore(registry);
    const list = await store.list();
    const byId = new Map(list.map((m) => [m.id, m]));
    expect(byId.get('persim-mountaincar-random')).toMatchObject({ env: 'MountainCar-v0', kind: 'persim', test_agents: [0, 1, 2, 3, 4], rank: 3, members: 5 });
    expect(byId.get('persim-cartpole-random')).toMatchObject({ env: 'CartPole-v0', kind: 'persim', test_agents: [0, 1, 2, 3, 4], rank: 5, members: 5 });
    expect(byId.get('persim-cartpole-random-std')).toMatchObject({ env: 'CartPole-v0', kind: 'persim', test_agents: [0, 1, 2, 3, 4], rank: 5, members: 5 });
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

  it('the standardised CartPole model predicts the agent-independent kinematic rows within 5e-3; the raw one misses by 2e-2', async () => {
    await ensureBackend();
    // Moving carts inside the random data's range (|x| <= 0.95, |x_dot| <= 3.1), both pushes.
    const states: number[] = [];
    const actions: number[] = [];
    for (const x of [-0.5, 0, 0.5]) for (const v of [-2, -1, 1, 2]) for (const th of [0.02, -0.05]) for (const thd of [-0.1, 0.3]) for (const a of [0, 1]) {
      states.push(x, v, th, thd);
      actions.push(a);
    }
    const n = actions.length;
    const worst = async (id: string): Promise<[number, number]> => {
      const model = await loadPersim(registry, id);
      const M = model.network.hyper.members;
      let ex = 0;
      let et = 0;
      for (const agent of [0, 1, 2, 3, 4]) {
        const pred = model.network.predictDeltas(Float64Array.from(states), Float64Array.from(actions), n, { agentIds: new Int32Array(n).fill(agent) });
        for (let i = 0; i < n; i++) {
          let dx = 0;
          let dt = 0;
          for (let m = 0; m < M; m++) { dx += pred[(m * n + i) * 4] / M; dt += pred[(m * n + i) * 4 + 2] / M; }
          ex = Math.max(ex, Math.abs(dx - 0.02 * states[4 * i + 1]));
          et = Math.max(et, Math.abs(dt - 0.02 * states[4 * i + 3]));
        }
      }
      model.dispose();
      return [ex, et];
    };
    const [stdX, stdTheta] = await worst('persim-cartpole-random-std');
    const [rawX, rawTheta] = await worst('persim-cartpole-random');
    expect(stdX).toBeLessThan(5e-3);
    expect(stdTheta).toBeLessThan(5e-3);
    expect(Math.max(rawX, rawTheta)).toBeGreaterThan(2e-2);
  });
});
