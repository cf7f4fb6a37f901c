/**
 * Functional layers over one ensemble member's parameters. Activations of an ensemble travel as one 2-D tensor per
 * member (see params.ts for why), and these helpers declare and apply the usual pieces on that representation.
 */
import { tf } from './backend.js';
import { matMul2d } from './matmul.js';
import { EnsembleParams, linearInit } from './params.js';

/** Declares a dense layer `name` (weights [in, out] as `${name}.w`, bias [out] as `${name}.b`). */
export function declareDense(params: EnsembleParams, name: string, inSize: number, outSize: number): void {
  params.add(`${name}.w`, [inSize, outSize], linearInit(inSize));
  params.add(`${name}.b`, [outSize], linearInit(inSize));
}

/** x [B, in] times member m's dense layer. */
export function dense(params: EnsembleParams, name: string, m: number, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(matMul2d(x, params.get(`${name}.w`, m) as tf.Tensor2D), params.get(`${name}.b`, m));
}

/**
 * Declares an MLP `name` with ReLU hidden layers: layers `${name}.0` .. `${name}.${hidden.length}`. An empty hidden
 * list is a linear map.
 */
export function declareMlp(params: EnsembleParams, name: string, inSize: number, hidden: readonly number[], outSize: number): void {
  const sizes = [inSize, ...hidden, outSize];
  for (let k = 0; k + 1 < sizes.length; k++) declareDense(params, `${name}.${k}`, sizes[k], sizes[k + 1]);
}

/** Applies member m's MLP declared by declareMlp (ReLU between layers, linear output). */
export function mlp(params: EnsembleParams, name: string, layers: number, m: number, x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  for (let k = 0; k < layers; k++) {
    h = dense(params, `${name}.${k}`, m, h);
    if (k + 1 < layers) h = tf.relu(h);
  }
  return h;
}
