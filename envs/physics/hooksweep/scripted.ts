/**
 * Scripted HookSweep2 experts. No learned expert exists here (REFERENCE.md 1.5), so two scripts stand in: one that
 * sweeps exactly one box to a goal side, leaving the other where it is (the kind of data MOCODA's paper learns from),
 * and one that sweeps both boxes to their goals (proof that the target task is solvable). Both plan waypoints for the
 * gripper from the first observation, then follow them with a proportional controller on the observed gripper position.
 */
import type { Rng } from '../../../src/core/rng.js';
import { O_BOX1, O_BOX2, O_GOAL1, O_GOAL2, O_GRIP } from './layout.js';
import { BOX_HALF, GOAL_BASE, GOAL_SIDE_OFFSET, GRIP_MIN, GRIP_STEP, HEAD_HALF, HEAD_OFFSET, SHAFT_HALF } from './scene.js';

/** Gripper height for travelling above the boxes. */
const Z_HIGH = 0.53;
/** Gripper height for sweeping: as low as the workspace allows. */
const Z_LOW = GRIP_MIN[2];
/** Clearance kept between the hook and a box it must not touch. */
const CLEAR = 0.012;
/** Head centre offsets from the gripper in x, and its y-extent relative to the gripper's y. */
const HEAD_X = HEAD_OFFSET[0];
const HEAD_Y_LO = HEAD_OFFSET[1] - HEAD_HALF[1];
const HEAD_Y_HI = HEAD_OFFSET[1] + HEAD_HALF[1];
/** Waypoint reached when every coordinate is within this distance. */
const REACHED = 0.004;

type Vec3 = [number, number, number];

/** An action source for one episode of HookSweep2, fed the 20-d observation. */
export interface HookPolicy {
  act(obs: Float64Array, o: number, out: Float64Array, ao: number): void;
}

/**
 * Gain on the last waypoint (the sweep's end): the gripper closes this fraction of the remaining distance per step, so
 * it decelerates instead of stopping dead at full speed, which would let the pushed boxes slide ~15 cm further.
 */
const SWEEP_GAIN = 0.2;

/**
 * Follows a list of gripper waypoints, reaching intermediate ones as fast as possible and the last one gently (or the
 * ones listed in `gentle`, where boxes are being pushed).
 */
class WaypointFollower implements HookPolicy {
  private index = 0;

  constructor(
    private readonly waypoints: Vec3[],
    private readonly noise: ((out: Float64Array, ao: number) => void) | null = null,
    private readonly gentle: ReadonlySet<number> = new Set([waypoints.length - 1]),
  ) {}

  /** True once every waypoint has been reached. */
  done(obs: Float64Array, o: number): boolean {
    const w = this.waypoints[this.waypoints.length - 1];
    return this.index === this.waypoints.length - 1 && w.every((v, k) => Math.abs(v - obs[o + O_GRIP + k]) < REACHED);
  }

  act(obs: Float64Array, o: number, out: Float64Array, ao: number): void {
    const g = [obs[o + O_GRIP], obs[o + O_GRIP + 1], obs[o + O_GRIP + 2]];
    while (this.index < this.waypoints.length - 1 && this.waypoints[this.index].every((w, k) => Math.abs(w - g[k]) < REACHED)) this.index++;
    const w = this.waypoints[this.index];
    const gain = this.gentle.has(this.index) ? SWEEP_GAIN : 1;
    for (let k = 0; k < 3; k++) out[ao + k] = Math.min(1, Math.max(-1, (gain * (w[k] - g[k])) / GRIP_STEP));
    out[ao + 3] = 0;
    this.noise?.(out, ao);
  }
}

/** Runs a first follower to its end, then a second one planned from the observation at that moment. */
class TwoStages implements HookPolicy {
  private second: HookPolicy | null = null;

  constructor(private readonly first: WaypointFollower, private readonly plan: (obs: Float64Array, o: number) => HookPolicy) {}

  act(obs: Float64Array, o: number, out: Float64Array, ao: number): void {
    if (!this.second && this.first.done(obs, o)) this.second = this.plan(obs, o);
    (this.second ?? this.first).act(obs, o, out, ao);
  }
}

interface BoxXY {
  x: number;
  y: number;
}

function boxesOf(obs: Float64Array, o: number): [BoxXY, BoxXY] {
  return [{ x: obs[o + O_BOX1], y: obs[o + O_BOX1 + 1] }, { x: obs[o + O_BOX2], y: obs[o + O_BOX2 + 1] }];
}

/** The gripper y range that puts every listed box under the head's y-extent with some margin. */
function coverRange(ys: number[]): [number, number] {
  const lo = Math.max(...ys) + BOX_HALF + 0.003 - HEAD_Y_HI;
  const hi = Math.min(...ys) - BOX_HALF - 0.003 - HEAD_Y_LO;
  return [lo, hi];
}

