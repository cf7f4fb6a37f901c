/**
 * The planar HalfCheetah model, derived from gym's half_cheetah.xml (REFERENCE.md 1.4): links, capsule geoms, joints,
 * gears, stiffness, damping, armature and limits, plus the quantities MuJoCo derives from them (masses from capsule
 * volumes scaled to 14 kg, centres of mass, inertias about y). Everything lives in the x-z plane; an angle is a rotation
 * about +y, which maps +z toward +x (MuJoCo's and cannon-es' right-handed convention).
 */

/** A capsule in its link's frame: centre (x, z), tilt of its axis about y (0 = along +z), half-length of the axis. */
export interface Capsule {
  readonly x: number;
  readonly z: number;
  readonly tilt: number;
  readonly half: number;
}

/** One link of the model as the XML gives it. */
export interface LinkSpec {
  readonly name: string;
  /** Index of the parent link, -1 for the torso. */
  readonly parent: number;
  /** Joint (frame origin) position in the parent's frame. */
  readonly posX: number;
  readonly posZ: number;
  readonly geoms: readonly Capsule[];
  /** Joint range [rad]; ignored for the torso. */
  readonly lo: number;
  readonly hi: number;
  readonly stiffness: number;
  readonly damping: number;
  readonly gear: number;
}

export const CAPSULE_RADIUS = 0.046;
export const TOTAL_MASS = 14;
/** MuJoCo's joint armature (kg m^2), identical on every actuated hinge. */
export const ARMATURE = 0.1;
/** Height of the torso frame at qpos = 0. */
export const TORSO_HEIGHT = 0.7;
/** MuJoCo timestep and frame skip: one env step is 0.05 s. */
export const MUJOCO_TIMESTEP = 0.01;
export const FRAME_SKIP = 5;
export const ENV_DT = MUJOCO_TIMESTEP * FRAME_SKIP;
export const GRAVITY = 9.81;
export const FRICTION = 0.4;

/** Links in the order of the XML (and of the observation's joints after the torso). */
export const LINKS: readonly LinkSpec[] = [
  {
    name: 'torso', parent: -1, posX: 0, posZ: TORSO_HEIGHT,
    // fromto (-.5,0,0)-(.5,0,0): an axis along +x is a tilt of pi/2.
    geoms: [{ x: 0, z: 0, tilt: Math.PI / 2, half: 0.5 }, { x: 0.6, z: 0.1, tilt: 0.87, half: 0.15 }],
    lo: -Infinity, hi: Infinity, stiffness: 0, damping: 0, gear: 0,
  },
  { name: 'bthigh', parent: 0, posX: -0.5, posZ: 0, geoms: [{ x: 0.1, z: -0.13, tilt: -3.8, half: 0.145 }], lo: -0.52, hi: 1.05, stiffness: 240, damping: 6, gear: 120 },
  { name: 'bshin', parent: 1, posX: 0.16, posZ: -0.25, geoms: [{ x: -0.14, z: -0.07, tilt: -2.03, half: 0.15 }], lo: -0.785, hi: 0.785, stiffness: 180, damping: 4.5, gear: 90 },
  { name: 'bfoot', parent: 2, posX: -0.28, posZ: -0.14, geoms: [{ x: 0.03, z: -0.097, tilt: -0.27, half: 0.094 }], lo: -0.4, hi: 0.785, stiffness: 120, damping: 3, gear: 60 },
  { name: 'fthigh', parent: 0, posX: 0.5, posZ: 0, geoms: [{ x: -0.07, z: -0.12, tilt: 0.52, half: 0.133 }], lo: -1, hi: 0.7, stiffness: 180, damping: 4.5, gear: 120 },
  { name: 'fshin', parent: 4, posX: -0.14, posZ: -0.24, geoms: [{ x: 0.065, z: -0.09, tilt: -0.6, half: 0.106 }], lo: -1.2, hi: 0.87, stiffness: 120, damping: 3, gear: 60 },
  { name: 'ffoot', parent: 5, posX: 0.13, posZ: -0.18, geoms: [{ x: 0.045, z: -0.07, tilt: -0.6, half: 0.07 }], lo: -0.5, hi: 0.5, stiffness: 60, damping: 1.5, gear: 30 },
];

export const NUM_LINKS = LINKS.length;
export const NUM_JOINTS = NUM_LINKS - 1;

/** Volume of a capsule of the model's radius. */
export function capsuleVolume(half: number): number {
  const r = CAPSULE_RADIUS;
  return Math.PI * r * r * 2 * half + (4 / 3) * Math.PI * r * r * r;
}

/**
 * Moment of inertia of a solid capsule of unit density about an axis through its centre perpendicular to its own axis.
 * Any axis perpendicular to the plane is such an axis, whatever the tilt.
 */
export function capsuleInertiaPerp(half: number): number {
  const r = CAPSULE_RADIUS;
  const L = 2 * half;
  const mc = Math.PI * r * r * L;
  const mh = (2 / 3) * Math.PI * r * r * r; // one hemisphere
  const cyl = mc * (L * L / 12 + r * r / 4);
  // A hemisphere's own centroidal inertia (83/320 m r^2) moved to its centroid at half + 3r/8 from the centre.
  const d = half + (3 * r) / 8;
  const hemi = mh * ((83 / 320) * r * r + d * d);
  return cyl + 2 * hemi;
}

/** Mass properties and geometry of one link, as used by the simulation. */
export interface LinkBody {
  readonly spec: LinkSpec;
  readonly mass: number;
  /** Centre of mass in the link frame (x, z). */
  readonly comX: number;
  readonly comZ: number;
  /** Rotational inertia about y through the centre of mass, without armature. */
  readonly inertia: number;
}

/** The density that makes the capsules weigh TOTAL_MASS together (MuJoCo's settotalmass). */
export function modelDensity(): number {
  let v = 0;
  for (const l of LINKS) for (const g of l.geoms) v += capsuleVolume(g.half);
  return TOTAL_MASS / v;
}

/** Mass, centre of mass and inertia of every link (MuJoCo's inertiafromgeom). */
export function linkBodies(): LinkBody[] {
  const rho = modelDensity();
  return LINKS.map((spec) => {
    let m = 0;
    let cx = 0;
    let cz = 0;
    for (const g of spec.geoms) {
      const mg = rho * capsuleVolume(g.half);
      m += mg;
      cx += mg * g.x;
      cz += mg * g.z;
    }
    cx /= m;
    cz /= m;
    let inertia = 0;
    for (const g of spec.geoms) {
      const mg = rho * capsuleVolume(g.half);
      inertia += rho * capsuleInertiaPerp(g.half) + mg * ((g.x - cx) ** 2 + (g.z - cz) ** 2);
    }
    return { spec, mass: m, comX: cx, comZ: cz, inertia };
  });
}

/** Rotates the planar vector (x, z) by angle a about +y. */
export function rotX(a: number, x: number, z: number): number {
  return Math.cos(a) * x + Math.sin(a) * z;
}

/** z component of rotating (x, z) by angle a about +y. */
export function rotZ(a: number, x: number, z: number): number {
  return -Math.sin(a) * x + Math.cos(a) * z;
}
