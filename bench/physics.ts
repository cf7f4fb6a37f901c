/**
 * Physics environment benchmark (issue 3): microseconds per env step for HalfCheetah-v0 and HookSweep2-v0, one
 * instance and 64 instances, single-threaded and with worker threads on every core. Baseline measured in the same run:
 * the bare kernel loop (restore + world steps + save, no session), so the ratios show session overhead and the
 * worker speed-up. Usage: node bin/run-ts.mjs bench/physics.ts [seconds per round = 1] [rounds = 7]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { EnvSession } from '../src/core/session.js';
import type { EnvDefinition } from '../src/core/definition.js';
import { buildHalfCheetah } from '../envs/physics/cheetah/definition.js';
import { buildHookSweep2 } from '../envs/physics/hooksweep/definition.js';
import { CheetahKernel } from '../envs/physics/cheetah/kernel.js';
import { HookKernel } from '../envs/physics/hooksweep/kernel.js';
import { PhysicsDynamics } from '../envs/physics/shared/parallel.js';
import type { PhysicsKernel } from '../envs/physics/shared/kernel.js';
import { Rng } from '../src/core/rng.js';

const seconds = Number(process.argv[2] ?? 1);
const rounds = Number(process.argv[3] ?? 7);

/** Wall-clock, process CPU and busiest-thread CPU microseconds per env step. */
interface Timing {
  wall: number;
  cpu: number;
  /** CPU of the thread that worked most (NaN without /proc): the wall time this would take with a free core per thread. */
  busiest: number;
}

/** CPU ticks (user + system) of every thread of this process, by thread id, from /proc (Linux only). */
function threadTicks(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, Number(fields[11]) + Number(fields[12])); // utime, stime (fields 14 and 15 of stat)
    }
  } catch {
    // not Linux: the busiest-thread column stays empty
  }
  return out;
}

/** Microseconds per clock tick of /proc's CPU times (USER_HZ is 100 on Linux). */
const TICK_US = 10_000;

/**
 * Runs fn repeatedly for about `seconds` after a warm-up. The machine is shared, so besides wall-clock time the
 * process CPU time (all its threads) is reported: it moves much less when other processes compete for the cores.
 */
function timeIt(fn: () => void, perCall: number): Timing {
  const warm = performance.now();
  while (performance.now() - warm < 200) fn();
  let calls = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const k0 = threadTicks();
  while (performance.now() - t0 < seconds * 1000) {
    fn();
    calls++;
  }
  const c = process.cpuUsage(c0);
  const k1 = threadTicks();
  let busiest = k1.size ? 0 : NaN;
  for (const [tid, ticks] of k1) busiest = Math.max(busiest, ticks - (k0.get(tid) ?? 0));
  const per = calls * perCall;
  return { wall: ((performance.now() - t0) * 1000) / per, cpu: (c.user + c.system) / per, busiest: (busiest * TICK_US) / per };
}

function kernelLoop(def: EnvDefinition, kernel: PhysicsKernel): Timing {
  const S = def.stateSize;
  const rng = Rng.fromSeed(1);
  const states = new Float64Array(S);
  def.initial(rng, def.context.defaults, 0, states, 0);
  const next = new Float64Array(S);
  const actions = new Float64Array(def.actionSpace.size);
  let t = 0;
  return timeIt(() => {
    for (let k = 0; k < actions.length; k++) actions[k] = Math.sin(0.3 * t + k);
    kernel.step(states, actions, def.context.defaults, next, 0, 1);
    states.set(next);
    if (++t % def.maxEpisodeSteps === 0) def.initial(rng, def.context.defaults, 0, states, 0);
  }, 1);
}

/** A session of n envs stepping random-ish actions; each call of the returned function times one round. */
function sessionRounds(def: EnvDefinition, dynamics: PhysicsDynamics, n: number): { round: () => Timing; close: () => void } {
  const session = new EnvSession({ definition: def, numEnvs: n, dynamics, autoreset: n > 1 ? 'next_step' : undefined, vectorized: n > 1 });
  session.reset({ seed: 0 });
  const actions = new Float64Array(n * def.actionSpace.size);
  let t = 0;
  const stepOnce = () => {
    for (let k = 0; k < actions.length; k++) actions[k] = Math.sin(0.3 * t + k);
    const r = session.step(actions);
    t++;
    if (n === 1 && (r.truncated[0] || r.terminated[0])) session.reset();
  };
  return { round: () => timeIt(stepOnce, n), close: () => session.close() };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median wall and CPU over rounds. */
function medianTiming(ts: Timing[]): Timing {
  return { wall: median(ts.map((t) => t.wall)), cpu: median(ts.map((t) => t.cpu)), busiest: median(ts.map((t) => t.busiest)) };
}

const cores = availableParallelism();
console.log(`# physics benchmark: ${cores} cores, ${seconds} s per round, load average before ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('| env | configuration | wall us per env step | CPU us per env step (all threads) | busiest thread CPU us per env step | cores the process got (CPU / wall) | wall ratio to bare kernel |');
console.log('|---|---|---|---|---|---|---|');
for (const [def, make] of [[buildHalfCheetah({}), () => new CheetahKernel()], [buildHookSweep2({}), () => new HookKernel()]] as const) {
  kernelLoop(def, make()); // JIT warm-up of the physics code, discarded: the first run of a process is 5-15x slower
  const base = kernelLoop(def, make());
  const row = (label: string, t: Timing) => console.log(`| ${def.id} | ${label} | ${t.wall.toFixed(1)} | ${t.cpu.toFixed(1)} | ${t.busiest.toFixed(1)} | ${(t.cpu / t.wall).toFixed(2)} | ${(t.wall / base.wall).toFixed(2)} |`);
  row('bare kernel loop, 1 instance (baseline)', base);
  const single = sessionRounds(def, new PhysicsDynamics(def.id, def.options, make, { workers: 0 }), 1);
  row('session, 1 instance', single.round());
  single.close();
  // One thread and all cores alternate in short rounds so load from other processes hits both alike.
  const serial = sessionRounds(def, new PhysicsDynamics(def.id, def.options, make, { workers: 0 }), 64);
  const dyn = new PhysicsDynamics(def.id, def.options, make, { workers: cores - 1, minBatch: 2, blockingStart: true });
  const threaded = sessionRounds(def, dyn, 64);
  // Unmeasured rounds first: a worker compiles the TypeScript sources and warms up its own JIT (seconds of CPU).
  for (let r = 0; r < 2; r++) {
    serial.round();
    threaded.round();
  }
  const s1: Timing[] = [];
  const s2: Timing[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const a = serial.round();
    const b = threaded.round();
    s1.push(a);
    s2.push(b);
    ratios.push(a.wall / b.wall);
  }
  serial.close();
  threaded.close();
  row(`session, 64 instances, 1 thread (median of ${rounds} rounds)`, medianTiming(s1));
  row(`session, 64 instances, ${cores} threads: ${cores - 1} worker + session thread (median of ${rounds} rounds)`, medianTiming(s2));
  console.log(`| ${def.id} | wall-clock speed-up of ${cores} threads over 1, 64 instances (median of per-round ratios; rounds: ${ratios.map((x) => x.toFixed(2)).join(', ')}) | ${median(ratios).toFixed(2)}x | | | | |`);
  const s1m = medianTiming(s1);
  const s2m = medianTiming(s2);
  console.log(`| ${def.id} | speed-up with a free core per thread (busiest-thread CPU, 1 thread / ${cores} threads) | ${(s1m.busiest / s2m.busiest).toFixed(2)}x | | | | |`);
}
console.log(`load average after ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
