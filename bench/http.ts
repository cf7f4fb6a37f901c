/**
 * (d) the HTTP JSON step API under autocannon: POST /v1/sessions/:sid/step on `twingym serve` in another process,
 * against a trivial fastify route (bench/echo-server.ts, another process) that parses the same request body and answers
 * a body of the same size, measured in the same run with the same load.
 */
import { createRequire } from 'node:module';
import { Agent, request } from 'node:http';
import { quantile, table, timedLoop, type BenchSection, type ChildServer } from './util.js';

/** The part of autocannon's result this bench reads (the package ships no type declarations). */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (opts: {
  url: string; method: 'POST'; body: string; headers: Record<string, string>; connections: number; duration: number; pipelining?: number;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

async function postJson(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

/**
 * p50/p99 of sequential POSTs on one keep-alive connection, in microseconds: autocannon's histogram has 1 ms
 * resolution, too coarse for loopback requests.
 */
async function sequentialLatency(url: string, body: string, ms: number): Promise<{ p50: number; p99: number; rps: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const u = new URL(url);
  const once = () => new Promise<void>((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
  await timedLoop(200, once);
  const r = await timedLoop(ms, once);
  agent.destroy();
  return { p50: quantile(r.latenciesUs, 0.5), p99: quantile(r.latenciesUs, 0.99), rps: r.count / r.seconds };
}

/** Runs the HTTP benchmark; `seconds` per autocannon run. */
export async function benchHttp(twingym: ChildServer, echo: ChildServer, seconds = 3, connections = 8): Promise<BenchSection & { rps: number; baseRps: number }> {
  const made = await postJson(`${twingym.httpUrl}/v1/sessions`, { env_id: 'MountainCar-v0', max_episode_steps: 1_000_000_000 });
  if (made.status !== 200) throw new Error(`POST /v1/sessions answered ${made.status}: ${made.text}`);
  const sid = (JSON.parse(made.text) as { session: string }).session;
  await postJson(`${twingym.httpUrl}/v1/sessions/${sid}/reset`, { seed: 0 });
  const body = JSON.stringify({ action: 1 });
  const sample = await postJson(`${twingym.httpUrl}/v1/sessions/${sid}/step`, { action: 1 });
  if (sample.status !== 200) throw new Error(`step answered ${sample.status}: ${sample.text}`);
  await postJson(`${echo.httpUrl}/template`, JSON.parse(sample.text));
  const echoSample = await postJson(`${echo.httpUrl}/step`, { action: 1 });

  const headers = { 'content-type': 'application/json' };
  const run = (url: string) => autocannon({ url, method: 'POST', body, headers, connections, duration: seconds });
  // Short warm-ups so both servers are compiled before the measured runs.
  await autocannon({ url: `${echo.httpUrl}/step`, method: 'POST', body, headers, connections, duration: 1 });
  await autocannon({ url: `${twingym.httpUrl}/v1/sessions/${sid}/step`, method: 'POST', body, headers, connections, duration: 1 });
  const base = await run(`${echo.httpUrl}/step`);
  const step = await run(`${twingym.httpUrl}/v1/sessions/${sid}/step`);
  const baseSeq = await sequentialLatency(`${echo.httpUrl}/step`, body, 1000);
  const stepSeq = await sequentialLatency(`${twingym.httpUrl}/v1/sessions/${sid}/step`, body, 1000);
  await fetch(`${twingym.httpUrl}/v1/sessions/${sid}`, { method: 'DELETE' });

  const row = (name: string, r: AutocannonResult, seq: { p50: number; p99: number; rps: number }) => [
    name, r.requests.average.toFixed(0), r.latency.p50.toFixed(0), r.latency.p99.toFixed(0), r.errors + r.timeouts, r.non2xx,
    seq.rps.toFixed(0), seq.p50.toFixed(0), seq.p99.toFixed(0),
  ];
  const markdown = [
    `autocannon, ${connections} connections, ${seconds} s each, body \`${body}\`; reply bodies: step ${sample.text.length} B, baseline ${echoSample.text.length} B.`,
    '',
    table(['route', 'autocannon req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'sequential req/s', 'sequential p50 us', 'sequential p99 us'], [
      row('fastify POST /step returning the same JSON (baseline)', base, baseSeq),
      row('twingym POST /v1/sessions/:sid/step (MountainCar-v0)', step, stepSeq),
    ]),
    '',
    'autocannon latencies have 1 ms resolution; the sequential columns are one keep-alive connection, one request at a time, 1 s.',
    '',
    `**step API / trivial route = ${(step.requests.average / base.requests.average).toFixed(2)}**.`,
  ].join('\n');
  return { title: '(d) HTTP JSON step API', markdown, rps: step.requests.average, baseRps: base.requests.average };
}
