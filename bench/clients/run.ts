/**
 * Client benchmark: sequential steps per second (one single-env step per round trip) and batched env-steps per second
 * (a 256-env vector session) for the Python and Go clients, each as a ratio of the TypeScript client measured in the
 * same run against the same server. Rounds alternate the clients in rotating order so machine noise hits them alike;
 * medians of the rounds are reported.
 *
 *   node bin/run-ts.mjs bench/clients/run.ts [--rounds 5] [--seconds 1.5] [--envs 256]
 *
 * Needs clients/python/.venv (scripts/test-python.sh creates it) and Go. Aims: Python >= 0.7, Go >= 0.9 of the
 * TypeScript client for sequential steps.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '../../clients/ts/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const ROUNDS = arg('rounds', 5);
const SECONDS = arg('seconds', 1.5);
const NUM_ENVS = arg('envs', 256);

type Mode = 'seq' | 'batch';
interface Rate { calls_per_s: number; env_steps_per_s: number }

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

async function startServer(): Promise<{ proc: ChildProcess; url: string }> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['bin/twingym.mjs', 'serve', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn'], { cwd: ROOT, stdio: 'ignore' });
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.status === 200) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error('the server did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { proc, url: `ws://127.0.0.1:${port}/v1/ws` };
}

async function measureTs(url: string, mode: Mode): Promise<Rate> {
  const client = await connect(url);
  try {
    const n = mode === 'batch' ? NUM_ENVS : 1;
    // MountainCar's "no push" action never reaches the goal, so no episode ends during the measurement.
    const env = mode === 'batch'
      ? await client.makeVec('MountainCar-v0', { numEnvs: n, maxEpisodeSteps: 1_000_000_000 })
      : await client.make('MountainCar-v0', { maxEpisodeSteps: 1_000_000_000 });
    await env.reset({ seed: 0 });
    const action = mode === 'batch' ? new Int32Array(n).fill(1) : 1;
    const loop = async (seconds: number) => {
      const start = performance.now();
      const end = start + seconds * 1000;
      let steps = 0;
      for (;;) {
        for (let k = 0; k < 50; k++) await (env as { step(a: unknown): Promise<unknown> }).step(action);
        steps += 50;
        const now = performance.now();
        if (now >= end) return { steps, seconds: (now - start) / 1000 };
      }
    };
    await loop(0.3);
    const { steps, seconds } = await loop(SECONDS);
    await env.close();
    return { calls_per_s: steps / seconds, env_steps_per_s: (steps * n) / seconds };
  } finally {
    await client.close();
  }
}

function runJson(cmd: string, args: string[], cwd: string): Rate {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error}`);
  const line = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as Rate;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
  const python = join(ROOT, 'clients', 'python', '.venv', 'bin', 'python');
  if (!existsSync(python)) {
    console.error('clients/python/.venv is missing: run scripts/test-python.sh once to create it');
    process.exit(2);
  }
  const goBin = join(mkdtempSync(join(tmpdir(), 'twingym-bench-')), 'twingym-bench');
  const build = spawnSync('go', ['build', '-o', goBin, './cmd/twingym-bench'], { cwd: join(ROOT, 'clients', 'go'), encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`go build failed: ${build.stderr}`);

  const { proc, url } = await startServer();
  const results: Record<Mode, Record<string, Rate[]>> = { seq: { ts: [], python: [], go: [] }, batch: { ts: [], python: [], go: [] } };
  try {
    await measureTs(url, 'seq'); // JIT warm-up of server and client
    const clients: Record<string, (mode: Mode) => Promise<Rate>> = {
      ts: (mode) => measureTs(url, mode),
      python: async (mode) => runJson(python, [join(ROOT, 'bench', 'clients', 'bench_python.py'), url, mode, String(SECONDS), String(NUM_ENVS)], ROOT),
      go: async (mode) => runJson(goBin, ['-url', url, '-mode', mode, '-seconds', String(SECONDS), '-envs', String(NUM_ENVS)], ROOT),
    };
    const names = Object.keys(clients);
    for (const mode of ['seq', 'batch'] as Mode[]) {
      for (let r = 0; r < ROUNDS; r++) {
        for (let k = 0; k < names.length; k++) {
          const name = names[(r + k) % names.length];
          results[mode][name].push(await clients[name](mode));
        }
      }
    }
  } finally {
    proc.kill('SIGTERM');
  }

  const row = (mode: Mode, name: string, key: keyof Rate) => median(results[mode][name].map((x) => x[key]));
  // Ratios are paired per round (each client against the TS measurement of the same round, taken seconds apart),
  // which cancels most of the drift of a shared machine; the median over rounds is reported.
  const ratio = (mode: Mode, name: string, key: keyof Rate) =>
    median(results[mode][name].map((x, r) => x[key] / results[mode].ts[r][key]));
  const spread = (mode: Mode, name: string, key: keyof Rate) => {
    const rs = results[mode][name].map((x, r) => x[key] / results[mode].ts[r][key]).sort((a, b) => a - b);
    return `${rs[0].toFixed(2)}-${rs[rs.length - 1].toFixed(2)}`;
  };
  console.log(`TwinGym client benchmark: ${ROUNDS} rounds x ${SECONDS} s per client, MountainCar-v0, loopback`);
  console.log(`command: node bin/run-ts.mjs bench/clients/run.ts --rounds ${ROUNDS} --seconds ${SECONDS} --envs ${NUM_ENVS}`);
  console.log('');
  console.log(`| client | sequential steps/s | ratio to TS (range) | batched env-steps/s (${NUM_ENVS} envs) | ratio to TS (range) |`);
  console.log('|---|---|---|---|---|');
  for (const name of ['ts', 'python', 'go']) {
    const seq = row('seq', name, 'calls_per_s');
    const bat = row('batch', name, 'env_steps_per_s');
    console.log(`| ${name} | ${seq.toFixed(0)} | ${ratio('seq', name, 'calls_per_s').toFixed(2)} (${spread('seq', name, 'calls_per_s')}) | ${bat.toFixed(0)} | ${ratio('batch', name, 'env_steps_per_s').toFixed(2)} (${spread('batch', name, 'env_steps_per_s')}) |`);
  }
  const py = ratio('seq', 'python', 'calls_per_s');
  const go = ratio('seq', 'go', 'calls_per_s');
  console.log('');
  console.log(`aims (sequential): python ${py.toFixed(2)} (>= 0.7 ${py >= 0.7 ? 'met' : 'NOT met'}), go ${go.toFixed(2)} (>= 0.9 ${go >= 0.9 ? 'met' : 'NOT met'})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
