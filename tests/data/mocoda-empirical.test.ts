/**
 * MOCODA's empirical datasets: the L-shaped Navigation2D data checked against REFERENCE.md 1.3's description (counts,
 * starts, action shapes, the share of states in the entangled quadrant, no diagonal actions, no centre) and against
 * the dynamics recomputed from the formula; the HookSweep2 one-box expert data's episode structure and rewards.
 */
import { describe, expect, it } from 'vitest';
import { datasetFingerprint } from '../../src/data/dataset.js';
import { hookOneBoxExpert, navigationLShaped } from '../../src/data/mocoda/empirical.js';

describe('L-shaped Navigation2D data', () => {
  const d = navigationLShaped({ seed: 0 });

  it('has exactly 40,000 transitions, 20,000 per half, one agent, the empirical policy', () => {
    expect(d.n).toBe(40_000);
    expect(d.observations.length).toBe(80_000);
    expect(d.numAgents).toBe(1);
    expect(new Set(d.agentIds).size).toBe(1);
    expect(d.policy).toBe('empirical');
    // First half: ay carries the drive U[0.4, 0.9) plus noise U(-0.05, 0.05), ax only noise; the second half the other way.
    let bad = 0;
    for (let i = 0; i < d.n; i++) {
      const [drive, noise] = i < 20_000 ? [d.actions[2 * i + 1], d.actions[2 * i]] : [d.actions[2 * i], d.actions[2 * i + 1]];
      if (!(drive >= 0.35 && drive < 0.95) || !(Math.abs(noise) <= 0.05)) bad++;
    }
    expect(bad).toBe(0);
  });

  it('starts episodes where REFERENCE.md says and steps them with the formula', () => {
    let starts = 0;
    let worst = 0;
    let badStarts = 0;
    for (let i = 0; i < d.n; i++) {
      const x = d.observations[2 * i];
      const y = d.observations[2 * i + 1];
      const ax = d.actions[2 * i];
      const ay = d.actions[2 * i + 1];
      const entangled = x > 0.5 && y > 0.5;
      worst = Math.max(worst, Math.abs(d.nextObservations[2 * i] - (entangled ? x + 0.05 * ax - 0.02 * ay : x + 0.05 * ax)));
      worst = Math.max(worst, Math.abs(d.nextObservations[2 * i + 1] - (entangled ? y + 0.05 * ay - 0.02 * ax : y + 0.05 * ay)));
      const isStart = i === 0 || i === 20_000 || d.nextObservations[2 * (i - 1)] !== x || d.nextObservations[2 * (i - 1) + 1] !== y;
      if (!isStart) continue;
      starts++;
      const ok = i < 20_000 ? x >= 0.6 && x < 1 && y >= 0 && y < 0.15 : y >= 0 && y < 0.4 && x >= 0 && x < 0.15;
      if (!ok) badStarts++;
    }
    expect(worst).toBeLessThan(1e-15);
    expect(badStarts).toBe(0);
    // Bottom-to-top episodes take about 0.8 / (0.05 * 0.65) ~ 25 steps: so hundreds of episodes per half.
    expect(starts).toBeGreaterThan(1000);
    expect(starts).toBeLessThan(2000);
  });

  it('puts about 23% of the states in the entangled quadrant, never acts diagonally and never visits the centre', () => {
    let quadrant = 0;
    let diagonal = 0;
    let centre = 0;
    let outside = 0;
    for (let i = 0; i < d.n; i++) {
      const x = d.observations[2 * i];
      const y = d.observations[2 * i + 1];
      if (x > 0.5 && y > 0.5) quadrant++;
      // Diagonal actions: both components beyond the noise level.
      if (Math.min(Math.abs(d.actions[2 * i]), Math.abs(d.actions[2 * i + 1])) > 0.05) diagonal++;
      if (Math.abs(x - 0.5) < 0.05 && Math.abs(y - 0.5) < 0.05) centre++;
      // The arena, give or take the noise's random walk.
      if (!(x > -0.05 && x < 1.05 && y > -0.05 && y < 1.05)) outside++;
    }
    expect([diagonal, centre, outside]).toEqual([0, 0, 0]);
    expect(quadrant / d.n).toBeGreaterThan(0.21);
    expect(quadrant / d.n).toBeLessThan(0.25);
  });

  it('labels rows with the diagonal task and keeps episode ends as timeouts', () => {
    let wrong = 0;
    let goals = 0;
    let ends = 0;
    for (let i = 0; i < d.n; i++) {
      const x = d.nextObservations[2 * i];
      const y = d.nextObservations[2 * i + 1];
      const goal = x > 0.8 && x < 0.9 && y > 0.8 && y < 0.9;
      if (goal) goals++;
      if (d.terminals[i] !== (goal ? 1 : 0) || d.rewards[i] !== (goal ? 0 : -1)) wrong++;
      if (d.timeouts[i]) {
        ends++;
        // The next row starts a new episode.
        if (i + 1 < d.n && i + 1 !== 20_000 && d.observations[2 * (i + 1)] === x && d.observations[2 * (i + 1) + 1] === y) wrong++;
      }
    }
    expect(wrong).toBe(0);
    expect(goals).toBeGreaterThan(0);
    expect(ends).toBeGreaterThan(1000);
  });

  it('is determined by its seed', () => {
    const again = navigationLShaped({ seed: 0, transitions: 2000 });
    expect(datasetFingerprint(again)).toBe(datasetFingerprint(navigationLShaped({ seed: 0, transitions: 2000 })));
    expect(datasetFingerprint(again)).not.toBe(datasetFingerprint(navigationLShaped({ seed: 1, transitions: 2000 })));
  });
});

