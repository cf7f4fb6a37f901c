/**
 * One cannon-es world holding the HookSweep2 scene. Instances pass through it in turn: restore the boxes and the
 * gripper, apply the context, step, save. The hook is a kinematic body: it moves exactly where the action sends it,
 * pushes the boxes, and is itself never pushed back.
 */
import { Body, Box, type GSSolver, Plane, Vec3, World } from 'cannon-es';
import { restoreBody, saveBody } from '../shared/body-state.js';
import { roundReadBack } from '../shared/read-back.js';
import { S_BOX1, S_BOX2, S_GOAL1, S_GRIP, S_GRIP_DISP, HOOK_STATE_SIZE } from './layout.js';
import {
  BOX_HALF, BOX_MASS, ENV_DT, FRICTION, GRIP_MAX, GRIP_MIN, GRIP_STEP, HEAD_HALF, HEAD_OFFSET, SHAFT_HALF, SHAFT_OFFSET, SUBSTEPS,
  TABLE_TOP, TABLE_X, TABLE_Y,
} from './scene.js';

const GRAVITY = 9.81;
const GROUP_STATIC = 1;
const GROUP_BOX = 2;
const GROUP_HOOK = 4;
/**
 * cannon-es caps each contact's friction impulse per step at mu * |frictionGravity| * m. A box lying on a face touches
 * the table at 4 points, so gravity * sub-step / 4 makes the total cap mu * m * g * dt: Coulomb friction for a box
 * resting under its own weight (checked by the sliding test).
 */
const FRICTION_CONTACTS = 4;

/** The physical parameters a context sets. */
export interface HookPhysics {
  box1MassScale: number;
  box2MassScale: number;
  friction: number;
}

/** A reusable world for stepping HookSweep2 states. */
export class HookWorld {
  readonly world: World;
  readonly boxes: readonly [Body, Body];
  readonly hook: Body;
  readonly h = ENV_DT / SUBSTEPS;
  private readonly applied: HookPhysics = { box1MassScale: NaN, box2MassScale: NaN, friction: NaN };

  constructor() {
    const world = new World({ gravity: new Vec3(0, 0, -GRAVITY) });
    // Ten Gauss-Seidel iterations leave a resting box creeping at ~0.1 mm/s (the 8 box-table contacts do not
    // converge); twenty bring the creep below 1 micrometre per second.
    (world.solver as GSSolver).iterations = 20;
    world.allowSleep = false;
    world.frictionGravity = new Vec3(0, 0, (GRAVITY * this.h) / FRICTION_CONTACTS);
    const cm = world.defaultContactMaterial;
    cm.restitution = 0;
    cm.friction = FRICTION;

    const tableHalf = new Vec3((TABLE_X[1] - TABLE_X[0]) / 2, (TABLE_Y[1] - TABLE_Y[0]) / 2, TABLE_TOP / 2);
    const table = new Body({ type: Body.STATIC, mass: 0, collisionFilterGroup: GROUP_STATIC, collisionFilterMask: GROUP_BOX });
    table.addShape(new Box(tableHalf));
    table.position.set((TABLE_X[0] + TABLE_X[1]) / 2, (TABLE_Y[0] + TABLE_Y[1]) / 2, TABLE_TOP / 2);
    world.addBody(table);
    // Boxes swept off the table land on a floor instead of falling for ever.
    const floor = new Body({ type: Body.STATIC, mass: 0, collisionFilterGroup: GROUP_STATIC, collisionFilterMask: GROUP_BOX });
    floor.addShape(new Plane());
    world.addBody(floor);

    const makeBox = () => {
      const b = new Body({ mass: BOX_MASS, collisionFilterGroup: GROUP_BOX, collisionFilterMask: GROUP_STATIC | GROUP_BOX | GROUP_HOOK, linearDamping: 0, angularDamping: 0 });
      b.addShape(new Box(new Vec3(BOX_HALF, BOX_HALF, BOX_HALF)));
      world.addBody(b);
      return b;
    };
    this.boxes = [makeBox(), makeBox()];

    const hook = new Body({ type: Body.KINEMATIC, mass: 0, collisionFilterGroup: GROUP_HOOK, collisionFilterMask: GROUP_BOX });
    hook.addShape(new Box(new Vec3(...SHAFT_HALF)), new Vec3(...SHAFT_OFFSET));
    hook.addShape(new Box(new Vec3(...HEAD_HALF)), new Vec3(...HEAD_OFFSET));
    world.addBody(hook);
    this.hook = hook;
    this.world = world;
    this.setPhysics({ box1MassScale: 1, box2MassScale: 1, friction: FRICTION });
  }