/** True when a box lies within the y-band the head sweeps with the gripper at gy (plus clearance). */
function inHeadBand(gy: number, y: number): boolean {
  return y + BOX_HALF + CLEAR > gy + HEAD_Y_LO && y - BOX_HALF - CLEAR < gy + HEAD_Y_HI;
}

/** True when a box lies under the shaft's y-band with the gripper at gy. */
function underShaft(gy: number, y: number): boolean {
  return Math.abs(y - gy) < BOX_HALF + SHAFT_HALF[1] + CLEAR;
}

/**
 * Waypoints that move the boxes at the given indices to x = goalX with the head: from behind (pushing +x, "away") or
 * from beyond (pulling -x, "toward"). Returns null when no gripper y keeps the other box out of the way.
 */
function sweepPlan(boxes: [BoxXY, BoxXY], moved: number[], goalX: number, away: boolean, start: Vec3): Vec3[] | null {
  const ys = moved.map((k) => boxes[k].y);
  const xs = moved.map((k) => boxes[k].x);
  const others = [0, 1].filter((k) => !moved.includes(k)).map((k) => boxes[k]);
  let [lo, hi] = coverRange(ys);
  if (!away) lo = Math.max(lo, Math.max(...ys) + BOX_HALF + SHAFT_HALF[1] + CLEAR); // the shaft lands beside the boxes
  const headStart = away ? Math.min(...xs) - BOX_HALF - HEAD_HALF[0] - CLEAR : Math.max(...xs) + BOX_HALF + HEAD_HALF[0] + CLEAR;
  const headEnd = away ? goalX - BOX_HALF - HEAD_HALF[0] : goalX + BOX_HALF + HEAD_HALF[0];
  const sweptLo = Math.min(headStart, headEnd) - BOX_HALF - HEAD_HALF[0] - CLEAR;
  const sweptHi = Math.max(headStart, headEnd) + BOX_HALF + HEAD_HALF[0] + CLEAR;
  const shaftLo = headStart - HEAD_X - 0.05 - BOX_HALF;
  const shaftHi = headStart + BOX_HALF;
  const ok = (gy: number) =>
    others.every((b) => !(b.x > sweptLo && b.x < sweptHi && inHeadBand(gy, b.y)) && !(b.x > shaftLo && b.x < shaftHi && underShaft(gy, b.y)));
  let gy = NaN;
  if (lo <= hi) {
    // Prefer the middle of the feasible band, then search outward.
    const mid = (lo + hi) / 2;
    for (let k = 0; k <= 20 && Number.isNaN(gy); k++) {
      for (const cand of [mid + ((hi - lo) / 2) * (k / 20), mid - ((hi - lo) / 2) * (k / 20)]) {
        if (ok(cand)) { gy = cand; break; }
      }
    }
  }
  if (Number.isNaN(gy)) return null;
  const gx0 = headStart - HEAD_X;
  const gx1 = headEnd - HEAD_X;
  return [
    [start[0], start[1], Z_HIGH],
    [gx0, gy, Z_HIGH],
    [gx0, gy, Z_LOW],
    [gx1, gy, Z_LOW],
  ];
}

/** A policy that holds the gripper still (when no safe plan exists). */
function holdStill(start: Vec3): HookPolicy {
  return new WaypointFollower([start]);
}

/** Boxes closer than this in y are "in one row": a sweep leaves them one behind the other. */
const ROW_DY = 0.06;
/** Row offsets from the goals' mean y below this are left to the 0.14 m success radius. */
const ROW_TOLERANCE = 0.03;

/**
 * Waypoints that push a row of boxes sideways (in y) with the shaft by dy, the head parked beyond the boxes in x so it
 * touches nothing; null when the boxes are too far apart in x for the shaft to reach both.
 */
function rowShiftPlan(boxes: [BoxXY, BoxXY], dy: number, start: Vec3): Vec3[] | null {
  const minX = Math.min(boxes[0].x, boxes[1].x);
  const maxX = Math.max(boxes[0].x, boxes[1].x);
  const gx = maxX + BOX_HALF + CLEAR - (HEAD_X - HEAD_HALF[0]);
  if (gx - 0.05 > minX - BOX_HALF - CLEAR) return null;
  const side = dy < 0 ? 1 : -1; // push down from above, or up from below
  const nearY = side > 0 ? Math.max(boxes[0].y, boxes[1].y) : Math.min(boxes[0].y, boxes[1].y);
  const y0 = nearY + side * (BOX_HALF + SHAFT_HALF[1] + CLEAR);
  const y1 = nearY + side * (BOX_HALF + SHAFT_HALF[1]) + dy;
  return [
    [start[0], start[1], Z_HIGH],
    [gx, y0, Z_HIGH],
    [gx, y0, Z_LOW],
    [gx, y1, Z_LOW],
    [gx, y1, Z_HIGH],
  ];
}

/**
 * The two-box expert: sweeps both boxes with the head to the goals' x (the goals are side by side, so one sweep moves
 * both). Boxes that start side by side keep their y, which the 0.14 m success radius absorbs; boxes that start in one
 * row end one behind the other, so the row is first pushed sideways with the shaft to the goals' mean y.
 */
