import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { TypeSystemPolicy } from '@sinclair/typebox/system';
import { envSpecOf } from '../../src/core/definition.js';
import { EnvSession } from '../../src/core/session.js';
import { EnvSpecSchema } from '../../protocol/ts/spaces.js';
import { getEnvEntry, makeDefinition } from '../../envs/registry.js';

describe('physics environments in the registry', () => {
  it('serves HalfCheetah-v0 and HookSweep2-v0 with their spaces, contexts and options', () => {
    const cheetah = makeDefinition('HalfCheetah-v0');
    expect(cheetah.observationSpace.size).toBe(18);
    expect(cheetah.actionSpace.size).toBe(6);
    expect(cheetah.context.names).toEqual(['mass_scale', 'damping_scale', 'friction', 'gravity']);
    expect(cheetah.options).toEqual({ ctrl_cost: 0.1, reset_noise: 0.001, substeps: 2 });
    expect(cheetah.maxEpisodeSteps).toBe(1000);
    const hook = makeDefinition('HookSweep2-v0', { goal_side: 'away' });
    expect(hook.observationSpace.size).toBe(20);
    expect(hook.actionSpace.size).toBe(4);
    expect(hook.maxEpisodeSteps).toBe(75);
    const spec = envSpecOf(getEnvEntry('HookSweep2-v0'), hook);
    expect(spec.causal?.local_masks.map((m) => m.region)).toEqual(['apart', 'touching']);
    expect(() => makeDefinition('HookSweep2-v0', { goal_side: 'sideways' })).toThrow(/goal_side/);
  });

  for (const id of ['HalfCheetah-v0', 'HookSweep2-v0']) {
    it(`${id}: its spec matches the wire schema and it follows Gymnasium's seeding rules`, () => {
      const def = makeDefinition(id);
      // protocol/SPEC.md 3.4: non-finite numbers are valid wire numbers (an infinite reward_range bound is unbounded).
      TypeSystemPolicy.AllowNaN = true;
      expect(Value.Check(EnvSpecSchema, envSpecOf(getEnvEntry(id), def))).toBe(true);
      const s = new EnvSession({ definition: def });
      const obs1 = s.reset({ seed: 123 }).obs;
      const obs2 = s.reset().obs;
      const obs3 = s.reset({ seed: 123 }).obs;
      const obs4 = s.reset().obs;
      expect(Array.from(obs3)).toEqual(Array.from(obs1));
      expect(Array.from(obs4)).toEqual(Array.from(obs2));
      expect(Array.from(obs2)).not.toEqual(Array.from(obs1));
      expect(Array.from(s.reset({ seed: 124 }).obs)).not.toEqual(Array.from(obs1));
      const r = s.step(new Float64Array(def.actionSpace.size));
      expect(r.truncated[0]).toBe(0);
      expect(Number.isFinite(r.reward[0])).toBe(true);
      expect(def.observationSpace.contains(Float32Array.from(r.obs))).toBe(true);
      s.close();
      expect(s.close()).toBe(false);
    });
  }
});
