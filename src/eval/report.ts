/**
 * Writing comparison results as files: a markdown table (RMSE mean / median and R^2 mean / median per agent), the
 * same numbers as JSON, and one SVG per agent with true versus predicted trajectories of its first episode.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContextMap } from '../../protocol/ts/spaces.js';
import type { ComparisonResult } from './compare.js';
import { trajectoryPlot } from './plots.js';

/** One row of a comparison table. */
export interface AgentComparison {
  /** Agent id in the model (or -1 for a personalised agent). */
  agent: number;
  label: string;
  context: ContextMap;
  result: ComparisonResult;
}

/** Formats a number for tables: fixed 4 decimals above 1e-3, otherwise 2 significant digits in exponent form. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(4) : x.toExponential(2);
}

/** A markdown table of comparisons. */
export function comparisonTable(rows: readonly AgentComparison[]): string {
  const lines = [
    '| agent | context | RMSE mean | RMSE median | R^2 mean | R^2 median | episodes (left out) | mean window |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const ctx = Object.entries(r.context).map(([k, v]) => `${k}=${Number(v.toPrecision(4))}`).join(', ');
    const window = r.result.episodes.reduce((s, e) => s + e.length, 0) / r.result.episodes.length;
    lines.push(`| ${r.label} | ${ctx} | ${fmt(r.result.rmseMean)} | ${fmt(r.result.rmseMedian)} | ${fmt(r.result.r2Mean)} | ${fmt(r.result.r2Median)} | ${r.result.episodes.length} (${r.result.excluded}) | ${window.toFixed(1)} |`);
  }
  return lines.join('\n');
}

/** The JSON form (numbers only, no trajectories). */
export function comparisonJson(rows: readonly AgentComparison[]): Array<Record<string, unknown>> {
  return rows.map((r) => ({
    agent: r.agent, label: r.label, context: r.context, env: r.result.envId, policy: r.result.policy,
    warmup: r.result.warmup, horizon: r.result.horizon, episodes: r.result.episodes.length, excluded: r.result.excluded,
    window_lengths: r.result.episodes.map((e) => e.length),
    rmse_mean: r.result.rmseMean, rmse_median: r.result.rmseMedian, r2_mean: r.result.r2Mean, r2_median: r.result.r2Median,
    rmse_per_episode: r.result.episodes.map((e) => e.rmse),
  }));
}

/**
 * Writes `<base>.md`, `<base>.json` and `<base>-<label>.svg` per agent into outDir; returns the written paths.
 * `header` is prepended to the markdown (title, command, model).
 */
export async function writeComparisonReport(outDir: string, base: string, rows: readonly AgentComparison[], header: string, dimNames: readonly string[]): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  const first = rows[0]?.result;
  const proto = first
    ? `Protocol: test policy "${first.policy}" (${first.policyDescription}); the model is fed true states for ${first.warmup} steps, then runs up to ${first.horizon} steps open loop (a window ends where the real episode terminates; episodes that terminate within the warm-up are left out); RMSE over all dimensions and open-loop steps; R^2 variance-weighted over dimensions; mean and median over episodes.`
    : '';
  const md = `${header}\n\n${proto}\n\n${comparisonTable(rows)}\n`;
  await writeFile(join(outDir, `${base}.md`), md);
  written.push(join(outDir, `${base}.md`));
  await writeFile(join(outDir, `${base}.json`), `${JSON.stringify(comparisonJson(rows), null, 2)}\n`);
  written.push(join(outDir, `${base}.json`));
  for (const r of rows) {
    const ep = r.result.episodes[0];
    if (!ep?.truth || !ep.predicted) continue;
    const file = join(outDir, `${base}-${r.label.replace(/[^A-Za-z0-9_.-]+/g, '_')}.svg`);
    const title = `${r.result.envId} ${r.label}: episode 0, RMSE ${fmt(ep.rmse)}, R^2 ${fmt(ep.r2)}`;
    await writeFile(file, trajectoryPlot(ep.truth, ep.predicted, r.result.obsSize, dimNames, title, r.result.warmup));
    written.push(file);
  }
  return written;
}
