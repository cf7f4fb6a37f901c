/**
 * One cannon-es world holding the planar cheetah. Each thread of a session keeps one and pushes every instance through
 * it: restore a state, apply the instance's context, step, save. The recipe follows REFERENCE.md 1.4's verified facts:
 * planar factors with zero out-of-plane inverse inertia, point-to-point joints acting as hinges, hand-set centres of
 * mass and inertias, an implicitly integrated joint spring-damper, one-sided motor equations as joint limits, SPOOK
 * parameters set for the real sub-step, and world.step(dt) with one argument only.
 */
import { Body, Constraint, type GSSolver, Plane, PointToPointConstraint, RotationalMotorEquation, Sphere, Vec3, World } from 'cannon-es';
import { restoreBody, saveBody, BODY_STATE_SIZE } from '../shared/body-state.js';
import { installFastSpherePlane } from '../shared/sphere-plane.js';
import { roundReadBack } from '../shared/read-back.js';
import { ROOTY, X_BEFORE, linkAngle, rootX, wrapAngle } from './kinematics.js';
import { ARMATURE, CAPSULE_RADIUS, FRAME_SKIP, LINKS, MUJOCO_TIMESTEP, NUM_JOINTS, NUM_LINKS, linkBodies, rotX, rotZ } from './model.js';

/** Numerical settings of the simulation (not physical parameters: those are the context). */
export interface CheetahSimSettings {
  /** world.step calls per MuJoCo timestep of 0.01 s. */
  substeps: number;
  /** Gauss-Seidel iterations per world.step. */
  solverIterations: number;
  /** SPOOK stiffness and relaxation of the joint equations. */
  jointStiffness: number;
  jointRelaxation: number;
  /** Joint limits push back this fraction of the violation per sub-step. */
  limitBias: number;
  /** SPOOK parameters of floor contacts. */
  contactStiffness: number;
  contactRelaxation: number;
  /**
   * cannon-es caps each contact's friction impulse per step at mu * |frictionGravity| * m_link, whatever the normal
   * force. A foot carries several times its own weight, so the cap uses gravity * sub-step * loadFactor to let a foot
   * push on the ground with about mu times the load it actually bears.
   */
  loadFactor: number;
  /** Close joint gaps by a position projection at the end of each env step. */
  projectJoints: boolean;
  /** Replace cannon-es' sphere-plane test by the early-out one (same contacts, no wasted contact equations). */
  fastSpherePlane: boolean;
  /** Spacing of the collision spheres that stand in for capsules (cannon-es has no capsule shape). */
  sphereSpacing: number;
}

/** Settings that keep the whole context grid stable within the 200 us per env step budget. */
export const DEFAULT_CHEETAH_SIM: Readonly<CheetahSimSettings> = {
  substeps: 2,
  solverIterations: 10,
  jointStiffness: 1e8,
  jointRelaxation: 1,
  limitBias: 0.2,
  contactStiffness: 1e7,
  contactRelaxation: 3,
  loadFactor: 4,
  sphereSpacing: 0.12,
  projectJoints: true,
  fastSpherePlane: true,
};

/** The physical parameters a context sets on a world. */
export interface CheetahPhysics {
  massScale: number;
  dampingScale: number;
  friction: number;
  gravity: number;
}

const LINK_BODIES = linkBodies();

/** A constraint that only carries an equation whose parameters the world updates before each step itself. */
class EquationHolder extends Constraint {
  constructor(a: Body, b: Body, eq: RotationalMotorEquation) {
    super(a, b, { collideConnected: true, wakeUpBodies: false });
    this.equations.push(eq);
  }

  override update(): void {}
}

/** Largest impulse a joint-limit equation may apply: effectively rigid. */
const LIMIT_FORCE = 1e6;

/** A reusable world for stepping cheetah states. */
export class CheetahWorld {
  readonly world: World;
  readonly bodies: Body[];
  readonly settings: Readonly<CheetahSimSettings>;
  /** Sub-step length (s). */
  readonly h: number;
  /** Largest move (m) of a link by the last projection: how far the solver had let the chain drift. */
  projectionShift = 0;
  /** Largest joint gap (m) the solver left at the end of the last env step, before the projection closed it. */
  gapBeforeProjection = 0;
  private readonly limits: RotationalMotorEquation[];
  private readonly inertia = new Float64Array(NUM_LINKS);
  private readonly damping = new Float64Array(NUM_JOINTS);
  private readonly applied: CheetahPhysics = { massScale: NaN, dampingScale: NaN, friction: NaN, gravity: NaN };
  private readonly angles = new Float64Array(NUM_LINKS);

