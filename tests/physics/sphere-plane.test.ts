import { describe, expect, it } from 'vitest';
import { Body, Plane, Sphere, Vec3, World } from 'cannon-es';
import { installFastSpherePlane } from '../../envs/physics/shared/sphere-plane.js';
import { CheetahWorld, DEFAULT_CHEETAH_SIM } from '../../envs/physics/cheetah/world.js';
import { CHEETAH_STATE_SIZE, NQ, stateFromGeneralized } from '../../envs/physics/cheetah/kinematics.js';
import { Rng } from '../../src/core/rng.js';

describe('cannon-es fast path', () => {
  it('the early-out sphere-plane test finds the same contacts as the stock one', () => {
    const run = (fast: boolean) => {
      const world = new World({ gravity: new Vec3(0, 0, -9.81) });
      if (fast) installFastSpherePlane(world.narrowphase);
      const floor = new Body({ mass: 0, type: Body.STATIC });
      floor.addShape(new Plane());
      floor.quaternion.setFromAxisAngle(new Vec3(1, 0, 0), 0.2); // a tilted floor exercises the normal
      world.addBody(floor);
      const ball = new Body({ mass: 1 });
      ball.addShape(new Sphere(0.1), new Vec3(0.05, 0, 0));
      ball.addShape(new Sphere(0.1), new Vec3(-0.05, 0, 0.3));
      ball.position.set(0, 0, 0.5);
      ball.velocity.set(0.3, 0, 0);
      world.addBody(ball);
      const out: number[] = [];
      for (let t = 0; t < 120; t++) {
        world.step(0.01);
        out.push(ball.position.x, ball.position.y, ball.position.z, world.contacts.length);
      }
      return out;
    };
    const fast = run(true);
    expect(fast).toEqual(run(false));
    expect(Math.max(...fast.filter((_, k) => k % 4 === 3))).toBeGreaterThan(0); // contacts did happen
  });

  it('gives bit-identical cheetah trajectories with and without the early-out test', () => {
    const fast = new CheetahWorld();
    const stock = new CheetahWorld({ ...DEFAULT_CHEETAH_SIM, fastSpherePlane: false });
    for (const w of [fast, stock]) w.setPhysics({ massScale: 0.3, dampingScale: 1.7, friction: 0.4, gravity: 9.81 });
    let a = new Float64Array(CHEETAH_STATE_SIZE);
    stateFromGeneralized(new Array(NQ).fill(0), new Array(NQ).fill(0), a, 0);
    let b = a.slice();
    const rng = Rng.fromSeed(4);
    const act = new Float64Array(6);
    for (let t = 0; t < 60; t++) {
      for (let j = 0; j < 6; j++) act[j] = rng.random() < 0.5 ? -1 : 1;
      const na = new Float64Array(CHEETAH_STATE_SIZE);
      const nb = new Float64Array(CHEETAH_STATE_SIZE);
      fast.step(a, 0, act, 0, na, 0);
      stock.step(b, 0, act, 0, nb, 0);
      expect(Array.from(na)).toEqual(Array.from(nb));
      a = na;
      b = nb;
    }
  });
});
