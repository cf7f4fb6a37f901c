/**
 * Dependency-free SVG charts: true versus predicted trajectories, one panel per state dimension, and a labelled scatter
 * for 2-D embeddings. Plain SVG so the files open in any browser and diff as text.
 */

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function range(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  }
  if (!(lo < hi)) { lo = (Number.isFinite(lo) ? lo : 0) - 1; hi = lo + 2; }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/**
 * True (solid) versus predicted (dashed) trajectories of T x O arrays, one panel per dimension, with a vertical line
 * where the model switches from true-state inputs to open loop.
 */
export function trajectoryPlot(truth: Float64Array, predicted: Float64Array, O: number, names: readonly string[], title: string, switchStep: number): string {
  const T = truth.length / O;
  const W = 640;
  const PH = 150;
  const M = { l: 70, r: 20, t: 48, b: 24 };
  const H = M.t + O * (PH + M.b) + 10;
  const parts: string[] = [`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-family="sans-serif">${esc(title)}</text>`];
  for (let d = 0; d < O; d++) {
    const col = (a: Float64Array) => Float64Array.from({ length: T }, (_, t) => a[t * O + d]);
    const tr = col(truth);
    const pr = col(predicted);
    const [lo, hi] = range([...tr, ...pr]);
    const top = M.t + d * (PH + M.b);
    const x = (t: number) => (M.l + ((W - M.l - M.r) * t) / Math.max(1, T - 1)).toFixed(1);
    const y = (v: number) => (top + PH - ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo)) * PH).toFixed(1);
    const line = (a: Float64Array) => Array.from(a, (v, t) => `${x(t)},${y(v)}`).join(' ');
    parts.push(
      `<rect x="${M.l}" y="${top}" width="${W - M.l - M.r}" height="${PH}" fill="none" stroke="#999"/>`,
      `<text x="${M.l - 6}" y="${top + 12}" text-anchor="end" font-size="10" font-family="sans-serif">${hi.toPrecision(3)}</text>`,
      `<text x="${M.l - 6}" y="${top + PH}" text-anchor="end" font-size="10" font-family="sans-serif">${lo.toPrecision(3)}</text>`,
      `<text x="${M.l + 6}" y="${top + 14}" font-size="12" font-family="sans-serif">${esc(names[d] ?? `dim ${d}`)}</text>`,
      `<line x1="${x(switchStep)}" y1="${top}" x2="${x(switchStep)}" y2="${top + PH}" stroke="#aaa" stroke-dasharray="3 3"/>`,
      `<polyline points="${line(tr)}" fill="none" stroke="${COLORS[0]}" stroke-width="1.8"/>`,
      `<polyline points="${line(pr)}" fill="none" stroke="${COLORS[1]}" stroke-width="1.8" stroke-dasharray="6 3"/>`,
    );
  }
  parts.push(`<text x="${W - M.r}" y="38" text-anchor="end" font-size="11" font-family="sans-serif"><tspan fill="${COLORS[0]}">true</tspan> / <tspan fill="${COLORS[1]}">predicted</tspan></text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}

/** A scatter of 2-D points coloured by a scalar (blue = low, red = high), optional labels for highlighted points. */
export function scatterPlot(points: ArrayLike<number>, values: ArrayLike<number>, title: string, valueName: string, labels: ReadonlyMap<number, string> = new Map()): string {
  const n = values.length;
  const W = 520;
  const H = 460;
  const M = { l: 50, r: 20, t: 36, b: 40 };
  const xs = Float64Array.from({ length: n }, (_, i) => points[2 * i]);
  const ys = Float64Array.from({ length: n }, (_, i) => points[2 * i + 1]);
  const [x0, x1] = range(xs);
  const [y0, y1] = range(ys);
  let v0 = Infinity;
  let v1 = -Infinity;
  for (let i = 0; i < n; i++) { v0 = Math.min(v0, values[i]); v1 = Math.max(v1, values[i]); }
  if (!(v0 < v1)) v1 = v0 + 1;
  const px = (v: number) => (M.l + ((v - x0) / (x1 - x0)) * (W - M.l - M.r)).toFixed(1);
  const py = (v: number) => (H - M.b - ((v - y0) / (y1 - y0)) * (H - M.t - M.b)).toFixed(1);
  const color = (v: number) => {
    const f = (v - v0) / (v1 - v0);
    return `rgb(${Math.round(255 * f)},${Math.round(60 + 60 * (1 - Math.abs(2 * f - 1)))},${Math.round(255 * (1 - f))})`;
  };
  const parts = [
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-family="sans-serif">${esc(title)}</text>`,
    `<rect x="${M.l}" y="${M.t}" width="${W - M.l - M.r}" height="${H - M.t - M.b}" fill="none" stroke="#999"/>`,
    `<text x="${W / 2}" y="${H - 10}" text-anchor="middle" font-size="11" font-family="sans-serif">component 1 (blue = low ${esc(valueName)} ${v0.toPrecision(3)}, red = high ${v1.toPrecision(3)})</text>`,
  ];
  for (let i = 0; i < n; i++) {
    parts.push(`<circle cx="${px(xs[i])}" cy="${py(ys[i])}" r="${labels.has(i) ? 6 : 3.5}" fill="${color(values[i])}" stroke="${labels.has(i) ? '#000' : 'none'}"/>`);
    const label = labels.get(i);
    if (label) parts.push(`<text x="${Number(px(xs[i])) + 8}" y="${Number(py(ys[i])) - 6}" font-size="11" font-family="sans-serif">${esc(label)}</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}