  constructor(settings: Readonly<CheetahSimSettings> = DEFAULT_CHEETAH_SIM) {
    this.settings = settings;
    this.h = MUJOCO_TIMESTEP / settings.substeps;
    const world = new World({ gravity: new Vec3(0, 0, -9.81) });
    (world.solver as GSSolver).iterations = settings.solverIterations;
    world.allowSleep = false;
    world.frictionGravity = new Vec3();
    if (settings.fastSpherePlane) installFastSpherePlane(world.narrowphase);
    const cm = world.defaultContactMaterial;
    cm.restitution = 0;
    cm.contactEquationStiffness = settings.contactStiffness;
    cm.contactEquationRelaxation = settings.contactRelaxation;
    cm.frictionEquationStiffness = settings.contactStiffness;
    cm.frictionEquationRelaxation = settings.contactRelaxation;

    const floor = new Body({ type: Body.STATIC, mass: 0, collisionFilterGroup: 1, collisionFilterMask: 2 });
    floor.addShape(new Plane());
    world.addBody(floor);

    this.bodies = LINK_BODIES.map((lb) => {
      const body = new Body({ mass: lb.mass, collisionFilterGroup: 2, collisionFilterMask: 1, linearDamping: 0, angularDamping: 0 });
      for (const g of lb.spec.geoms) {
        const k = Math.max(2, Math.round((2 * g.half) / settings.sphereSpacing) + 1);
        for (let s = 0; s < k; s++) {
          const t = -g.half + (2 * g.half * s) / (k - 1);
          const x = g.x + t * Math.sin(g.tilt) - lb.comX;
          const z = g.z + t * Math.cos(g.tilt) - lb.comZ;
          body.addShape(new Sphere(CAPSULE_RADIUS), new Vec3(x, 0, z));
        }
      }
      body.linearFactor.set(1, 0, 1);
      body.angularFactor.set(0, 1, 0);
      world.addBody(body);
      return body;
    });

    // Hinges: a point-to-point joint keeps the joint point shared; the y row is redundant in a planar world.
    for (let i = 1; i < NUM_LINKS; i++) {
      const spec = LINKS[i];
      const parent = LINK_BODIES[spec.parent];
      const child = LINK_BODIES[i];
      const joint = new PointToPointConstraint(
        this.bodies[spec.parent], new Vec3(spec.posX - parent.comX, 0, spec.posZ - parent.comZ),
        this.bodies[i], new Vec3(-child.comX, 0, -child.comZ),
      );
      joint.equationY.enabled = false;
      for (const eq of joint.equations) eq.setSpookParams(settings.jointStiffness, settings.jointRelaxation, this.h);
      world.addConstraint(joint);
    }
    // Limits go after the joints so the solver sees them last in each sweep.
    this.limits = [];
    for (let i = 1; i < NUM_LINKS; i++) {
      const child = this.bodies[i];
      const parent = this.bodies[LINKS[i].parent];
      const eq = new RotationalMotorEquation(child, parent, LIMIT_FORCE);
      eq.axisA.set(0, 1, 0);
      eq.axisB.set(0, 1, 0);
      eq.setSpookParams(settings.jointStiffness, settings.jointRelaxation, this.h);
      eq.enabled = false;
      world.addConstraint(new EquationHolder(child, parent, eq));
      this.limits.push(eq);
    }
    this.world = world;
    this.setPhysics({ massScale: 1, dampingScale: 1, friction: 0.4, gravity: 9.81 });
  }

  /** Applies masses, damping, friction and gravity; a no-op when they are already in place. */
  setPhysics(p: CheetahPhysics): void {
    const a = this.applied;
    if (a.massScale !== p.massScale) {
      for (let i = 0; i < NUM_LINKS; i++) {
        const body = this.bodies[i];
        const lb = LINK_BODIES[i];
        body.mass = lb.mass * p.massScale;
        body.invMass = 1 / body.mass;
        // Armature belongs to the motor, not the link, so it does not scale with the link's mass. MuJoCo adds it to
        // the joint's own inertia; in maximal coordinates the child link is the closest place to put it.
        const I = lb.inertia * p.massScale + (i > 0 ? ARMATURE : 0);
        this.inertia[i] = I;
        body.inertia.set(0, I, 0);
        body.invInertia.set(0, 1 / I, 0);
        body.updateInertiaWorld(true);
      }
      a.massScale = p.massScale;
    }
    if (a.dampingScale !== p.dampingScale) {
      for (let j = 0; j < NUM_JOINTS; j++) this.damping[j] = LINKS[j + 1].damping * p.dampingScale;
      a.dampingScale = p.dampingScale;
    }
    if (a.friction !== p.friction) {
      this.world.defaultContactMaterial.friction = p.friction;
      a.friction = p.friction;
    }
    if (a.gravity !== p.gravity) {
      this.world.gravity.set(0, 0, -p.gravity);
      this.world.frictionGravity!.set(0, 0, p.gravity * this.h * this.settings.loadFactor);
      a.gravity = p.gravity;
    }
  }

