/**
 * NumPy's .npy format (version 1.0): a magic string, a little-endian header length, a Python-literal header dict
 * {'descr', 'fortran_order', 'shape'} padded so the data starts on a 64-byte boundary, then the raw C-order data.
 * Only the dtypes TwinGym stores are supported: <f8 <f4 <i4 <i8 |u1 |b1 and little-endian unicode <U (a 0-d string).
 */

/** A typed array with its numpy dtype and shape. */
export interface NpyArray {
  descr: string;
  shape: number[];
  data: Float64Array | Float32Array | Int32Array | BigInt64Array | Uint8Array | string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

function descrOf(data: NpyArray['data']): string {
  if (typeof data === 'string') return `<U${Math.max(1, [...data].length)}`;
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof BigInt64Array) return '<i8';
  return '|u1';
}

/** Encodes an array as .npy bytes. The shape must match the element count (strings are 0-d). */
export function encodeNpy(arr: { shape: number[]; data: NpyArray['data']; descr?: string }): Uint8Array {
  const descr = arr.descr ?? descrOf(arr.data);
  let body: Uint8Array;
  if (typeof arr.data === 'string') {
    if (arr.shape.length !== 0) throw new Error('strings are stored as 0-d arrays');
    const cps = [...arr.data].map((c) => c.codePointAt(0)!);
    const u = new Uint32Array(Math.max(1, cps.length));
    u.set(cps);
    body = new Uint8Array(u.buffer);
  } else {
    const count = arr.shape.reduce((a, b) => a * b, 1);
    if (count !== arr.data.length) throw new Error(`npy: shape [${arr.shape}] needs ${count} elements, got ${arr.data.length}`);
    body = new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  }
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pre = MAGIC.length + 2 + 2;
  const pad = 64 - ((pre + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(pre + header.length + body.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  out.set(body, pre + header.length);
  return out;
}

/** Decodes .npy bytes (versions 1-3, C order, the dtypes listed above; big-endian and object arrays are refused). */
export function decodeNpy(bytes: Uint8Array): NpyArray {
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) throw new Error('not an .npy file (bad magic)');
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`npy: unreadable header ${header}`);
  if (fortran === 'True') throw new Error('npy: Fortran-order arrays are not supported; save with C order');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const off = start + hlen;
  // Copy into a fresh, aligned buffer: the zip payload may start at any byte offset.
  const raw = bytes.slice(off);
  const take = (width: number) => {
    if (raw.byteLength < count * width) throw new Error(`npy: data holds ${raw.byteLength} bytes; shape [${shape}] of ${descr} needs ${count * width}`);
    return raw.buffer.slice(0, count * width);
  };
  switch (descr) {
    case '<f8': return { descr, shape, data: new Float64Array(take(8)) };
    case '<f4': return { descr, shape, data: new Float32Array(take(4)) };
    case '<i4': return { descr, shape, data: new Int32Array(take(4)) };
    case '<i8': return { descr, shape, data: new BigInt64Array(take(8)) };
    case '|u1': case '|b1': case '<u1': case '|i1': return { descr, shape, data: new Uint8Array(take(1)) };
    default: {
      const u = /^<U(\d+)$/.exec(descr);
      if (u && count === 1) {
        const cps = Array.from(new Uint32Array(take(4 * Number(u[1])))).filter((c) => c !== 0);
        return { descr, shape, data: String.fromCodePoint(...cps) };
      }
      throw new Error(`npy: dtype ${descr} is not supported`);
    }
  }
}
