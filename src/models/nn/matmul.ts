/**
 * Matrix products whose gradients avoid TF.js's transposed-operand matMul. TF.js differentiates C = A B as
 * dA = dC B^T and dB = A^T dC through matMul(.., transposeA/B) flags, which the wasm backend runs 10-20x slower than a
 * plain product (measured here: 512x256 by 256x256 took 2.5 ms plain, 34 ms with transposeB, 59 ms with transposeA,
 * and 2.7-2.8 ms as an explicit transpose followed by a plain product). So the gradient transposes explicitly.
 */
import { tf } from './backend.js';

const explicit = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b) as tf.Tensor,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      const g = dy as tf.Tensor2D;
      return [tf.matMul(g, tf.transpose(sb)), tf.matMul(tf.transpose(sa), g)];
    },
  };
});

let useExplicit = true;

/**
 * Chooses the gradient path of `matMul2d`: explicit transposes (default) or TF.js's own gradient. bench/persim.ts
 * flips it to measure both in one run.
 */
export function setExplicitTransposeGrad(on: boolean): void {
  useExplicit = on;
}

/** a [n, k] times b [k, m], differentiable, with the backward pass built from plain (untransposed) products. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return (useExplicit ? explicit(a, b) : tf.matMul(a, b)) as tf.Tensor2D;
}

/** Activations the fused dense kernel applies in place. */
export type FusedActivation = 'linear' | 'relu';

/**
 * One inference-only dense layer, act(a W + bias), as a direct call of the backend's fused matMul kernel on operands
 * already shaped [1, rows, in] and [1, in, out] (the shape the kernel works on). Why not tf.fused.matMul: its op
 * wrapper reshapes both operands to 3-D and the result back, five extra engine ops per layer; in a PerSim planning
 * decision (500 layer calls) they cost 3.3 ms of 56 (bench/planning.ts, session 7), with bit-identical results.
 * No gradient is recorded: training uses matMul2d.
 */
export function fusedDense3d(a: tf.Tensor3D, w: tf.Tensor3D, bias: tf.Tensor1D, activation: FusedActivation): tf.Tensor3D {
  return tf.engine().runKernel(tf._FusedMatMul, { a, b: w, bias }, { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0 }) as tf.Tensor3D;
}
