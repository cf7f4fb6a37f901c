import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../protocol/ts/frame.js';

describe('decodeFrame', () => {
  it('refuses the never-used byte 0xc1 wherever it stands, as other msgpack libraries do', () => {
    // {"a": 0xc1, "b": 1}, then the same byte nested in an array inside a map.
    expect(() => decodeFrame(Uint8Array.from([0x82, 0xa1, 0x61, 0xc1, 0xa1, 0x62, 0x01]))).toThrow(/0xc1/);
    expect(() => decodeFrame(Uint8Array.from([0x81, 0xa1, 0x61, 0x92, 0x01, 0xc1]))).toThrow(/0xc1/);
    expect(() => decodeFrame(Uint8Array.from([0xc1]))).toThrow(/0xc1/);
  });

  it('still decodes nested maps, arrays and bytes', () => {
    const value = { id: 3, op: 'step', action: [[1, 2], [3, 4]], t: { dtype: 'u8', shape: [2], data: Uint8Array.from([0xc1, 0xc1]) } };
    const back = decodeFrame(encodeFrame(value)) as typeof value;
    expect(back.action).toEqual([[1, 2], [3, 4]]);
    expect(Array.from(back.t.data)).toEqual([0xc1, 0xc1]);
  });
});
