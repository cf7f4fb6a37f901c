/** Top view of the HookSweep2 table as an SVG drawing: table, goals, boxes (with their yaw) and the hook. */
import type { Drawing } from '../../../src/core/definition.js';
import { svgDocument } from '../../render/svg.js';
import { BODY_POS, BODY_QUAT } from '../shared/body-state.js';
import { S_BOX1, S_BOX2, S_GOAL1, S_GOAL2, S_GRIP } from './layout.js';
import { BOX_HALF, HEAD_HALF, HEAD_OFFSET, SHAFT_HALF, SHAFT_OFFSET, SUCCESS_DISTANCE, TABLE_X, TABLE_Y } from './scene.js';

const SCALE = 400; // pixels per metre
const MARGIN = 20;
const W = Math.round((TABLE_X[1] - TABLE_X[0]) * SCALE) + 2 * MARGIN;
const H = Math.round((TABLE_Y[1] - TABLE_Y[0]) * SCALE) + 2 * MARGIN;

/** Draws the scene of the state at states[offset ..]; +x (away from the robot) points right, +y up. */
export function renderHook(states: Float64Array, offset: number, label: string): Drawing {
  const px = (x: number) => (MARGIN + (x - TABLE_X[0]) * SCALE).toFixed(1);
  const py = (y: number) => (H - MARGIN - (y - TABLE_Y[0]) * SCALE).toFixed(1);
  const rect = (cx: number, cy: number, hx: number, hy: number, fill: string, yaw = 0) =>
    `<rect x="${px(cx - hx)}" y="${py(cy + hy)}" width="${(2 * hx * SCALE).toFixed(1)}" height="${(2 * hy * SCALE).toFixed(1)}" fill="${fill}"` +
    (yaw ? ` transform="rotate(${(-yaw * 180 / Math.PI).toFixed(2)} ${px(cx)} ${py(cy)})"` : '') + '/>';
  const body: string[] = [rect((TABLE_X[0] + TABLE_X[1]) / 2, (TABLE_Y[0] + TABLE_Y[1]) / 2, (TABLE_X[1] - TABLE_X[0]) / 2, (TABLE_Y[1] - TABLE_Y[0]) / 2, '#e8dcc8')];
  const colors = ['#d62728', '#1f77b4'];
  [S_GOAL1, S_GOAL2].forEach((g, k) => {
    body.push(`<circle cx="${px(states[offset + g])}" cy="${py(states[offset + g + 1])}" r="${(SUCCESS_DISTANCE * SCALE).toFixed(1)}" fill="none" stroke="${colors[k]}" stroke-dasharray="4 3"/>`);
  });
  [S_BOX1, S_BOX2].forEach((b, k) => {
    const q = offset + b + BODY_QUAT;
    // Yaw of the box about z, from its quaternion (exact for upright boxes, indicative otherwise).
    const yaw = Math.atan2(2 * (states[q + 3] * states[q + 2] + states[q] * states[q + 1]), 1 - 2 * (states[q + 1] ** 2 + states[q + 2] ** 2));
    body.push(rect(states[offset + b + BODY_POS], states[offset + b + BODY_POS + 1], BOX_HALF, BOX_HALF, colors[k], yaw));
  });
  const gx = states[offset + S_GRIP];
  const gy = states[offset + S_GRIP + 1];
  body.push(rect(gx + SHAFT_OFFSET[0], gy + SHAFT_OFFSET[1], SHAFT_HALF[0], SHAFT_HALF[1], '#555'));
  body.push(rect(gx + HEAD_OFFSET[0], gy + HEAD_OFFSET[1], HEAD_HALF[0], HEAD_HALF[1], '#555'));
  body.push(`<circle cx="${px(gx)}" cy="${py(gy)}" r="6" fill="#2ca02c"/>`);
  body.push(`<text x="8" y="16" font-size="13" font-family="sans-serif">${label}</text>`);
  return { mode: 'svg', data: svgDocument(W, H, body) };
}