export function twoBoxSweeper(obs: Float64Array, o = 0): HookPolicy {
  const boxes = boxesOf(obs, o);
  const dy = (obs[o + O_GOAL1 + 1] + obs[o + O_GOAL2 + 1]) / 2 - (boxes[0].y + boxes[1].y) / 2;
  if (Math.abs(boxes[0].y - boxes[1].y) < ROW_DY && Math.abs(dy) > ROW_TOLERANCE) {
    const start: Vec3 = [obs[o + O_GRIP], obs[o + O_GRIP + 1], obs[o + O_GRIP + 2]];
    const shift = rowShiftPlan(boxes, dy, start);
    if (shift) return new TwoStages(new WaypointFollower(shift, null, new Set([3])), (now, k) => sweepBoth(now, k));
  }
  return sweepBoth(obs, o);
}

/** The sweep of both boxes to the goals' x, planned from the observation at obs[o ..]. */
function sweepBoth(obs: Float64Array, o: number): HookPolicy {
  const boxes = boxesOf(obs, o);
  const goalX = (obs[o + O_GOAL1] + obs[o + O_GOAL2]) / 2;
  const away = goalX > (boxes[0].x + boxes[1].x) / 2;
  const start: Vec3 = [obs[o + O_GRIP], obs[o + O_GRIP + 1], obs[o + O_GRIP + 2]];
  const plan = sweepPlan(boxes, [0, 1], goalX, away, start);
  if (!plan) {
    // The boxes are too far apart in y for the head to cover both: sweep the one whose goal is further, then the other.
    const order = [0, 1].sort((a, b) => Math.abs(boxes[b].x - goalX) - Math.abs(boxes[a].x - goalX));
    const first = sweepPlan(boxes, [order[0]], goalX, away, start);
    if (!first) return holdStill(start);
    const end = first[first.length - 1];
    const moved: [BoxXY, BoxXY] = [{ ...boxes[0] }, { ...boxes[1] }];
    moved[order[0]].x = goalX;
    const second = sweepPlan(moved, [order[1]], goalX, away, [end[0], end[1], Z_HIGH]);
    if (!second) return new WaypointFollower(first);
    const both: Vec3[] = [...first, [end[0], end[1], Z_HIGH], ...second];
    // Both sweep ends are approached gently, not only the last waypoint.
    return new WaypointFollower(both, null, new Set([first.length - 1, both.length - 1]));
  }
  return new WaypointFollower(plan);
}

/** What the one-box expert decided to do in an episode. */
export interface OneBoxChoice {
  /** 0 for box 1, 1 for box 2, -1 when no box could be swept without disturbing the other. */
  box: number;
  away: boolean;
  /** Where the swept box should end (its goal side's x, its own y). */
  targetX: number;
}

/**
 * The one-box expert: sweeps one box to the goal side's x and leaves the other in place. It tries the box and side
 * chosen at random first and falls back to the other combinations when the other box would be in the way. With
 * noiseStd > 0, Gaussian noise of that std is added to the action on each step with probability 1/2, as in the
 * paper's data.
 */
export function oneBoxSweeper(obs: Float64Array, o: number, rng: Rng, noiseStd = 0): { policy: HookPolicy; choice: OneBoxChoice } {
  const boxes = boxesOf(obs, o);
  const start: Vec3 = [obs[o + O_GRIP], obs[o + O_GRIP + 1], obs[o + O_GRIP + 2]];
  // The goals' shared x shift, recovered by removing the side offset (the shift is smaller than the offset).
  const centre = (obs[o + O_GOAL1] + obs[o + O_GOAL2]) / 2;
  const shift = centre - GOAL_BASE[0][0] - (centre > GOAL_BASE[0][0] ? GOAL_SIDE_OFFSET : -GOAL_SIDE_OFFSET);
  const firstBox = rng.random() < 0.5 ? 0 : 1;
  const firstAway = rng.random() < 0.5;
  const noise = noiseStd > 0
    ? (out: Float64Array, ao: number) => {
      if (rng.random() < 0.5) for (let k = 0; k < 3; k++) out[ao + k] = Math.min(1, Math.max(-1, out[ao + k] + rng.normal(0, noiseStd)));
    }
    : null;
  for (const box of [firstBox, 1 - firstBox]) {
    for (const away of [firstAway, !firstAway]) {
      const targetX = GOAL_BASE[0][0] + shift + (away ? GOAL_SIDE_OFFSET : -GOAL_SIDE_OFFSET);
      const plan = sweepPlan(boxes, [box], targetX, away, start);
      if (plan) return { policy: new WaypointFollower(plan, noise), choice: { box, away, targetX } };
    }
  }
  return { policy: holdStill(start), choice: { box: -1, away: firstAway, targetX: NaN } };
}

/** Observation indices of box k's position. */
export function boxOffset(k: number): number {
  return k === 0 ? O_BOX1 : O_BOX2;
}
