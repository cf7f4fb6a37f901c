/**
 * Adam (Kingma and Ba) over an explicit variable list, with the learning rate passed per step so a schedule can change
 * it without reaching into TF.js's optimizer internals.
 *
 * The moments live in two flat vectors over all variables: the gradients are concatenated, Adam's arithmetic runs once
 * on the flat vector, and the update is split back. On the wasm backend a small op costs 20-60 microseconds of
 * dispatch, and an ensemble has dozens of small variables (8 per member for MountainCar's PerSim), so a per-variable
 * Adam spends most of a training step dispatching; the flat form needs a fixed dozen ops plus three per variable.
 */
import { tf } from './backend.js';

/** Adam's constants (PyTorch's defaults, which the PerSim reference uses). */
export interface AdamConfig {
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** PyTorch's Adam defaults. */
export const DEFAULT_ADAM: AdamConfig = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** An Adam optimizer for a fixed list of variables. */
export class Adam {
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  private readonly sizes: number[];
  private readonly consts: { b1: tf.Scalar; nb1: tf.Scalar; b2: tf.Scalar; nb2: tf.Scalar };
  private t = 0;

  constructor(readonly vars: readonly tf.Variable[], readonly config: AdamConfig = DEFAULT_ADAM) {
    if (vars.length === 0) throw new Error('Adam needs at least one variable');
    this.sizes = vars.map((x) => x.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    const zeros = tf.zeros([total]);
    this.m = tf.variable(zeros, false);
    this.v = tf.variable(zeros, false);
    zeros.dispose();
    const { beta1, beta2 } = config;
    this.consts = { b1: tf.scalar(beta1), nb1: tf.scalar(1 - beta1), b2: tf.scalar(beta2), nb2: tf.scalar(1 - beta2) };
  }

  /** Number of steps taken. */
  get steps(): number {
    return this.t;
  }

  /**
   * One step: computes `loss()` and its gradients with respect to the optimizer's variables, updates them, and returns
   * the loss value (a scalar tensor the caller must dispose, so reading it can be deferred).
   */
  step(loss: () => tf.Scalar, lr: number): tf.Scalar {
    const { beta1, beta2, epsilon } = this.config;
    this.t += 1;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    const { b1, nb1, b2, nb2 } = this.consts;
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, this.vars as tf.Variable[]);
      const g = this.vars.length === 1 ? tf.reshape(grads[this.vars[0].name], [-1]) : tf.concat(this.vars.map((x) => tf.reshape(grads[x.name], [-1])));
      const m = tf.add(tf.mul(this.m, b1), tf.mul(g, nb1));
      const v = tf.add(tf.mul(this.v, b2), tf.mul(tf.square(g), nb2));
      this.m.assign(m);
      this.v.assign(v);
      // PyTorch's form: eps is added to sqrt(v_hat); both bias corrections are folded into two scalars.
      const update = tf.div(tf.mul(m, tf.scalar((lr * Math.sqrt(c2)) / c1)), tf.add(tf.sqrt(v), tf.scalar(epsilon * Math.sqrt(c2))));
      const parts = this.vars.length === 1 ? [update] : tf.split(update, this.sizes);
      this.vars.forEach((x, i) => x.assign(tf.sub(x, tf.reshape(parts[i], x.shape))));
      return tf.keep(value);
    });
  }

  /** Frees the moment buffers and constants (not the variables being optimised). */
  dispose(): void {
    tf.dispose([this.m, this.v, this.consts.b1, this.consts.nb1, this.consts.b2, this.consts.nb2]);
  }
}