describe('HookSweep2 one-box expert data', () => {
  const d = hookOneBoxExpert({ seed: 3, transitions: 520 });

  it('is made of 50-step episodes that chain observations, with the definition\'s rewards', () => {
    expect(d.n).toBe(520);
    expect(d.obsSize).toBe(20);
    expect(d.actionSize).toBe(4);
    for (let i = 0; i < d.n; i++) {
      const endOfEpisode = (i + 1) % 50 === 0 || i === d.n - 1;
      expect(d.timeouts[i]).toBe(endOfEpisode ? 1 : 0);
      expect(d.terminals[i]).toBe(0);
      for (let k = 0; k < 4; k++) expect(Math.abs(d.actions[4 * i + k])).toBeLessThanOrEqual(1);
      if (!endOfEpisode) {
        expect(Array.from(d.observations.subarray(20 * (i + 1), 20 * (i + 2)))).toEqual(Array.from(d.nextObservations.subarray(20 * i, 20 * (i + 1))));
      }
      // REFERENCE.md 1.5's reward, recomputed here from the next observation.
      const o = 20 * i;
      const nx = d.nextObservations;
      const d1 = Math.hypot(nx[o + 6] - nx[o + 16], nx[o + 7] - nx[o + 17], nx[o + 8] - 0.42);
      const d2 = Math.hypot(nx[o + 11] - nx[o + 18], nx[o + 12] - nx[o + 19], nx[o + 13] - 0.42);
      const success = d1 <= 0.14 && d2 <= 0.14 ? 1 : 0;
      const clip = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);
      const bonus = clip(0.5 - 5 * Math.abs(nx[o + 2] - 0.42), 0, 0.5) * (1 - success);
      const r = clip(success - 1 - 0.1 * clip(d1 / 0.14, 0, 1) - 0.1 * clip(d2 / 0.14, 0, 1) + bonus, -1, 0);
      expect(d.rewards[i]).toBeCloseTo(r, 12);
    }
  });

  it('moves one box per episode and leaves the other where it started', () => {
    let movedOne = 0;
    for (let e = 0; e < 10; e++) {
      const first = 20 * 50 * e;
      const last = 20 * (50 * e + 49);
      const shift = (k: number) => Math.hypot(d.nextObservations[last + k] - d.observations[first + k], d.nextObservations[last + k + 1] - d.observations[first + k + 1]);
      const s1 = shift(6);
      const s2 = shift(11);
      if (Math.max(s1, s2) > 0.1 && Math.min(s1, s2) < 0.02) movedOne++;
    }
    expect(movedOne).toBeGreaterThanOrEqual(7);
  });
});
