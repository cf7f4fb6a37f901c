/**
 * CartPole-v0 (REFERENCE.md 1.2): Gymnasium's cart-pole with explicit Euler integration, made heterogeneous by a
 * context of force magnitude, half pole length and the two masses (PerSim varies force and length). Episodes truncate
 * after 200 steps; the reward is 1 on every step, the terminating one included.
 */
import { ContextSpace } from '../../src/core/context.js';
import type { EnvDefinition, EnvEntry, TransitionBatch } from '../../src/core/definition.js';
import type { Rng } from '../../src/core/rng.js';
import { Box, Discrete } from '../../src/core/spaces.js';
import { svgDocument } from '../render/svg.js';
import { observeIdentity, pureDynamics, stateFromObservationIdentity } from './identity.js';

/** Gymnasium's constants: gravity, the integration step and the cart's position limit. */
export const GRAVITY = 9.8;
export const TAU = 0.02;
export const X_THRESHOLD = 2.4;
/** 12 degrees, written as Gymnasium writes it so the threshold is the same double. */
export const THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
/** Largest finite float32: Gymnasium's bound for the unbounded velocities (check_env warns about infinite bounds). */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** Context parameter indices in a context row. */
const FORCE_MAG = 0;
const LENGTH = 1;
const MASSCART = 2;
const MASSPOLE = 3;

/**
 * The context. force_mag and length follow PerSim's ranges. The mass ranges are ours (PerSim keeps the masses fixed):
 * half to twice the cart's default and half to five times the pole's, wide enough to matter for a learned model while
 * the pole stays lighter than the cart, the regime the classic task describes.
 */
export const cartPoleContext = new ContextSpace([
  { name: 'force_mag', default: 10, low: 2, high: 18, unit: 'N', description: 'magnitude of the push (action 1 pushes right, 0 left); PerSim test agents use 2, 10, 18' },
  { name: 'length', default: 0.5, low: 0.15, high: 0.85, unit: 'm', description: 'HALF the pole length; PerSim test agents use 0.15, 0.5, 0.85' },
  { name: 'masscart', default: 1.0, low: 0.5, high: 2.0, unit: 'kg', description: 'mass of the cart' },
  { name: 'masspole', default: 0.1, low: 0.05, high: 0.5, unit: 'kg', description: 'mass of the pole' },
]);

/**
 * The batched transition (exported so tests and planners can call the formula directly). Positions advance with the
 * old velocities (Gymnasium's "euler" integrator), which is what the published trajectories were generated with.
 */
export function cartPoleStep(b: TransitionBatch): void {
  const { n, states, actions, contexts, next } = b;
  for (let i = 0; i < n; i++) {
    const s = 4 * i; // four state variables
    const c = 4 * i; // four context parameters
    const x = states[s];
    const xDot = states[s + 1];
    const theta = states[s + 2];
    const thetaDot = states[s + 3];
    const forceMag = contexts[c + FORCE_MAG];
    const length = contexts[c + LENGTH];
    const mc = contexts[c + MASSCART];
    const mp = contexts[c + MASSPOLE];
    const total = mc + mp;
    const pml = mp * length;
    const force = actions[i] === 1 ? forceMag : -forceMag;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const temp = (force + pml * thetaDot * thetaDot * sin) / total;
    const thetaAcc = (GRAVITY * sin - cos * temp) / (length * (4.0 / 3.0 - (mp * cos * cos) / total));
    const xAcc = temp - (pml * thetaAcc * cos) / total;
    next[s] = x + TAU * xDot;
    next[s + 1] = xDot + TAU * xAcc;
    next[s + 2] = theta + TAU * thetaDot;
    next[s + 3] = thetaDot + TAU * thetaAcc;
  }
}

/** Builds the definition (CartPole has no options). */
export function buildCartPole(): EnvDefinition {
  const high = [X_THRESHOLD * 2, FLOAT32_MAX, THETA_THRESHOLD * 2, FLOAT32_MAX];
  return {
    id: 'CartPole-v0',
    description: 'Balance a pole on a cart (Gymnasium dynamics; force, half length and masses as context).',
    observationSpace: new Box(high.map((h) => -h), high, [4], 'f32'),
    actionSpace: new Discrete(2),
    context: cartPoleContext,
    stateSize: 4,
    maxEpisodeSteps: 200,
    // 0 appears only on the reset step of next_step autoreset.
    rewardRange: [0, 1],
    options: {},
    initial(rng: Rng, _ctx, _co, out, offset) {
      for (let k = 0; k < 4; k++) out[offset + k] = rng.uniform(-0.05, 0.05);
    },
    observe: observeIdentity,
    stateFromObservation: stateFromObservationIdentity,
    terminated(nextObs, _contexts, n, out) {
      for (let i = 0; i < n; i++) {
        const x = nextObs[4 * i];
        const theta = nextObs[4 * i + 2];
        out[i] = x < -X_THRESHOLD || x > X_THRESHOLD || theta < -THETA_THRESHOLD || theta > THETA_THRESHOLD ? 1 : 0;
      }
    },
    reward(_obs, _actions, _nextObs, _terminated, n, out) {
      out.fill(1, 0, n);
    },
    trueDynamics: () => pureDynamics(cartPoleStep),
    render(states, contexts, index) {
      const x = states[4 * index];
      const theta = states[4 * index + 2];
      const length = contexts[4 * index + LENGTH];
      const W = 600;
      const H = 400;
      const worldWidth = X_THRESHOLD * 2;
      const scale = W / worldWidth;
      const trackY = 300;
      const cartX = W / 2 + x * scale;
      const cartW = 50;
      const cartH = 30;
      // The drawn pole is the full pole (twice the half length); theta is measured from upright, clockwise positive.
      const poleLen = 2 * length * scale;
      const pivotY = trackY - cartH;
      const tipX = cartX + poleLen * Math.sin(theta);
      const tipY = pivotY - poleLen * Math.cos(theta);
      const f = (v: number) => v.toFixed(1);
      const limit = (sign: number) => f(W / 2 + sign * X_THRESHOLD * scale);
      const body = [
        `<line x1="0" y1="${trackY}" x2="${W}" y2="${trackY}" stroke="#333" stroke-width="1"/>`,
        `<line x1="${limit(-1)}" y1="${trackY - 60}" x2="${limit(-1)}" y2="${trackY + 10}" stroke="#c00" stroke-dasharray="4 3"/>`,
        `<line x1="${limit(1)}" y1="${trackY - 60}" x2="${limit(1)}" y2="${trackY + 10}" stroke="#c00" stroke-dasharray="4 3"/>`,
        `<rect x="${f(cartX - cartW / 2)}" y="${f(trackY - cartH)}" width="${cartW}" height="${cartH}" fill="#333"/>`,
        `<line x1="${f(cartX)}" y1="${f(pivotY)}" x2="${f(tipX)}" y2="${f(tipY)}" stroke="#ca9865" stroke-width="10" stroke-linecap="round"/>`,
        `<circle cx="${f(cartX)}" cy="${f(pivotY)}" r="5" fill="#81a"/>`,
        `<text x="8" y="18" font-size="13" font-family="sans-serif">x=${x.toFixed(3)} theta=${theta.toFixed(3)} ` +
          `force_mag=${contexts[4 * index + FORCE_MAG]} length=${length}</text>`,
      ];
      return { mode: 'svg', data: svgDocument(W, H, body) };
    },
  };
}

/** The registry entry. */
export const cartPoleEntry: EnvEntry = {
  id: 'CartPole-v0',
  description: 'CartPole with force, half pole length and masses as context (PerSim).',
  options: [],
  build: buildCartPole,
};
