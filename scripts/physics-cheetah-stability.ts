/**
 * HalfCheetah-v0 stability over the whole context grid (issue 3): mass and damping scales in {0.2, 0.6, 1, 1.4, 1.8},
 * random, bang-bang and zero actions, 1000 steps each, plus the open-loop sine gait on every grid point. Prints one row
 * per run and a summary. Usage: node bin/run-ts.mjs scripts/physics-cheetah-stability.ts [steps=1000] [substeps=2]
 */
import { Rng } from '../src/core/rng.js';
import { CheetahWorld, DEFAULT_CHEETAH_SIM } from '../envs/physics/cheetah/world.js';
import { CHEETAH_STATE_SIZE, NQ, generalizedFromState, stateFromGeneralized } from '../envs/physics/cheetah/kinematics.js';
import { LINKS, NUM_JOINTS } from '../envs/physics/cheetah/model.js';
import { thighSineGait } from '../envs/physics/cheetah/gaits.js';

const steps = Number(process.argv[2] ?? 1000);
const substeps = Number(process.argv[3] ?? DEFAULT_CHEETAH_SIM.substeps);
const grid = [0.2, 0.6, 1, 1.4, 1.8];

interface RunStats {
  nan: boolean;
  maxGap: number;
  maxStoredSep: number;
  maxLimitExcess: number;
  maxJointSpeed: number;
  finalX: number;
}

function run(mass: number, damping: number, kind: 'random' | 'bang' | 'zero' | 'sine', seed: number, friction = 0.4, gravity = 9.81): RunStats {
  const world = new CheetahWorld({ ...DEFAULT_CHEETAH_SIM, substeps });
  world.setPhysics({ massScale: mass, dampingScale: damping, friction, gravity });
  const rng = Rng.fromSeed(seed);
  let s = new Float64Array(CHEETAH_STATE_SIZE);
  let n = new Float64Array(CHEETAH_STATE_SIZE);
  const qpos = new Float64Array(NQ);
  const qvel = new Float64Array(NQ);
  for (let k = 0; k < NQ; k++) { qpos[k] = rng.normal(0, 0.001); qvel[k] = rng.normal(0, 0.001); }
  stateFromGeneralized(qpos, qvel, s, 0);
  const a = new Float64Array(NUM_JOINTS);
  const st: RunStats = { nan: false, maxGap: 0, maxStoredSep: 0, maxLimitExcess: 0, maxJointSpeed: 0, finalX: 0 };
  for (let t = 0; t < steps; t++) {
    if (kind === 'sine') thighSineGait(t, a, 0);
    else for (let j = 0; j < NUM_JOINTS; j++) a[j] = kind === 'zero' ? 0 : kind === 'random' ? rng.uniform(-1, 1) : rng.random() < 0.5 ? -1 : 1;
    world.step(s, 0, a, 0, n, 0);
    [s, n] = [n, s];
    for (let k = 0; k < CHEETAH_STATE_SIZE; k++) if (!Number.isFinite(s[k])) st.nan = true;
    st.maxGap = Math.max(st.maxGap, world.gapBeforeProjection);
    st.maxStoredSep = Math.max(st.maxStoredSep, CheetahWorld.jointSeparation(s, 0));
    generalizedFromState(s, 0, qpos, qvel);
    for (let j = 0; j < NUM_JOINTS; j++) {
      const { lo, hi } = LINKS[j + 1];
      const q = qpos[3 + j];
      st.maxLimitExcess = Math.max(st.maxLimitExcess, q - hi, lo - q);
      st.maxJointSpeed = Math.max(st.maxJointSpeed, Math.abs(qvel[3 + j]));
    }
  }
  st.finalX = qpos[0];
  return st;
}

const mm = (x: number) => (x * 1000).toFixed(2);
const summary = { runs: 0, nan: 0, maxGap: 0, maxStoredSep: 0, maxLimitExcess: 0, maxJointSpeed: 0 };
const sineX: number[] = [];
const t0 = performance.now();
console.log('| mass | damping | actions | NaN | max joint gap before projection [mm] | max stored separation [mm] | max limit excess [rad] | max joint speed [rad/s] | final x [m] |');
console.log('|---|---|---|---|---|---|---|---|---|');
let seed = 0;
for (const mass of grid) {
  for (const damping of grid) {
    for (const kind of ['random', 'bang', 'zero', 'sine'] as const) {
      const r = run(mass, damping, kind, seed++);
      summary.runs++;
      if (r.nan) summary.nan++;
      summary.maxGap = Math.max(summary.maxGap, r.maxGap);
      summary.maxStoredSep = Math.max(summary.maxStoredSep, r.maxStoredSep);
      summary.maxLimitExcess = Math.max(summary.maxLimitExcess, r.maxLimitExcess);
      summary.maxJointSpeed = Math.max(summary.maxJointSpeed, r.maxJointSpeed);
      if (kind === 'sine') sineX.push(r.finalX);
      console.log(`| ${mass} | ${damping} | ${kind} | ${r.nan ? 'yes' : 'no'} | ${mm(r.maxGap)} | ${mm(r.maxStoredSep)} | ${r.maxLimitExcess.toFixed(3)} | ${r.maxJointSpeed.toFixed(1)} | ${r.finalX.toFixed(2)} |`);
    }
  }
}
// The optional context parameters at their extremes, at the default masses and damping.
for (const [friction, gravity] of [[0.1, 4], [0.1, 16], [1.2, 4], [1.2, 16]]) {
  for (const kind of ['random', 'bang'] as const) {
    const r = run(1, 1, kind, seed++, friction, gravity);
    summary.runs++;
    if (r.nan) summary.nan++;
    summary.maxGap = Math.max(summary.maxGap, r.maxGap);
    summary.maxStoredSep = Math.max(summary.maxStoredSep, r.maxStoredSep);
    console.log(`| friction ${friction} | gravity ${gravity} | ${kind} | ${r.nan ? 'yes' : 'no'} | ${mm(r.maxGap)} | ${mm(r.maxStoredSep)} | ${r.maxLimitExcess.toFixed(3)} | ${r.maxJointSpeed.toFixed(1)} | ${r.finalX.toFixed(2)} |`);
  }
}
console.log(`\nsubsteps: ${substeps} world.step calls per 0.01 s`);
console.log(`runs: ${summary.runs} x ${steps} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s; runs with NaN: ${summary.nan}`);
console.log(`max joint gap left by the solver within a step: ${mm(summary.maxGap)} mm; max separation in stored states: ${mm(summary.maxStoredSep)} mm`);
console.log(`max joint-limit excess: ${summary.maxLimitExcess.toFixed(3)} rad; max joint speed: ${summary.maxJointSpeed.toFixed(1)} rad/s`);
console.log(`thigh sine gait, x after ${steps} steps (${(steps * 0.05).toFixed(0)} s) over the 25 grid points: min ${Math.min(...sineX).toFixed(2)} m, median ${[...sineX].sort((p, q) => p - q)[12].toFixed(2)} m, max ${Math.max(...sineX).toFixed(2)} m`);
