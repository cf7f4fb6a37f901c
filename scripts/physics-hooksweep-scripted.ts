/**
 * Success rates of the scripted HookSweep2 experts over seeded episodes (issue 3): the two-box sweep (the target task)
 * and the one-box sweep (the paper's kind of empirical data). Usage:
 *   node bin/run-ts.mjs scripts/physics-hooksweep-scripted.ts [episodes=100] [seed=0]
 */
import { EnvSession } from '../src/core/session.js';
import { Rng } from '../src/core/rng.js';
import { buildHookSweep2 } from '../envs/physics/hooksweep/definition.js';
import { HOOK_ACTION_SIZE } from '../envs/physics/hooksweep/layout.js';
import { hookSuccess } from '../envs/physics/hooksweep/task.js';
import { SUCCESS_DISTANCE } from '../envs/physics/hooksweep/scene.js';
import { boxOffset, oneBoxSweeper, twoBoxSweeper } from '../envs/physics/hooksweep/scripted.js';

const episodes = Number(process.argv[2] ?? 100);
const seed0 = Number(process.argv[3] ?? 0);

/** Runs one episode with a policy made from the first observation; returns the last observation and reward. */
function episode(session: EnvSession, seed: number, make: (obs: Float64Array) => { act(obs: Float64Array, o: number, out: Float64Array, ao: number): void }): { first: Float64Array; last: Float64Array; reward: number } {
  let obs = session.reset({ seed }).obs;
  const first = obs.slice();
  const policy = make(obs);
  const a = new Float64Array(HOOK_ACTION_SIZE);
  let reward = 0;
  for (let t = 0; t < session.maxEpisodeSteps; t++) {
    policy.act(obs, 0, a, 0);
    const r = session.step(a);
    obs = r.obs;
    reward = r.reward[0];
  }
  return { first, last: obs, reward };
}

const def = buildHookSweep2({ goal_side: 'random' });
const session = new EnvSession({ definition: def });
let twoOk = 0;
let twoAway = 0;
let twoAwayOk = 0;
const t0 = performance.now();
for (let e = 0; e < episodes; e++) {
  const r = episode(session, seed0 + e, (obs) => twoBoxSweeper(obs, 0));
  const away = (r.first[16] + r.first[18]) / 2 > 1.85;
  if (away) twoAway++;
  if (hookSuccess(r.reward)) { twoOk++; if (away) twoAwayOk++; }
}
const tTwo = performance.now() - t0;

let oneOk = 0;
let oneTaskOk = 0;
let noPlan = 0;
for (let e = 0; e < episodes; e++) {
  const rng = Rng.fromSeed(1_000_000 + seed0 + e);
  let choice = { box: -1, away: false, targetX: NaN };
  const r = episode(session, seed0 + e, (obs) => {
    const s = oneBoxSweeper(obs, 0, rng);
    choice = s.choice;
    return s.policy;
  });
  if (hookSuccess(r.reward)) oneTaskOk++;
  if (choice.box < 0) { noPlan++; continue; }
  const k = choice.box;
  const mo = boxOffset(k);
  const so = boxOffset(1 - k);
  const movedOk = Math.hypot(r.last[mo] - choice.targetX, r.last[mo + 1] - r.first[mo + 1]) <= SUCCESS_DISTANCE;
  const otherStill = Math.hypot(r.last[so] - r.first[so], r.last[so + 1] - r.first[so + 1]) < 0.02;
  if (movedOk && otherStill) oneOk++;
}
// The paper's data adds Gaussian noise (std 0.1) to half of the expert's steps.
let noisyOk = 0;
for (let e = 0; e < episodes; e++) {
  const rng = Rng.fromSeed(2_000_000 + seed0 + e);
  let choice = { box: -1, away: false, targetX: NaN };
  const r = episode(session, seed0 + e, (obs) => {
    const s = oneBoxSweeper(obs, 0, rng, 0.1);
    choice = s.choice;
    return s.policy;
  });
  if (choice.box < 0) continue;
  const mo = boxOffset(choice.box);
  const so = boxOffset(1 - choice.box);
  if (Math.hypot(r.last[mo] - choice.targetX, r.last[mo + 1] - r.first[mo + 1]) <= SUCCESS_DISTANCE && Math.hypot(r.last[so] - r.first[so], r.last[so + 1] - r.first[so + 1]) < 0.02) noisyOk++;
}
session.close();
const pct = (k: number, n: number) => `${k}/${n} (${((100 * k) / Math.max(1, n)).toFixed(0)}%)`;
console.log(`HookSweep2 scripted experts, ${episodes} episodes, seeds ${seed0}..${seed0 + episodes - 1}`);
console.log(`two-box sweep: task success ${pct(twoOk, episodes)}; goals away ${pct(twoAwayOk, twoAway)}, toward ${pct(twoOk - twoAwayOk, episodes - twoAway)}`);
console.log(`one-box sweep: chosen box within ${SUCCESS_DISTANCE} m of its side's goal x (own y) with the other box moved < 2 cm: ${pct(oneOk, episodes)}; no safe plan: ${noPlan}; two-box task success (should be ~0): ${pct(oneTaskOk, episodes)}`);
console.log(`one-box sweep with N(0, 0.1) action noise on half of the steps: ${pct(noisyOk, episodes)}`);
console.log(`time: ${(tTwo / (episodes * 75) * 1000).toFixed(0)} us per env step (two-box run, one instance)`);
