/** Side view of the cheetah as an SVG drawing: floor, capsules of every link, and a few numbers. */
import type { Drawing } from '../../../src/core/definition.js';
import { svgDocument } from '../../render/svg.js';
import { BODY_STATE_SIZE } from '../shared/body-state.js';
import { linkAngle, rootX } from './kinematics.js';
import { CAPSULE_RADIUS, LINKS, linkBodies, rotX, rotZ } from './model.js';

const BODIES = linkBodies();
const W = 640;
const H = 320;
const SCALE = 200; // pixels per metre

/** Draws the cheetah state at states[offset ..], with the camera following the torso. */
export function renderCheetah(states: Float64Array, offset: number, label: string): Drawing {
  const cx = rootX(states, offset);
  const px = (x: number) => (W / 2 + (x - cx) * SCALE).toFixed(1);
  const pz = (z: number) => (H - 40 - z * SCALE).toFixed(1);
  const body: string[] = [];
  body.push(`<line x1="0" y1="${pz(0)}" x2="${W}" y2="${pz(0)}" stroke="#555" stroke-width="2"/>`);
  // Ticks every half metre show motion although the camera follows the cheetah.
  for (let k = Math.ceil((cx - 2) * 2); k <= Math.floor((cx + 2) * 2); k++) {
    body.push(`<line x1="${px(k / 2)}" y1="${pz(0)}" x2="${px(k / 2)}" y2="${(Number(pz(0)) + 8).toFixed(1)}" stroke="#555"/>`);
  }
  for (let i = 0; i < LINKS.length; i++) {
    const o = offset + i * BODY_STATE_SIZE;
    const th = linkAngle(states, offset, i);
    const b = BODIES[i];
    for (const g of LINKS[i].geoms) {
      const gx = rotX(th, g.x - b.comX, g.z - b.comZ) + states[o];
      const gz = rotZ(th, g.x - b.comX, g.z - b.comZ) + states[o + 2];
      const ax = Math.sin(th + g.tilt) * g.half;
      const az = Math.cos(th + g.tilt) * g.half;
      const color = i === 0 ? '#8c6d46' : i <= 3 ? '#c0504d' : '#4f81bd';
      body.push(`<line x1="${px(gx - ax)}" y1="${pz(gz - az)}" x2="${px(gx + ax)}" y2="${pz(gz + az)}" stroke="${color}" stroke-width="${(2 * CAPSULE_RADIUS * SCALE).toFixed(1)}" stroke-linecap="round"/>`);
    }
  }
  body.push(`<text x="8" y="18" font-size="13" font-family="sans-serif">${label}</text>`);
  return { mode: 'svg', data: svgDocument(W, H, body) };
}
