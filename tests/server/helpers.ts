/**
 * Shared pieces of the server tests: starting servers on free ports, reading tensors out of replies, and MountainCar's
 * transition written out again from REFERENCE.md 1.1 (not imported from envs/), so expected values are derived
 * independently of the code under test.
 */
import { decodeTensor, encodeTensor, tensorNumbers, type DType } from '../../protocol/ts/tensor.js';
import { startServer, type RunningServer, type ServerOptionsInput } from '../../servers/app.js';
import type { Msg } from './raw-client.js';

/** A quiet server on a free port. */
export function quietServer(options: ServerOptionsInput = {}): Promise<RunningServer> {
  return startServer({ port: 0, logLevel: 'silent', ...options });
}

/** A tensor's elements as plain numbers. */
export function numbers(t: unknown): number[] {
  return Array.from(tensorNumbers(decodeTensor(t)));
}

/** A wire tensor built from numbers. */
export function tensor(dtype: DType, shape: number[], values: number[]): Msg {
  return encodeTensor(dtype, shape, values) as unknown as Msg;
}

/** MountainCar's step (REFERENCE.md 1.1) in float64: v' = clip(v + (a-1)F - g cos 3x), x' = clip(x + v'), wall stop. */
export function mountainCarStep(x: number, v: number, a: number, gravity = 0.0025): [number, number] {
  let v2 = v + (a - 1) * 0.001 - gravity * Math.cos(3 * x);
  v2 = Math.min(Math.max(v2, -0.07), 0.07);
  let x2 = Math.min(Math.max(x + v2, -1.2), 0.6);
  if (x2 === -1.2 && v2 < 0) v2 = 0;
  return [x2, v2];
}

/** What an f32 observation of these float64 values looks like after the wire cast. */
export function asF32(values: number[]): number[] {
  return values.map((x) => Math.fround(x));
}

/** Polls `probe` until it returns true (for effects of a disconnect, which the server sees asynchronously). */
export async function eventually(probe: () => Promise<boolean> | boolean, what: string, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never happened: ${what}`);
}

/** The value of one sample line of the Prometheus text, e.g. metric('twingym_sessions_open{transport="ws"}'). */
export function metricValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

/** A bool tensor as {dtype, shape, flags}, for comparing with expected 0/1 lists. */
export function bools(t: unknown): { dtype: string; shape: number[]; flags: number[] } {
  const d = decodeTensor(t);
  return { dtype: d.dtype, shape: d.shape, flags: Array.from(tensorNumbers(d)) };
}
