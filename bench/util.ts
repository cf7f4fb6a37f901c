/**
 * Shared pieces of the benchmarks: child server processes (so client and server do not share an event loop),
 * time-bounded loops, percentiles and table formatting. Nothing here asserts anything: benchmarks print what they
 * measured and ratios against baselines measured in the same run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** The repository root (bench/..), so the benchmarks run from any working directory. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Children still running; killed if this process exits early (an exception, Ctrl-C) so no server outlives a run. */
const children = new Set<ChildProcess>();
process.once('exit', () => { for (const c of children) c.kill('SIGKILL'); });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

/** A server running in a child process. */
export interface ChildServer {
  /** The first URL the child printed (http://host:port). */
  httpUrl: string;
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Spawns `node <args>` in the repository root and waits for a line matching `ready` whose first group is the
 * http URL. Port 0 is passed by callers, so the OS picks a free port and no port can be taken in between.
 */
export function spawnServer(args: string[], ready: RegExp, timeoutMs = 20_000): Promise<ChildServer> {
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  let output = '';
  return new Promise((resolveP, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`server ${args.join(' ')} not ready after ${timeoutMs} ms:\n${output}`)); }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = ready.exec(output);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      // Keep draining so a chatty child never blocks on a full pipe.
      proc.stdout!.resume();
      const httpUrl = m[1];
      const port = Number(new URL(httpUrl).port);
      resolveP({
        httpUrl,
        port,
        proc,
        stop: () => new Promise<void>((r) => {
          if (proc.exitCode !== null) return r();
          const kill = setTimeout(() => proc.kill('SIGKILL'), 3000);
          proc.once('exit', () => { clearTimeout(kill); r(); });
          proc.kill('SIGTERM');
        }),
      });
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code} before it was ready:\n${output}`)); });
  });
}

/** Starts `twingym serve --port 0` in its own process. */
export function spawnTwinGym(): Promise<ChildServer> {
  return spawnServer(['bin/twingym.mjs', 'serve', '--port', '0', '--log-level', 'warn'], /twingym listening on (http:\/\/[^\s]+)/);
}

/** Starts bench/echo-server.ts (raw ws + msgpack echo and a trivial fastify route) in its own process. */
export function spawnEcho(): Promise<ChildServer> {
  return spawnServer(['bin/run-ts.mjs', 'bench/echo-server.ts'], /echo listening on (http:\/\/[^\s]+)/);
}

/** Runs `fn` sequentially until `ms` have passed; returns the per-call latencies in microseconds. */
export async function timedLoop(ms: number, fn: () => Promise<unknown>): Promise<{ count: number; seconds: number; latenciesUs: Float64Array }> {
  const lat: number[] = [];
  const start = performance.now();
  const end = start + ms;
  let now = start;
  while (now < end) {
    const t0 = now;
    await fn();
    now = performance.now();
    lat.push((now - t0) * 1000);
  }
  return { count: lat.length, seconds: (now - start) / 1000, latenciesUs: Float64Array.from(lat) };
}

/** The q-quantile (0..1) by nearest rank. */
export function quantile(values: Float64Array, q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** The median of a few numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Human formatting: 1234567 -> "1.23 M". */
export function si(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k`;
  return x.toFixed(x >= 100 ? 0 : 1);
}

/** A markdown table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** One benchmark's output: a title, its markdown body, and headline numbers for the summary. */
export interface BenchSection {
  title: string;
  markdown: string;
}

/**
 * CPU time (user + system) a process has used, in microseconds, from /proc (Linux). Null elsewhere: the benchmarks
 * then leave the CPU columns out rather than guess.
 */
export function processCpuUs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1e6) / CLOCK_TICKS : null;
  } catch {
    return null;
  }
}

/** Linux's USER_HZ, which /proc/<pid>/stat counts in; it is 100 on every mainstream kernel configuration. */
const CLOCK_TICKS = 100;
