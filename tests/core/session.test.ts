/**
 * EnvSession semantics (Gymnasium single and vector envs): autoreset modes, reset masks, per-env contexts, and every
 * error path, each of which must leave the session byte for byte as it was. MountainCar-v0 is the workhorse: from
 * (0.49, 0.02) any action reaches the goal in one step (x' = 0.5097...), so episode ends are placed exactly.
 */
import { describe, expect, it } from 'vitest';
import { EnvSession, type SessionConfig } from '../../src/core/session.js';
import { restoreSession, snapshotSession } from '../../src/core/snapshot.js';
import { TwinGymError, type ErrorCode } from '../../src/core/errors.js';
import { ERROR_CODES } from '../../protocol/ts/errors.js';
import { encodeFrame, decodeFrame } from '../../protocol/ts/frame.js';
import { makeDefinition } from '../../envs/registry.js';
import { mountainCarStep } from '../../envs/classic/mountain-car.js';
import type { TransitionBatch } from '../../src/core/definition.js';

const mc = makeDefinition('MountainCar-v0');
const nav = makeDefinition('Navigation2D-v0');
const NEAR_GOAL = [0.49, 0.02];
const VALLEY = [-0.5, 0];

function vec(config: Partial<SessionConfig> = {}): EnvSession {
  return new EnvSession({ definition: mc, numEnvs: 2, ...config });
}

function bytes(s: EnvSession): number[] {
  return Array.from(snapshotSession(s));
}

/** Runs fn, expects a TwinGymError with `code`, and checks that nothing observable about the session changed. */
function refusedUnchanged(s: EnvSession, code: ErrorCode, fn: () => unknown): TwinGymError {
  const before = bytes(s);
  const obs = s.started ? Array.from(s.currentObs()) : null;
  const steps = Array.from(s.episodeSteps());
  const ctx = s.getContexts();
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TwinGymError);
  const err = caught as TwinGymError;
  expect(err.code).toBe(code);
  expect(Object.keys(ERROR_CODES)).toContain(err.code);
  expect(err.message.length).toBeGreaterThan(20);
  expect(bytes(s)).toEqual(before);
  if (obs) expect(Array.from(s.currentObs())).toEqual(obs);
  expect(Array.from(s.episodeSteps())).toEqual(steps);
  expect(s.getContexts()).toEqual(ctx);
  return err;
}

describe('autoreset next_step (vector default)', () => {
  it('resets on the step after an end, ignoring its action, with reward 0 and both flags false', () => {
    const s = vec();
    expect(s.autoreset).toBe('next_step');
    s.reset({ seed: 1, state: Float64Array.of(...NEAR_GOAL, ...VALLEY) });
    const end = s.step(Float64Array.of(1, 1));
    expect(Array.from(end.terminated)).toEqual([1, 0]);
    expect(Array.from(end.reward)).toEqual([0, -1]);
    expect(Array.from(end.episodeStep)).toEqual([1, 1]);
    // Env 0's action is ignored, even an invalid one; env 1's is used.
    const r = s.step(Float64Array.of(7, 2));
    expect(r.reward[0]).toBe(0);
    expect(r.terminated[0]).toBe(0);
    expect(r.truncated[0]).toBe(0);
    expect(Array.from(r.episodeStep)).toEqual([0, 2]);
    // The reset observation is a fresh start: x in [-0.6, -0.4), v = 0.
    expect(r.obs[0]).toBeGreaterThanOrEqual(-0.6);
    expect(r.obs[0]).toBeLessThan(-0.4);
    expect(r.obs[1]).toBe(0);
    expect(Array.from(r.obs.slice(0, 2))).toEqual(Array.from(s.currentObs().slice(0, 2)));
    expect(r.reward[1]).toBe(-1);
    // The next step is an ordinary step of the new episode.
    const r2 = s.step(Float64Array.of(1, 1));
    expect(r2.reward[0]).toBe(-1);
    expect(Array.from(r2.episodeStep)).toEqual([1, 3]);
  });

  it('never passes an ignored (unchecked) action to the dynamics, and leaves the caller\'s array alone', () => {
    const seen: number[][] = [];
    const dynamics = { kind: 'spy', info: {}, step: (b: TransitionBatch) => { seen.push(Array.from(b.actions)); mountainCarStep(b); } };
    const s = new EnvSession({ definition: mc, numEnvs: 2, dynamics });
    s.reset({ seed: 1, state: Float64Array.of(...NEAR_GOAL, ...VALLEY) });
    s.step(Float64Array.of(1, 1));
    const actions = Float64Array.of(NaN, 2);
    s.step(actions);
    expect(seen[1]).toEqual([0, 2]);
    expect(Number.isNaN(actions[0])).toBe(true);
  });

  it('the reset draw continues the env\'s own generator (the same start a manual reset() would give)', () => {
    const a = vec();
    const b = vec();
    a.reset({ seed: 3, state: Float64Array.of(...NEAR_GOAL, ...VALLEY) });
    b.reset({ seed: 3, state: Float64Array.of(...NEAR_GOAL, ...VALLEY) });
    a.step(Float64Array.of(1, 1));
    const auto = a.step(Float64Array.of(1, 1)).obs.slice(0, 2);
    const manual = b.reset({ resetMask: [true, false] }).obs.slice(0, 2);
    expect(Array.from(auto)).toEqual(Array.from(manual));
  });

  it('truncates at the time limit and resets on the following step', () => {
    const s = vec({ maxEpisodeSteps: 3 });
    s.reset({ seed: 0, state: Float64Array.of(...VALLEY, ...VALLEY) });
    s.step(Float64Array.of(1, 1));
    s.step(Float64Array.of(1, 1));
    const t = s.step(Float64Array.of(1, 1));
    expect(Array.from(t.truncated)).toEqual([1, 1]);
    expect(Array.from(t.terminated)).toEqual([0, 0]);
    expect(Array.from(t.episodeStep)).toEqual([3, 3]);
    const r = s.step(Float64Array.of(1, 1));
    expect(Array.from(r.truncated)).toEqual([0, 0]);
    expect(Array.from(r.reward)).toEqual([0, 0]);
    expect(Array.from(r.episodeStep)).toEqual([0, 0]);
  });
});

