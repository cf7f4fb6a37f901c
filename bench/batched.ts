/**
 * (b) batched stepping: env-steps/s for MountainCar-v0 and CartPole-v0 with 1, 64 and 1024 envs per session, over the
 * protocol (TS client -> `twingym serve` in another process; one request in flight, and 4 in flight) and in process
 * (EnvSession.step directly, the ceiling the protocol is measured against). Latency percentiles of the sequential
 * protocol steps are (c) for batches.
 */
import { connect } from '../clients/ts/index.js';
import { EnvSession } from '../src/core/session.js';
import { makeDefinition } from '../envs/registry.js';
import { quantile, si, table, timedLoop, type BenchSection, type ChildServer } from './util.js';

const ENVS = ['MountainCar-v0', 'CartPole-v0'];
const SIZES = [1, 64, 1024];
/** Pre-drawn random action batches, cycled, so action generation costs nothing inside the timed loops. */
const VARIANTS = 16;
/** Each rate is the best of this many runs. */
const ROUNDS = 3;

/** Requests per second with `depth` requests kept in flight for `ms`. */
async function pipelined(call: () => Promise<unknown>, depth: number, ms: number): Promise<number> {
  let done = 0;
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    let inFlight = 0;
    const pump = () => {
      while (inFlight < depth && performance.now() - start < ms) {
        inFlight++;
        call().then(() => { inFlight--; done++; pump(); }, reject);
      }
      if (inFlight === 0) resolve();
    };
    pump();
  });
  return done / ((performance.now() - start) / 1000);
}

/** Uniform random discrete actions (an LCG: reproducible and cheap), VARIANTS batches of n. */
function actionsFor(envId: string, n: number): Int32Array[] {
  const choices = envId === 'CartPole-v0' ? 2 : 3;
  let s = (12345 + n) >>> 0;
  const next = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s; };
  return Array.from({ length: VARIANTS }, () => Int32Array.from({ length: n }, () => (next() >>> 8) % choices));
}

/** Steps per second of a session stepped in this process for `ms`. */
function inProcess(envId: string, n: number, ms: number): number {
  const session = new EnvSession({ definition: makeDefinition(envId), numEnvs: n, vectorized: true, seed: 1 });
  session.reset();
  const acts = actionsFor(envId, n).map((a) => Float64Array.from(a));
  // Warm-up so the JIT has compiled the loop before it is timed.
  for (let k = 0; k < 200; k++) session.step(acts[k % VARIANTS]);
  let count = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let k = 0; k < 20; k++) session.step(acts[(count + k) % VARIANTS]);
    count += 20;
    now = performance.now();
  }
  return (count * n) / ((now - start) / 1000);
}

/** Runs the batched benchmark; `ms` per measurement. */
export async function benchBatched(twingym: ChildServer, ms = 400): Promise<BenchSection & { results: Record<string, number> }> {
  const client = await connect(`ws://127.0.0.1:${twingym.port}/v1/ws`);
  const rows: (string | number)[][] = [];
  const results: Record<string, number> = {};
  for (const envId of ENVS) {
    for (const n of SIZES) {
      const venv = await client.makeVec(envId, { numEnvs: n, seed: 1 });
      await venv.reset();
      const acts = actionsFor(envId, n);
      let k = 0;
      await timedLoop(200, () => venv.step(acts[k++ % VARIANTS]));
      // Best of ROUNDS short runs: on a shared machine interference only ever slows a run down, so the fastest run is
      // the best estimate of what the code can do; every measurement here uses the same rule.
      let seqRate = 0;
      const lat: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const seq = await timedLoop(ms, () => venv.step(acts[k++ % VARIANTS]));
        seqRate = Math.max(seqRate, (seq.count * n) / seq.seconds);
        for (const x of seq.latenciesUs) lat.push(x);
      }

      // 4 requests in flight: the next request is already queued when a reply arrives, hiding the wire latency.
      let pipeRate = 0;
      for (let r = 0; r < ROUNDS; r++) pipeRate = Math.max(pipeRate, await pipelined(() => venv.step(acts[k++ % VARIANTS]), 4, ms) * n);
      await venv.close();

      let local = 0;
      for (let r = 0; r < ROUNDS; r++) local = Math.max(local, inProcess(envId, n, ms));
      results[`${envId}/${n}/protocol`] = seqRate;
      results[`${envId}/${n}/pipelined`] = pipeRate;
      results[`${envId}/${n}/in-process`] = local;
      rows.push([
        envId, n, si(seqRate), si(pipeRate), si(local), (Math.max(seqRate, pipeRate) / local).toFixed(2),
        quantile(Float64Array.from(lat), 0.5).toFixed(0), quantile(Float64Array.from(lat), 0.99).toFixed(0),
      ]);
    }
  }
  await client.close();
  const mc = results['MountainCar-v0/1024/in-process'];
  const mcWire = Math.max(results['MountainCar-v0/1024/protocol'], results['MountainCar-v0/1024/pipelined']);
  const markdown = [
    `Random actions, next_step autoreset; every rate is the best of ${ROUNDS} runs of ${ms} ms. "protocol" = TS client to \`twingym serve\` in another process, one request in flight; "pipelined" = 4 in flight; "in process" = EnvSession.step in this process. Latency percentiles over every sequential protocol step.`,
    '',
    table(['env', 'envs/session', 'protocol env-steps/s', 'pipelined env-steps/s', 'in process env-steps/s', 'best protocol / in process', 'step p50 us', 'step p99 us'], rows),
    '',
    `MountainCar-v0 x 1024: **${si(mc)} env-steps/s in process** (target >= 5 M), **${si(mcWire)} over the protocol** (target >= 1 M).`,
  ].join('\n');
  return { title: '(b, c) Batched stepping', markdown, results };
}
