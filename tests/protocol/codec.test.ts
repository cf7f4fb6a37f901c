/**
 * Property tests of the two codecs every client re-implements: tensors (protocol/ts/tensor.ts) and the JSON meaning of
 * frames used by the vectors (protocol/ts/vector-json.ts).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeFrame, encodeFrame } from '../../protocol/ts/frame.js';
import {
  DTYPES, DTYPE_SIZE, TensorFormatError, decodeTensor, encodeTensor, numel, tensorNumbers, type AnyTypedArray, type DType,
} from '../../protocol/ts/tensor.js';
import { fromHex, fromVectorJson, sameMeaning, toHex, toVectorJson, type JsonValue } from '../../protocol/ts/vector-json.js';

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });

/** Values of a dtype, as the typed array the dtype decodes into; floats include NaN, infinities and -0. */
function typedArb(dtype: DType, n: number): fc.Arbitrary<AnyTypedArray> {
  const len = { minLength: n, maxLength: n };
  switch (dtype) {
    case 'f32': return fc.array(fc.float(), len).map((xs) => Float32Array.from(xs));
    case 'f64': return fc.array(fc.double(), len).map((xs) => Float64Array.from(xs));
    case 'i32': return fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), len).map((xs) => Int32Array.from(xs));
    case 'i64': return fc.array(fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n), len).map((xs) => BigInt64Array.from(xs));
    case 'u8': return fc.array(fc.integer({ min: 0, max: 255 }), len).map((xs) => Uint8Array.from(xs));
    case 'bool': return fc.array(fc.boolean(), len).map((xs) => Uint8Array.from(xs, Number));
  }
}

const tensorCase = fc.constantFrom(...DTYPES).chain((dtype) =>
  shapeArb.chain((shape) => typedArb(dtype, numel(shape)).map((values) => ({ dtype, shape, values }))),
);

/** Bitwise equality of two typed arrays' contents (NaN payloads and -0 included). */
function sameBytes(a: AnyTypedArray, b: AnyTypedArray): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

describe('tensor encoding', () => {
  it('round-trips every dtype through a frame bit for bit', () => {
    fc.assert(fc.property(tensorCase, ({ dtype, shape, values }) => {
      const frame = encodeFrame({ id: 1, ok: true, obs: encodeTensor(dtype, shape, values) });
      const back = decodeTensor((decodeFrame(frame) as { obs: unknown }).obs);
      expect(back.dtype).toBe(dtype);
      expect(back.shape).toEqual(shape);
      expect(back.values.length).toBe(numel(shape));
      expect(sameBytes(back.values, values)).toBe(true);
    }), { numRuns: 300 });
  });

  it('writes little-endian bytes, row-major', () => {
    const t = encodeTensor('i32', [2, 2], [1, 2, 3, -1]);
    expect(toHex(t.data)).toBe('01000000' + '02000000' + '03000000' + 'ffffffff');
    expect(toHex(encodeTensor('f64', [1], [1]).data)).toBe('000000000000f03f');
    expect(toHex(encodeTensor('f32', [3], [Number.NaN, Infinity, -Infinity]).data)).toBe('0000c07f' + '0000807f' + '000080ff');
  });

  it('reads data at any byte offset (a bin inside a larger frame is usually misaligned)', () => {
    fc.assert(fc.property(tensorCase, fc.integer({ min: 0, max: 15 }), ({ dtype, shape, values }, offset) => {
      const wire = encodeTensor(dtype, shape, values);
      const buffer = new Uint8Array(offset + wire.data.length);
      buffer.set(wire.data, offset);
      const data = buffer.subarray(offset);
      const back = decodeTensor({ dtype, shape, data });
      expect(sameBytes(back.values, values)).toBe(true);
      // The decoded view never aliases a misaligned source (a typed array view there would throw or misread).
      expect(back.values.byteOffset % DTYPE_SIZE[dtype]).toBe(0);
    }), { numRuns: 300 });
  });

  it('decodes tensors whose bin sits at an odd offset inside a real frame', () => {
    const values = Float64Array.of(Number.NaN, -0, 1.5, -Infinity);
    for (const pad of ['', 'a', 'ab', 'abc']) {
      const frame = encodeFrame({ p: pad, t: encodeTensor('f64', [4], values) });
      const raw = (decodeFrame(frame) as { t: { data: Uint8Array } }).t;
      const back = decodeTensor(raw).values as Float64Array;
      expect(sameBytes(back, values)).toBe(true);
    }
  });

  it('converts numbers to the dtype: i64 truncates, bool stores 0 or 1', () => {
    expect(Array.from(decodeTensor(encodeTensor('i64', [3], [2, -3, 7.9])).values as BigInt64Array)).toEqual([2n, -3n, 7n]);
    expect(Array.from(decodeTensor(encodeTensor('bool', [4], [2, 0, -1, 0.5])).values as Uint8Array)).toEqual([1, 0, 1, 1]);
    expect(Array.from(tensorNumbers(decodeTensor(encodeTensor('i64', [2], [-5, 9]))))).toEqual([-5, 9]);
  });

  it('refuses malformed tensor maps with the reason a server reports as bad_tensor', () => {
    const reason = (t: unknown) => { try { decodeTensor(t); return 'none'; } catch (e) { return e instanceof TensorFormatError ? e.reason : 'other'; } };
    const ok = encodeTensor('f32', [2], [1, 2]);
    expect(reason(ok)).toBe('none');
    expect(reason({ ...ok, dtype: 'f16' })).toBe('dtype');
    expect(reason({ ...ok, shape: [-2] })).toBe('shape');
    expect(reason({ ...ok, shape: [1.5] })).toBe('shape');
    expect(reason({ ...ok, shape: [3] })).toBe('data');
    expect(reason({ ...ok, data: [0, 0, 0, 0, 0, 0, 0, 0] })).toBe('data');
    expect(reason({ dtype: 'f32', shape: [2] })).toBe('data');
    expect(() => encodeTensor('f32', [2, 2], [1, 2, 3])).toThrow(TensorFormatError);
  });
});