describe('autoreset same_step', () => {
  it('returns the reset observation with final_obs / final_mask for the ended envs', () => {
    const s = vec({ autoreset: 'same_step' });
    s.reset({ seed: 2, state: Float64Array.of(...NEAR_GOAL, ...VALLEY) });
    const r = s.step(Float64Array.of(1, 1));
    expect(Array.from(r.terminated)).toEqual([1, 0]);
    expect(Array.from(r.reward)).toEqual([0, -1]);
    expect(Array.from(r.finalMask!)).toEqual([1, 0]);
    expect(r.finalObs![0]).toBeCloseTo(0.5097484356665327, 15);
    expect(r.finalObs![1]).toBeCloseTo(0.01974843566653267, 15);
    expect(Array.from(r.finalObs!.slice(2))).toEqual([0, 0]);
    // obs row 0 is already the next episode's start.
    expect(r.obs[0]).toBeLessThan(-0.4);
    expect(r.obs[1]).toBe(0);
    expect(Array.from(r.episodeStep)).toEqual([0, 1]);
    // No pending reset: the next step uses env 0's action normally.
    const r2 = s.step(Float64Array.of(1, 1));
    expect(r2.reward[0]).toBe(-1);
    expect(Array.from(r2.finalMask!)).toEqual([0, 0]);
    expect(Array.from(r2.episodeStep)).toEqual([1, 2]);
  });
});