  /**
   * The parameters the bodies and joints carry now, read from them (not from what was asked). Scales are rounded to
   * 12 significant digits so the division's last-bit rounding does not push a range end (1.8) out of its range.
   */
  readPhysics(): CheetahPhysics {
    return {
      massScale: roundReadBack(this.bodies[0].mass / LINK_BODIES[0].mass),
      dampingScale: roundReadBack(this.damping[0] / LINKS[1].damping),
      friction: this.world.defaultContactMaterial.friction,
      gravity: -this.world.gravity.z,
    };
  }

  /** Puts the world into the state at states[offset ..]. */
  restore(states: Float64Array, offset: number): void {
    for (let i = 0; i < NUM_LINKS; i++) restoreBody(this.bodies[i], states, offset + i * BODY_STATE_SIZE);
  }

  /**
   * Advances the state at states[so ..] by one env step (0.05 s) under action[ao .. ao + 6) and writes the result to
   * next[no ..]. The world must already carry the instance's physics (setPhysics).
   */
  step(states: Float64Array, so: number, actions: Float64Array, ao: number, next: Float64Array, no: number): void {
    this.restore(states, so);
    const steps = FRAME_SKIP * this.settings.substeps;
    for (let s = 0; s < steps; s++) this.substep(actions, ao);
    if (this.settings.projectJoints) this.project();
    for (let i = 0; i < NUM_LINKS; i++) saveBody(this.bodies[i], next, no + i * BODY_STATE_SIZE);
    next[no + X_BEFORE] = rootX(states, so);
    next[no + ROOTY] = states[so + ROOTY] + wrapAngle(linkAngle(next, no, 0) - linkAngle(states, so, 0));
  }

  /**
   * Closes the joint gaps the velocity-level solver leaves (post-stabilisation). Keeping every link's angle, each link
   * is placed so that its joint point meets its parent's (forward kinematics from the torso), then the whole body is
   * shifted back so its centre of mass stays where the solver put it. Velocities are untouched.
   */
  private project(): void {
    const bodies = this.bodies;
    const angles = this.angles;
    for (let i = 0; i < NUM_LINKS; i++) angles[i] = 2 * Math.atan2(bodies[i].quaternion.y, bodies[i].quaternion.w);
    let gap = 0;
    for (let i = 1; i < NUM_LINKS; i++) gap = Math.max(gap, this.jointGap(i));
    this.gapBeforeProjection = gap;
    let worst = 0;
    let mass = 0;
    let dx = 0;
    let dz = 0;
    for (let i = 1; i < NUM_LINKS; i++) {
      const spec = LINKS[i];
      const p = spec.parent;
      const pb = bodies[p];
      const cb = bodies[i];
      const pl = LINK_BODIES[p];
      const cl = LINK_BODIES[i];
      const ax = pb.position.x + rotX(angles[p], spec.posX - pl.comX, spec.posZ - pl.comZ);
      const az = pb.position.z + rotZ(angles[p], spec.posX - pl.comX, spec.posZ - pl.comZ);
      const nx = ax + rotX(angles[i], cl.comX, cl.comZ);
      const nz = az + rotZ(angles[i], cl.comX, cl.comZ);
      // Parents are placed before their children, so this move includes the parent's correction; the solver's own
      // joint gaps were recorded in gapBeforeProjection above.
      worst = Math.max(worst, Math.hypot(nx - cb.position.x, nz - cb.position.z));
      dx += cb.mass * (nx - cb.position.x);
      dz += cb.mass * (nz - cb.position.z);
      cb.position.x = nx;
      cb.position.z = nz;
    }
    for (let i = 0; i < NUM_LINKS; i++) mass += bodies[i].mass;
    dx /= mass;
    dz /= mass;
    for (let i = 0; i < NUM_LINKS; i++) {
      bodies[i].position.x -= dx;
      bodies[i].position.z -= dz;
    }
    this.projectionShift = worst;
  }

