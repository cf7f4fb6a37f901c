/**
 * Session results as wire values (DECISIONS.md 4-5): observations cast to the observation space dtype, per-env values
 * as tensors in vector sessions and as plain scalars in single ones.
 */
import { encodeTensor, type WireTensor } from '../../protocol/ts/tensor.js';
import type { EnvSession } from '../../src/core/session.js';

/** Observations of every env: [n, ...obs] in vector sessions, obs otherwise. */
export function obsTensor(session: EnvSession, obs: Float64Array): WireTensor {
  const space = session.definition.observationSpace;
  const shape = session.vectorized ? [session.numEnvs, ...space.shape] : space.shape;
  return encodeTensor(space.dtype, shape, obs);
}

/** A per-env 0/1 flag array as bool[n]; the session's arrays already hold 0/1 bytes, so no copy is made. */
export function boolTensor(flags: Uint8Array): WireTensor {
  return { dtype: 'bool', shape: [flags.length], data: flags };
}

/** episode_step: a uint in single sessions, i32[n] in vector ones. */
export function episodeStepValue(session: EnvSession, steps: Int32Array): number | WireTensor {
  return session.vectorized ? encodeTensor('i32', [steps.length], steps) : steps[0];
}
