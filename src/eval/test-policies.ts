/**
 * Test policies for sim-versus-real comparison. They must differ from every behaviour policy the data came from
 * (random, pure, pure-eps-N), so a model is judged on action sequences it was not trained on:
 *
 * - MountainCar "square-wave": bang-bang pushes (0 or 2) switching on a square wave whose period is drawn per episode
 *   from U(20, 60) steps with a random phase; it swings the car through wide position/velocity ranges without the
 *   feedback of the planning pure controller and without the uniform noise of random data.
 * - CartPole "angle-PD + 25% random": the sign of 10 theta + theta_dot (no cart terms, unlike the behaviour
 *   controller) with a uniform random action 25% of the time, so episodes last long enough for 60-step windows while
 *   visiting states the behaviour controller avoids.
 * - Continuous actions (HalfCheetah and others): per dimension a sum of two sinusoids with per-episode random
 *   frequencies (0.5-3 Hz at 0.05 s per step) and phases, amplitude 0.6 each, clipped to [-1, 1].
 */
import type { Rng } from '../core/rng.js';

/** A stateful policy for one episode. */
export interface EpisodePolicy {
  act(obs: Float64Array, t: number, out: Float64Array): void;
}

/** A test policy: a name, its documentation and a per-episode factory. */
export interface TestPolicy {
  name: string;
  description: string;
  episode(rng: Rng, actionSize: number, discrete: number): EpisodePolicy;
}

const squareWave: TestPolicy = {
  name: 'square-wave',
  description: 'bang-bang pushes (0/2) switching on a square wave, period U(20, 60) steps and random phase per episode',
  episode(rng) {
    const period = rng.uniform(20, 60);
    const phase = rng.uniform(0, 1);
    return { act: (_obs, t, out) => { out[0] = ((t / period + phase) % 1) < 0.5 ? 2 : 0; } };
  },
};

const anglePd: TestPolicy = {
  name: 'angle-pd-eps-25',
  description: 'action 1 when 10 theta + theta_dot > 0 else 0, replaced by a uniform random action with probability 0.25',
  episode(rng) {
    return {
      act: (obs, _t, out) => {
        out[0] = rng.random() < 0.25 ? rng.integer(0, 1) : 10 * obs[2] + obs[3] > 0 ? 1 : 0;
      },
    };
  },
};

const sinusoids: TestPolicy = {
  name: 'two-sinusoids',
  description: 'per action dimension 0.6 sin(2 pi f1 t + p1) + 0.6 sin(2 pi f2 t + p2), f ~ U(0.5, 3) Hz, t = 0.05 s per step, clipped to [-1, 1]',
  episode(rng, actionSize) {
    const f = Array.from({ length: actionSize * 2 }, () => rng.uniform(0.5, 3));
    const p = Array.from({ length: actionSize * 2 }, () => rng.uniform(0, 2 * Math.PI));
    return {
      act: (_obs, t, out) => {
        for (let k = 0; k < actionSize; k++) {
          const s = 0.6 * Math.sin(2 * Math.PI * f[2 * k] * t * 0.05 + p[2 * k]) + 0.6 * Math.sin(2 * Math.PI * f[2 * k + 1] * t * 0.05 + p[2 * k + 1]);
          out[k] = Math.max(-1, Math.min(1, s));
        }
      },
    };
  },
};

/** A uniform random discrete policy, for environments without a dedicated test policy. */
const uniformDiscrete: TestPolicy = {
  name: 'uniform',
  description: 'uniform random actions (no dedicated test policy for this environment)',
  episode(rng, _size, discrete) {
    return { act: (_obs, _t, out) => { out[0] = rng.integer(0, discrete - 1); } };
  },
};

/** The test policy of an environment. */
export function testPolicyFor(envId: string, discrete: number): TestPolicy {
  if (envId === 'MountainCar-v0') return squareWave;
  if (envId === 'CartPole-v0') return anglePd;
  return discrete > 0 ? uniformDiscrete : sinusoids;
}