  /** Applies box masses and friction; a no-op for values already in place. */
  setPhysics(p: HookPhysics): void {
    const scales = [p.box1MassScale, p.box2MassScale];
    const applied = [this.applied.box1MassScale, this.applied.box2MassScale];
    for (let k = 0; k < 2; k++) {
      if (applied[k] === scales[k]) continue;
      const b = this.boxes[k];
      b.mass = BOX_MASS * scales[k];
      b.invMass = 1 / b.mass;
      // A cube's inertia, set by hand: updateMassProperties would use the current (possibly rotated) bounding box.
      const side = 2 * BOX_HALF;
      const I = (b.mass * 2 * side * side) / 12;
      b.inertia.set(I, I, I);
      b.invInertia.set(1 / I, 1 / I, 1 / I);
      b.updateInertiaWorld(true);
    }
    this.applied.box1MassScale = p.box1MassScale;
    this.applied.box2MassScale = p.box2MassScale;
    if (this.applied.friction !== p.friction) {
      this.world.defaultContactMaterial.friction = p.friction;
      this.applied.friction = p.friction;
    }
  }

  /** What the bodies and contacts carry now (mass ratios rounded to 12 significant digits, as for the cheetah). */
  readPhysics(): HookPhysics {
    return {
      box1MassScale: roundReadBack(this.boxes[0].mass / BOX_MASS),
      box2MassScale: roundReadBack(this.boxes[1].mass / BOX_MASS),
      friction: this.world.defaultContactMaterial.friction,
    };
  }

  /**
   * Advances the state at states[so ..] by one env step under actions[ao .. ao + 4) into next[no ..]. The gripper
   * target moves by 0.05 * a[:3] (clipped to the workspace), the hook travels there at constant velocity over the four
   * sub-steps, and a[3] has no effect (it is the reference's unused gripper command).
   */
  step(states: Float64Array, so: number, actions: Float64Array, ao: number, next: Float64Array, no: number): void {
    restoreBody(this.boxes[0], states, so + S_BOX1);
    restoreBody(this.boxes[1], states, so + S_BOX2);
    const hook = this.hook;
    const target = [0, 0, 0];
    for (let k = 0; k < 3; k++) {
      let a = actions[ao + k];
      a = a > 1 ? 1 : a < -1 ? -1 : a;
      const g = states[so + S_GRIP + k];
      target[k] = Math.min(Math.max(g + GRIP_STEP * a, GRIP_MIN[k]), GRIP_MAX[k]);
    }
    const gx = states[so + S_GRIP];
    const gy = states[so + S_GRIP + 1];
    const gz = states[so + S_GRIP + 2];
    hook.position.set(gx, gy, gz);
    hook.previousPosition.set(gx, gy, gz);
    hook.quaternion.set(0, 0, 0, 1);
    hook.previousQuaternion.set(0, 0, 0, 1);
    hook.velocity.set((target[0] - gx) / ENV_DT, (target[1] - gy) / ENV_DT, (target[2] - gz) / ENV_DT);
    hook.angularVelocity.set(0, 0, 0);
    hook.aabbNeedsUpdate = true;
    for (let s = 0; s < SUBSTEPS; s++) this.world.step(this.h);
    for (let k = 0; k < 3; k++) {
      next[no + S_GRIP + k] = target[k];
      next[no + S_GRIP_DISP + k] = target[k] - states[so + S_GRIP + k];
    }
    saveBody(this.boxes[0], next, no + S_BOX1);
    saveBody(this.boxes[1], next, no + S_BOX2);
    for (let k = S_GOAL1; k < HOOK_STATE_SIZE; k++) next[no + k] = states[so + k];
  }
}

