/**
 * readBatch: what clients send for a batch of actions (tensors, plain numbers, nested arrays) becomes numEnvs x size
 * float64 numbers, with dtype and shape checked against the space and a single value broadcast to every env.
 */
import { describe, expect, it } from 'vitest';
import { readBatch, acceptedDTypes } from '../../src/core/batch-input.js';
import { Box, Discrete } from '../../src/core/spaces.js';
import { encodeTensor } from '../../protocol/ts/tensor.js';
import { TwinGymError } from '../../src/core/errors.js';

const disc = new Discrete(3);
const box = new Box(-1, 1, [2], 'f32');

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TwinGymError);
    return (e as TwinGymError).code;
  }
  return 'no error';
}

describe('dtype rules', () => {
  it('integer spaces take integer dtypes (i32, i64, u8, bool); real Boxes take f32 and f64', () => {
    expect(acceptedDTypes(disc)).toEqual(['i32', 'i64', 'u8', 'bool']);
    expect(acceptedDTypes(box)).toEqual(['f32', 'f64']);
    for (const dtype of ['i32', 'i64', 'u8'] as const) {
      expect(Array.from(readBatch(disc, encodeTensor(dtype, [2], [2, 0]), 2, true, 'action'))).toEqual([2, 0]);
    }
    expect(Array.from(readBatch(disc, encodeTensor('bool', [2], [1, 0]), 2, true, 'action'))).toEqual([1, 0]);
    expect(Array.from(readBatch(box, encodeTensor('f32', [2], [0.5, -0.25]), 1, false, 'action'))).toEqual([0.5, -0.25]);
    expect(Array.from(readBatch(box, encodeTensor('f64', [2], [0.1, -0.3]), 1, false, 'action'))).toEqual([0.1, -0.3]);
  });

  it('refuses lossy dtypes with bad_dtype naming the accepted ones', () => {
    let err: TwinGymError | undefined;
    try {
      readBatch(disc, encodeTensor('f32', [], [1]), 1, false, 'action');
    } catch (e) {
      err = e as TwinGymError;
    }
    expect(err?.code).toBe('bad_dtype');
    expect(err?.details).toMatchObject({ path: 'action', got: 'f32', expected: ['i32', 'i64', 'u8', 'bool'] });
    expect(err?.message).toContain('i64');
    expect(codeOf(() => readBatch(box, encodeTensor('i32', [2], [0, 1]), 1, false, 'action'))).toBe('bad_dtype');
  });

  it('keeps f32 values exact (the float32 number, not a re-rounded decimal)', () => {
    const v = readBatch(box, encodeTensor('f32', [2], [0.1, 0.7]), 1, false, 'action');
    expect(v[0]).toBe(Math.fround(0.1));
    expect(v[1]).toBe(Math.fround(0.7));
  });

  it('refuses malformed tensors with bad_tensor', () => {
    expect(codeOf(() => readBatch(box, { dtype: 'f16', shape: [2], data: new Uint8Array(4) }, 1, false, 'action'))).toBe('bad_tensor');
    expect(codeOf(() => readBatch(box, { dtype: 'f32', shape: [2], data: new Uint8Array(7) }, 1, false, 'action'))).toBe('bad_tensor');
    expect(codeOf(() => readBatch(box, { dtype: 'f32', shape: [-2], data: new Uint8Array(8) }, 1, false, 'action'))).toBe('bad_tensor');
  });
});

describe('shape rules and broadcasting', () => {
  it('vector sessions take [n, ...shape]', () => {
    expect(Array.from(readBatch(box, [[0, 1], [-1, 0.5], [0.25, 0]], 3, true, 'action'))).toEqual([0, 1, -1, 0.5, 0.25, 0]);
    expect(Array.from(readBatch(disc, [0, 1, 2], 3, true, 'action'))).toEqual([0, 1, 2]);
  });

  it('vector sessions broadcast one value of the space shape to every env', () => {
    expect(Array.from(readBatch(box, [0.5, -0.5], 3, true, 'action'))).toEqual([0.5, -0.5, 0.5, -0.5, 0.5, -0.5]);
    expect(Array.from(readBatch(disc, 2, 4, true, 'action'))).toEqual([2, 2, 2, 2]);
    expect(Array.from(readBatch(disc, encodeTensor('i64', [], [1]), 2, true, 'action'))).toEqual([1, 1]);
  });

  it('single sessions take the space shape, and a [1, ...shape] batch', () => {
    expect(Array.from(readBatch(disc, 1, 1, false, 'action'))).toEqual([1]);
    expect(Array.from(readBatch(box, [0.5, 0], 1, false, 'action'))).toEqual([0.5, 0]);
    expect(Array.from(readBatch(box, [[0.5, 0]], 1, false, 'action'))).toEqual([0.5, 0]);
  });

  it('refuses other shapes with bad_shape giving the expected shape', () => {
    let err: TwinGymError | undefined;
    try {
      readBatch(box, [[0, 1], [0, 1]], 3, true, 'action');
    } catch (e) {
      err = e as TwinGymError;
    }
    expect(err?.code).toBe('bad_shape');
    expect(err?.details).toMatchObject({ got: [2, 2], expected: [3, 2] });
    expect(err?.message).toContain('[3, 2]');
    expect(codeOf(() => readBatch(box, [0, 1, 2, 3], 2, true, 'action'))).toBe('bad_shape');
    expect(codeOf(() => readBatch(box, [[[0, 1]], [[0, 1]]], 2, true, 'action'))).toBe('bad_shape'); // an extra dimension
    expect(codeOf(() => readBatch(disc, [1, 2], 1, false, 'action'))).toBe('bad_shape');
    expect(codeOf(() => readBatch(box, [0.5], 1, false, 'action'))).toBe('bad_shape');
    expect(codeOf(() => readBatch(box, [], 1, false, 'action'))).toBe('bad_shape');
    expect(codeOf(() => readBatch(disc, encodeTensor('i64', [2, 1], [1, 1]), 2, true, 'action'))).toBe('bad_shape');
  });

  it('refuses ragged arrays and non-numbers with invalid_argument', () => {
    expect(codeOf(() => readBatch(box, [[0, 1], [0]], 2, true, 'action'))).toBe('invalid_argument');
    expect(codeOf(() => readBatch(disc, 'left', 1, false, 'action'))).toBe('invalid_argument');
    expect(codeOf(() => readBatch(disc, [1, '2'], 2, true, 'action'))).toBe('invalid_argument');
    expect(codeOf(() => readBatch(disc, null, 1, false, 'action'))).toBe('invalid_argument');
  });

  it('leaves bounds to the session: NaN and out-of-range values pass through unchanged', () => {
    const v = readBatch(box, encodeTensor('f64', [2], [NaN, 7]), 1, false, 'action');
    expect(Number.isNaN(v[0])).toBe(true);
    expect(v[1]).toBe(7);
  });
});
