/**
 * (a) sequential step round trips per second and (c) their latency: the TS client against `twingym serve` in another
 * process, as a ratio of a raw ws + msgpack echo (bench/echo-server.ts, also another process) answering frames of the
 * same sizes. Two more rows separate the client's cost from the server's: a raw socket against the real server, and the
 * TS client against the echo (an Env built from the real make reply, fed the real step reply by the echo).
 * Rounds of the three configurations alternate (in rotating order) so that machine noise hits them alike; the medians
 * of the rounds are reported, and the ratio of p50 latencies beside the throughput ratio since p50 is less noisy.
 */
import { connect, Env } from '../clients/ts/index.js';
import type { MakeReply } from '../protocol/ts/messages.js';
import { encodeFrame } from '../protocol/ts/frame.js';
import { RawSocket } from './raw-ws.js';
import { median, processCpuUs, quantile, si, table, timedLoop, type BenchSection, type ChildServer } from './util.js';

/** Steps that never end: MountainCar without pushing never reaches the goal, and the time limit is out of reach. */
const ENDLESS = { env_id: 'MountainCar-v0', max_episode_steps: 1_000_000_000 };

interface Config {
  name: string;
  run: () => Promise<unknown>;
  /** The server process this configuration talks to, whose CPU time is charged to it. */
  serverPid: number;
  rates: number[];
  lat: number[];
  calls: number;
  clientCpuUs: number;
  serverCpuUs: number;
}

/** Runs the round-trip benchmark; `roundMs` per configuration per round. */
export async function benchRoundTrip(twingym: ChildServer, echo: ChildServer, roundMs = 300, rounds = 9): Promise<BenchSection & { ratio: number; p50Ratio: number }> {
  const tgWs = `ws://127.0.0.1:${twingym.port}/v1/ws`;
  const echoWs = `ws://127.0.0.1:${echo.port}/v1/ws`;

  // Capture the real step reply so the echo answers with a frame of exactly its size and shape.
  const rawTg = await RawSocket.open(tgWs);
  const made = await rawTg.call({ id: 1, op: 'make', ...ENDLESS });
  const session = made.session as number;
  await rawTg.call({ id: 2, op: 'reset', session, seed: 0 });
  const requestBytes = encodeFrame({ id: 3, op: 'step', session, action: 1 }).byteLength;
  const replyFrame = new Uint8Array(await rawTg.sendRaw(encodeFrame({ id: 3, op: 'step', session, action: 1 })));
  const rawEcho = await RawSocket.open(echoWs);
  await rawEcho.call({ id: 1, op: 'template', frame: replyFrame });

  const echoClient = await connect(echoWs);
  const echoEnv = new Env(echoClient, made as unknown as MakeReply);
  const client = await connect(tgWs);
  const env = await client.make('MountainCar-v0', { maxEpisodeSteps: ENDLESS.max_episode_steps });
  await env.reset({ seed: 0 });

  let id = 10;
  const tgPid = twingym.proc.pid ?? -1;
  const echoPid = echo.proc.pid ?? -1;
  const config = (name: string, serverPid: number, run: () => Promise<unknown>): Config => ({ name, run, serverPid, rates: [], lat: [], calls: 0, clientCpuUs: 0, serverCpuUs: 0 });
  const configs: Config[] = [
    config('raw ws + msgpack -> echo server (baseline)', echoPid, () => rawEcho.call({ id: id++, op: 'step', session, action: 1 })),
    config('raw ws + msgpack -> twingym serve', tgPid, () => rawTg.call({ id: id++, op: 'step', session, action: 1 })),
    config('TS client env.step -> twingym serve', tgPid, () => env.step(1)),
    config('TS client env.step -> echo server (client cost only)', echoPid, () => echoEnv.step(1)),
  ];
  // Warm-up: JIT both processes' paths before anything is recorded.
  for (const c of configs) await timedLoop(200, c.run);
  const echoReplyBytes = (await rawEcho.sendRaw(encodeFrame({ id: id++, op: 'step', session, action: 1 }))).byteLength;

  for (let r = 0; r < rounds; r++) {
    // Rotating the order spreads the cost of going first after another process was busy over all configurations.
    for (let k = 0; k < configs.length; k++) {
      const c = configs[(k + r) % configs.length];
      const cpu0 = process.cpuUsage();
      const srv0 = processCpuUs(c.serverPid);
      const res = await timedLoop(roundMs, c.run);
      const cpu = process.cpuUsage(cpu0);
      const srv1 = processCpuUs(c.serverPid);
      c.calls += res.count;
      c.clientCpuUs += cpu.user + cpu.system;
      c.serverCpuUs += srv0 !== null && srv1 !== null ? srv1 - srv0 : Number.NaN;
      c.rates.push(res.count / res.seconds);
      for (const x of res.latenciesUs) c.lat.push(x);
    }
  }
  await env.close();
  await client.close();
  await echoClient.close();
  rawTg.close();
  rawEcho.close();

  const base = median(configs[0].rates);
  const rows = configs.map((c) => {
    const lat = Float64Array.from(c.lat);
    const rate = median(c.rates);
    return [
      c.name, si(rate), quantile(lat, 0.5).toFixed(1), quantile(lat, 0.99).toFixed(1), (rate / base).toFixed(2),
      (c.clientCpuUs / c.calls).toFixed(1), Number.isNaN(c.serverCpuUs) ? 'n/a' : (c.serverCpuUs / c.calls).toFixed(1),
    ];
  });
  const ratio = median(configs[2].rates) / base;
  const p50 = configs.map((c) => quantile(Float64Array.from(c.lat), 0.5));
  const p50Ratio = p50[0] / p50[2];
  const clientOnly = p50[0] / p50[3];
  const markdown = [
    `Single MountainCar-v0 env, action 1, one request in flight; ${rounds} alternating rounds of ${roundMs} ms per configuration (median of rounds; latency percentiles over every call).`,
    `Frame sizes: request ${requestBytes} B, reply ${replyFrame.byteLength} B (echo reply ${echoReplyBytes} B).`,
    '',
    table(['configuration', 'round trips/s', 'p50 us', 'p99 us', 'ratio vs echo', 'client CPU us/call', 'server CPU us/call'], rows),
    '',
    'CPU columns: user + system time of this process and of the server process over the measured calls, per call (the time of the bench process includes its timing loop; /proc resolution is 10 ms over seconds of calls).',
    '',
    `**TS client / raw echo = ${ratio.toFixed(2)}** by throughput, ${p50Ratio.toFixed(2)} by p50 latency (target >= 0.8).`,
    `Where the time goes (p50): the client library adds ${(p50[3] - p50[0]).toFixed(1)} us to a raw socket (client-only ratio ${clientOnly.toFixed(2)}); the server adds ${(p50[1] - p50[0]).toFixed(1)} us to the echo.`,
  ].join('\n');
  return { title: '(a, c) Sequential step round trips and latency', markdown, ratio, p50Ratio };
}
