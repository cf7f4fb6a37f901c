/**
 * `npm run bench`: every foundation benchmark in one bounded run (about a minute and a half), loopback only.
 * Servers run in child processes; results are printed and written to docs/results/bench-foundation.md with the
 * command and date. Each benchmark reports ratios against a baseline measured in this same run, because the machines
 * are shared and absolute numbers drift from run to run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { benchRoundTrip } from './roundtrip.js';
import { benchBatched } from './batched.js';
import { benchHttp } from './http.js';
import { ROOT, spawnEcho, spawnTwinGym, type BenchSection, type ChildServer } from './util.js';
import { connect } from '../clients/ts/index.js';

const COMMAND = 'npm run bench   # = node bin/run-ts.mjs bench/run-all.ts';

/** Steps the server for a moment so the first measured configuration does not pay its JIT warm-up. */
async function warmUp(server: ChildServer): Promise<void> {
  const c = await connect(`ws://127.0.0.1:${server.port}/v1/ws`);
  for (const [id, n] of [['MountainCar-v0', 1], ['CartPole-v0', 64], ['MountainCar-v0', 1024]] as const) {
    const v = await c.makeVec(id, { numEnvs: n, seed: 0 });
    await v.reset();
    const a = new Int32Array(n).fill(1);
    const end = performance.now() + 400;
    while (performance.now() < end) await v.step(a);
    await v.close();
  }
  await c.close();
}

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const loadBefore = loadavg().map((x) => x.toFixed(2)).join(' ');
  const [twingym, echo] = await Promise.all([spawnTwinGym(), spawnEcho()]);
  const sections: BenchSection[] = [];
  try {
    await warmUp(twingym);
    for (const run of [() => benchRoundTrip(twingym, echo), () => benchBatched(twingym), () => benchHttp(twingym, echo)]) {
      const s = await run();
      sections.push(s);
      process.stdout.write(`\n## ${s.title}\n\n${s.markdown}\n`);
    }
  } finally {
    await Promise.all([twingym.stop(), echo.stop()]);
  }
  const seconds = (performance.now() - t0) / 1000;
  const header = [
    '# Foundation benchmarks',
    '',
    `Command: \`${COMMAND}\``,
    '',
    `Date: ${started.toISOString()}; took ${seconds.toFixed(0)} s. Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; load average before ${loadBefore}, after ${loadavg().map((x) => x.toFixed(2)).join(' ')} (the machine is shared: compare ratios, not absolute numbers, across runs).`,
    '',
    'Server: `node bin/twingym.mjs serve --port 0` in a child process; baseline: `bench/echo-server.ts` in another child process; client: this process. Loopback only.',
  ].join('\n');
  const doc = `${header}\n${sections.map((s) => `\n## ${s.title}\n\n${s.markdown}\n`).join('')}`;
  const dir = join(ROOT, 'docs', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bench-foundation.md'), doc);
  process.stdout.write(`\nwritten to docs/results/bench-foundation.md (${seconds.toFixed(0)} s)\n`);
}

await main();