/** Any value a frame can hold: plain msgpack types only (non-finite floats and bytes included). */
const frameValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
    fc.string(),
    fc.uint8Array({ maxLength: 12 }),
  ),
  // "__proto__" keys are renamed on decode (tested below), so they cannot round-trip to the same bytes.
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string().filter((k) => k !== '__proto__'), tie('node'), { maxKeys: 4 })),
})).node;

describe('JSON meaning ($bin / $float)', () => {
  it('round-trips any frame value through JSON text to the same bytes', () => {
    fc.assert(fc.property(frameValue, (value) => {
      const bytes = encodeFrame(value);
      const meaning = toVectorJson(decodeFrame(bytes));
      const text = JSON.stringify(meaning);
      const parsed = JSON.parse(text) as JsonValue;
      expect(sameMeaning(parsed, meaning)).toBe(true);
      expect(toHex(encodeFrame(fromVectorJson(parsed)))).toBe(toHex(bytes));
    }), { numRuns: 400 });
  });

  it('never lets a frame reach a prototype: a "__proto__" key decodes as "__proto_" (protocol/SPEC.md 2.2)', () => {
    // {"__proto__": {"polluted": true}} written by hand: fixmap 1, fixstr 9, fixmap 1, fixstr 8, true.
    const bytes = Uint8Array.from([0x81, 0xa9, ...new TextEncoder().encode('__proto__'), 0x81, 0xa8, ...new TextEncoder().encode('polluted'), 0xc3]);
    const value = decodeFrame(bytes) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto_']);
    expect(value.__proto_).toEqual({ polluted: true });
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('writes bytes as {$bin: hex} and non-finite floats as {$float}', () => {
    expect(toVectorJson({ d: new Uint8Array([0, 255, 16]), n: Number.NaN, p: Infinity, m: -Infinity, x: 1.5 }))
      .toEqual({ d: { $bin: '00ff10' }, n: { $float: 'NaN' }, p: { $float: 'Infinity' }, m: { $float: '-Infinity' }, x: 1.5 });
    const back = fromVectorJson({ d: { $bin: '00FF10' }, n: { $float: 'NaN' }, m: { $float: '-Infinity' } }) as Record<string, unknown>;
    expect(back.d).toEqual(new Uint8Array([0, 255, 16]));
    expect(back.n).toBeNaN();
    expect(back.m).toBe(-Infinity);
  });

  it('treats only single-key objects as tagged and rejects malformed tags', () => {
    expect(fromVectorJson({ $bin: '00', note: 'x' })).toEqual({ $bin: '00', note: 'x' });
    expect(fromVectorJson({ $float: 1 })).toEqual({ $float: 1 });
    expect(() => fromVectorJson({ $bin: 'abc' })).toThrow();
    expect(() => fromVectorJson({ $bin: 'zz' })).toThrow();
    expect(() => fromVectorJson({ $float: 'nan' })).toThrow();
    expect(() => fromHex('0g')).toThrow();
  });

  it('refuses values without a plain msgpack meaning', () => {
    expect(() => toVectorJson({ a: undefined })).toThrow();
    expect(() => toVectorJson(new Float32Array(2))).toThrow(/typed array/);
    expect(() => toVectorJson(2n ** 60n)).toThrow(/2\^53/);
    expect(toVectorJson(7n)).toBe(7);
  });

  it('compares numerically and ignores map key order, not array order', () => {
    expect(sameMeaning({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1.0 })).toBe(true);
    expect(sameMeaning({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameMeaning({ a: 1 }, { a: 1, b: null })).toBe(false);
    expect(sameMeaning({ a: { $float: 'NaN' } }, { a: { $float: 'NaN' } })).toBe(true);
  });
});

describe('frames', () => {
  it('omit undefined fields instead of writing a msgpack extension', () => {
    expect(toHex(encodeFrame({ id: 1, seed: undefined }))).toBe(toHex(encodeFrame({ id: 1 })));
    expect(toHex(encodeFrame([undefined]))).toBe('91c0');
  });
});