describe('autoreset disabled', () => {
  it('refuses to step an ended env until reset with a reset mask selecting it', () => {
    const s = vec({ autoreset: 'disabled' });
    s.reset({ seed: 4, state: Float64Array.of(...NEAR_GOAL, ...VALLEY) });
    const end = s.step(Float64Array.of(1, 1));
    expect(Array.from(end.terminated)).toEqual([1, 0]);
    const err = refusedUnchanged(s, 'needs_reset', () => s.step(Float64Array.of(1, 1)));
    expect(err.details.envs).toEqual([0]);
    expect(err.message).toContain('reset_mask');
    const env1Before = Array.from(s.currentObs().slice(2));
    const r = s.reset({ resetMask: [1, 0] });
    expect(Array.from(r.obs.slice(2))).toEqual(env1Before);
    expect(Array.from(r.episodeStep)).toEqual([0, 1]);
    const next = s.step(Float64Array.of(1, 1));
    expect(Array.from(next.episodeStep)).toEqual([1, 2]);
  });

  it('is the only mode of a single env', () => {
    const s = new EnvSession({ definition: mc });
    expect(s.autoreset).toBe('disabled');
    s.reset({ state: Float64Array.of(...NEAR_GOAL) });
    expect(s.step(Float64Array.of(1)).terminated[0]).toBe(1);
    refusedUnchanged(s, 'needs_reset', () => s.step(Float64Array.of(1)));
    s.reset();
    expect(s.step(Float64Array.of(1)).episodeStep[0]).toBe(1);
    expect(() => new EnvSession({ definition: mc, autoreset: 'next_step' })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });
});

describe('reset', () => {
  it('with a reset mask resets only the selected envs and keeps the others\' state, step count and generator', () => {
    const s = new EnvSession({ definition: mc, numEnvs: 3 });
    s.reset({ seed: 8 });
    s.step(Float64Array.of(2, 2, 2));
    s.step(Float64Array.of(2, 2, 2));
    const before = s.currentObs();
    const r = s.reset({ resetMask: [false, true, false] });
    expect(Array.from(r.episodeStep)).toEqual([2, 0, 2]);
    expect(Array.from(r.obs.slice(0, 2))).toEqual(Array.from(before.slice(0, 2)));
    expect(Array.from(r.obs.slice(4))).toEqual(Array.from(before.slice(4)));
    expect(r.obs[3]).toBe(0);
    expect(r.obs[2]).not.toBe(before[2]);
  });

  it('with a seed list seeds each env with its own seed', () => {
    const a = new EnvSession({ definition: mc, numEnvs: 2 });
    const b = new EnvSession({ definition: mc, numEnvs: 2 });
    const ra = a.reset({ seed: [50, 7] }).obs;
    const rb = b.reset({ seed: 7 }).obs; // env 0 gets 7
    expect(ra[2]).toBe(rb[0]);
  });

  it('the first reset uses the configured seed; later ones without a seed continue the stream', () => {
    const a = new EnvSession({ definition: mc, seed: 21 });
    const b = new EnvSession({ definition: mc });
    expect(Array.from(a.reset().obs)).toEqual(Array.from(b.reset({ seed: 21 }).obs));
    expect(Array.from(a.reset().obs)).toEqual(Array.from(b.reset().obs));
  });

  it('refuses bad seeds, masks and states without changing anything', () => {
    const s = vec();
    s.reset({ seed: 0 });
    s.step(Float64Array.of(2, 0));
    refusedUnchanged(s, 'invalid_argument', () => s.reset({ seed: -1 }));
    refusedUnchanged(s, 'invalid_argument', () => s.reset({ seed: 1.5 }));
    refusedUnchanged(s, 'bad_shape', () => s.reset({ seed: [1, 2, 3] }));
    refusedUnchanged(s, 'bad_shape', () => s.reset({ resetMask: [1] }));
    refusedUnchanged(s, 'invalid_argument', () => s.reset({ resetMask: [0, 0] }));
    refusedUnchanged(s, 'out_of_bounds', () => s.reset({ state: Float64Array.of(0.7, 0) }));
    refusedUnchanged(s, 'out_of_bounds', () => s.reset({ state: Float64Array.of(-0.5, NaN) }));
    refusedUnchanged(s, 'bad_shape', () => s.reset({ state: Float64Array.of(1, 2, 3) }));
    refusedUnchanged(s, 'unknown_context_key', () => s.reset({ contexts: { gravty: 0.001 } }));
    refusedUnchanged(s, 'context_out_of_range', () => s.reset({ contexts: [{}, { gravity: 0.01 }] }));
    const single = new EnvSession({ definition: mc });
    single.reset({ seed: 0 });
    refusedUnchanged(single, 'invalid_argument', () => single.reset({ resetMask: [1] }));
  });

  it('the first reset must reset every env', () => {
    const s = vec();
    expect(() => s.reset({ resetMask: [1, 0] })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(s.started).toBe(false);
  });
});

describe('contexts per env', () => {
  it('applies one context per env, changes each env\'s dynamics, and reads them back', () => {
    const s = vec({ contexts: [{ gravity: 0.0001 }, { gravity: 0.0035 }] });
    expect(s.getContexts()).toEqual([{ gravity: 0.0001 }, { gravity: 0.0035 }]);
    s.reset({ state: Float64Array.of(...VALLEY, ...VALLEY) });
    const r = s.step(Float64Array.of(1, 1));
    // v' = -g cos(-1.5): 0.0707372... * g.
    expect(r.obs[1]).toBeCloseTo(-0.0001 * Math.cos(-1.5), 17);
    expect(r.obs[3]).toBeCloseTo(-0.0035 * Math.cos(-1.5), 17);
    expect(r.obs[1]).not.toBe(r.obs[3]);
  });

  it('setContexts with indices changes only those envs; reset with contexts and a mask only the masked ones', () => {
    const s = new EnvSession({ definition: mc, numEnvs: 3 });
    s.reset({ seed: 0 });
    expect(s.setContexts([{ gravity: 0.001 }], [2])).toEqual([{ gravity: 0.0025 }, { gravity: 0.0025 }, { gravity: 0.001 }]);
    s.reset({ contexts: { gravity: 0.0002 }, resetMask: [1, 0, 0] });
    expect(s.getContexts()).toEqual([{ gravity: 0.0002 }, { gravity: 0.0025 }, { gravity: 0.001 }]);
    refusedUnchanged(s, 'bad_shape', () => s.setContexts([{ gravity: 0.001 }], [0, 1]));
    refusedUnchanged(s, 'invalid_argument', () => s.setContexts({ gravity: 0.001 }, [3]));
    refusedUnchanged(s, 'unknown_context_key', () => s.setContexts({ mass: 1 }));
    refusedUnchanged(s, 'context_out_of_range', () => s.setContexts({ gravity: NaN }));
    refusedUnchanged(s, 'context_out_of_range', () => s.setContexts({ gravity: Infinity }));
    refusedUnchanged(s, 'context_out_of_range', () => s.setContexts({ gravity: 0 }));
    refusedUnchanged(s, 'bad_shape', () => s.setContexts([{}, {}]));
  });

  it('reads contexts back from a dynamics that reports what it applied', () => {
    // A dynamics that can only apply gravity in steps of 0.001 reports the rounded value, not the requested one.
    const dynamics = {
      kind: 'quantised', info: {}, step: mountainCarStep,
      readContexts(ctx: Float64Array, n: number, out: Float64Array) {
        for (let i = 0; i < n; i++) out[i] = Math.round(ctx[i] * 1000) / 1000;
      },
    };
    const s = new EnvSession({ definition: mc, numEnvs: 2, dynamics, contexts: [{ gravity: 0.0014 }, { gravity: 0.0026 }] });
    expect(s.getContexts()).toEqual([{ gravity: 0.001 }, { gravity: 0.003 }]);
    expect(s.setContexts({ gravity: 0.0031 })).toEqual([{ gravity: 0.003 }, { gravity: 0.003 }]);
  });

  it('a changed context changes the next step (it is not silently ignored)', () => {
    const s = new EnvSession({ definition: mc });
    s.reset({ state: Float64Array.of(...VALLEY) });
    const snap = snapshotSession(s);
    const v1 = s.step(Float64Array.of(1)).obs[1];
    restoreSession(s, snap);
    s.setContexts({ gravity: 0.0001 });
    const v2 = s.step(Float64Array.of(1)).obs[1];
    expect(v1).toBeCloseTo(-0.0025 * Math.cos(-1.5), 17);
    expect(v2).toBeCloseTo(-0.0001 * Math.cos(-1.5), 17);
  });
});

describe('step errors leave the session unchanged', () => {
  it('not_reset before the first reset (step and render)', () => {
    const s = vec();
    refusedUnchanged(s, 'not_reset', () => s.step(Float64Array.of(1, 1)));
    refusedUnchanged(s, 'not_reset', () => s.render());
    refusedUnchanged(s, 'not_reset', () => s.currentObs());
  });

  it('out_of_bounds for discrete values that are negative, too large, non-integer or NaN', () => {
    const s = vec();
    s.reset({ seed: 0 });
    s.step(Float64Array.of(2, 2));
    for (const bad of [-1, 3, 1.5, NaN, Infinity]) {
      const err = refusedUnchanged(s, 'out_of_bounds', () => s.step(Float64Array.of(1, bad)));
      expect(err.details.env).toBe(1);
      expect(err.details.index).toBe(0);
    }
  });

  it('out_of_bounds for Box values outside [-1, 1] and NaN', () => {
    const s = new EnvSession({ definition: nav, numEnvs: 2 });
    s.reset({ seed: 0 });
    for (const bad of [1.0000001, -2, NaN, -Infinity]) {
      const err = refusedUnchanged(s, 'out_of_bounds', () => s.step(Float64Array.of(0, 0, 0.5, bad)));
      expect(err.details).toMatchObject({ env: 1, index: 1 });
    }
  });

  it('bad_shape for the wrong number of actions', () => {
    const s = vec();
    s.reset({ seed: 0 });
    const err = refusedUnchanged(s, 'bad_shape', () => s.step(Float64Array.of(1)));
    expect(err.details.expected).toEqual([2]);
    refusedUnchanged(s, 'bad_shape', () => s.step(Float64Array.of(1, 1, 1)));
  });

  it('an error does not disturb the continuation: a refused step then a good one equals just the good one', () => {
    const a = vec();
    const b = vec();
    a.reset({ seed: 12 });
    b.reset({ seed: 12 });
    expect(() => a.step(Float64Array.of(1, 5))).toThrow(TwinGymError);
    expect(Array.from(a.step(Float64Array.of(2, 0)).obs)).toEqual(Array.from(b.step(Float64Array.of(2, 0)).obs));
  });

  it('render refuses an index that is not an env', () => {
    const s = vec();
    s.reset({ seed: 0 });
    refusedUnchanged(s, 'invalid_argument', () => s.render(2));
    refusedUnchanged(s, 'invalid_argument', () => s.render(-1));
    expect(s.render(1).mode).toBe('svg');
  });

  it('unknown_session after close; close is idempotent', () => {
    const s = vec();
    s.reset({ seed: 0 });
    expect(s.close()).toBe(true);
    expect(s.close()).toBe(false);
    expect(() => s.step(Float64Array.of(1, 1))).toThrow(expect.objectContaining({ code: 'unknown_session' }));
    expect(() => s.reset()).toThrow(expect.objectContaining({ code: 'unknown_session' }));
  });

  it('invalid configurations are refused at construction', () => {
    expect(() => new EnvSession({ definition: mc, numEnvs: 0 })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() => new EnvSession({ definition: mc, numEnvs: 2, vectorized: false })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() => new EnvSession({ definition: mc, maxEpisodeSteps: 0 })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() => new EnvSession({ definition: mc, seed: -3 })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() => new EnvSession({ definition: mc, contexts: { gravity: 1 } })).toThrow(expect.objectContaining({ code: 'context_out_of_range' }));
  });
});

describe('snapshots', () => {
  it('refuses foreign or damaged snapshots with bad_state, leaving the session unchanged', () => {
    const s = vec();
    s.reset({ seed: 0 });
    s.step(Float64Array.of(2, 2));
    const good = snapshotSession(s);
    const otherEnv = new EnvSession({ definition: nav, numEnvs: 2 });
    otherEnv.reset({ seed: 0 });
    const otherCount = new EnvSession({ definition: mc, numEnvs: 3 });
    otherCount.reset({ seed: 0 });
    const otherTask = new EnvSession({ definition: makeDefinition('Navigation2D-v0', { task: 'up' }), numEnvs: 2 });
    otherTask.reset({ seed: 0 });
    const navSession = new EnvSession({ definition: nav, numEnvs: 2 });
    navSession.reset({ seed: 0 });
    const edit = (f: (m: Record<string, unknown>) => void) => {
      const m = decodeFrame(good) as Record<string, unknown>;
      f(m);
      return encodeFrame(m);
    };
    const cases: Array<[string, Uint8Array, EnvSession]> = [
      ['other env', snapshotSession(otherEnv), s],
      ['other num_envs', snapshotSession(otherCount), s],
      ['other options', snapshotSession(otherTask), navSession],
      ['garbage', Uint8Array.of(0xc1, 0x00, 0x13), s],
      ['truncated', good.slice(0, good.length - 9), s],
      ['not a map', encodeFrame([1, 2, 3]), s],
      ['wrong version', edit((m) => { m.version = 99; }), s],
      ['short states', edit((m) => { m.states = new Uint8Array(8); }), s],
      ['context out of range', edit((m) => { m.contexts = new Uint8Array(Float64Array.of(5, 5).buffer); }), s],
      ['bad rng', edit((m) => { m.rngs = [[1, 2], [3]]; }), s],
    ];
    for (const [name, snap, target] of cases) {
      const err = refusedUnchanged(target, 'bad_state', () => restoreSession(target, snap));
      expect(err.message, name).toContain('not a snapshot of this session');
    }
    expect(Array.from(restoreSession(s, good))).toEqual(Array.from(s.currentObs()));
  });

  it('restores an un-reset snapshot as un-reset', () => {
    const fresh = vec();
    const snap = snapshotSession(fresh);
    const s = vec();
    s.reset({ seed: 0 });
    restoreSession(s, snap);
    expect(s.started).toBe(false);
    expect(() => s.step(Float64Array.of(1, 1))).toThrow(expect.objectContaining({ code: 'not_reset' }));
  });
});