  /** Distance between the two sides of joint i in the world's current pose (angles must be fresh). */
  private jointGap(i: number): number {
    const spec = LINKS[i];
    const p = spec.parent;
    const pb = this.bodies[p];
    const cb = this.bodies[i];
    const pl = LINK_BODIES[p];
    const cl = LINK_BODIES[i];
    const a = this.angles;
    const gx = pb.position.x + rotX(a[p], spec.posX - pl.comX, spec.posZ - pl.comZ) - cb.position.x - rotX(a[i], -cl.comX, -cl.comZ);
    const gz = pb.position.z + rotZ(a[p], spec.posX - pl.comX, spec.posZ - pl.comZ) - cb.position.z - rotZ(a[i], -cl.comX, -cl.comZ);
    return Math.hypot(gx, gz);
  }

  /** One world.step with joint torques and limits computed from the current pose. */
  private substep(actions: Float64Array, ao: number): void {
    const h = this.h;
    const bodies = this.bodies;
    const angles = this.angles;
    for (let i = 0; i < NUM_LINKS; i++) {
      const q = bodies[i].quaternion;
      angles[i] = 2 * Math.atan2(q.y, q.w);
    }
    for (let j = 0; j < NUM_JOINTS; j++) {
      const i = j + 1;
      const spec = LINKS[i];
      const p = spec.parent;
      const child = bodies[i];
      const parent = bodies[p];
      const q = wrapAngle(angles[i] - angles[p]);
      const qd = child.angularVelocity.y - parent.angularVelocity.y;
      let a = actions[ao + j];
      a = a > 1 ? 1 : a < -1 ? -1 : a;
      // Implicit Euler on the joint alone: the spring and damper act on the end-of-step rate, which keeps them stable
      // at any mass scale (an explicit damper with d*h/I > 2 diverges).
      const k = spec.stiffness;
      const d = this.damping[j] + h * k;
      const Ic = this.inertia[i];
      const Ip = this.inertia[p];
      const Ieff = (Ic * Ip) / (Ic + Ip);
      const tauA = spec.gear * a;
      const qdNext = (qd + (h * (tauA - k * q)) / Ieff) / (1 + (h * d) / Ieff);
      const tau = tauA - k * q - d * qdNext;
      child.torque.y += tau;
      parent.torque.y -= tau;
      // Speculative limits: the equation switches on as soon as this sub-step would carry the joint past its limit
      // and then allows exactly the motion up to the limit (or pushes back a fraction of an existing violation), so a
      // joint turning at 50 rad/s does not overshoot by a quarter radian before the limit notices.
      const lim = this.limits[j];
      const predicted = q + h * qd;
      const bias = this.settings.limitBias;
      if (predicted > spec.hi) {
        lim.enabled = true;
        lim.targetVelocity = q <= spec.hi ? (spec.hi - q) / h : (-bias * (q - spec.hi)) / h;
        lim.minForce = -LIMIT_FORCE;
        lim.maxForce = 0;
      } else if (predicted < spec.lo) {
        lim.enabled = true;
        lim.targetVelocity = q >= spec.lo ? (spec.lo - q) / h : (bias * (spec.lo - q)) / h;
        lim.minForce = 0;
        lim.maxForce = LIMIT_FORCE;
      } else {
        lim.enabled = false;
      }
    }
    this.world.step(h);
  }

  /** Largest distance (m) between the two sides of any joint in the state at states[offset ..]: 0 for a perfect joint. */
  static jointSeparation(states: Float64Array, offset: number): number {
    let worst = 0;
    for (let i = 1; i < NUM_LINKS; i++) {
      const spec = LINKS[i];
      const p = spec.parent;
      const pb = LINK_BODIES[p];
      const cb = LINK_BODIES[i];
      const tp = linkAngle(states, offset, p);
      const tc = linkAngle(states, offset, i);
      const po = offset + p * BODY_STATE_SIZE;
      const co = offset + i * BODY_STATE_SIZE;
      const ax = states[po] + rotX(tp, spec.posX - pb.comX, spec.posZ - pb.comZ);
      const az = states[po + 2] + rotZ(tp, spec.posX - pb.comX, spec.posZ - pb.comZ);
      const bx = states[co] + rotX(tc, -cb.comX, -cb.comZ);
      const bz = states[co + 2] + rotZ(tc, -cb.comX, -cb.comZ);
      worst = Math.max(worst, Math.hypot(ax - bx, az - bz));
    }
    return worst;
  }
}

