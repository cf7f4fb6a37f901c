/**
 * The shared test vectors: each frame decodes to its JSON meaning and re-encodes to the same bytes, is plain msgpack,
 * and validates against its TypeBox schema (the server's) and its generated JSON Schema (other languages'), while
 * deliberately broken variants do not. Every op and every error code is covered by a vector and by SPEC.md.
 */
import { describe, expect, it } from 'vitest';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { TypeSystemPolicy } from '@sinclair/typebox/system';
import type { TSchema } from '@sinclair/typebox';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { decodeFrame, encodeFrame } from '../../protocol/ts/frame.js';
import { ERROR_CODES, isErrorCode } from '../../protocol/ts/errors.js';
import { ErrorReplySchema, EVENT_SCHEMAS, OPS, REPLY_SCHEMAS, REQUEST_SCHEMAS, RESERVED_OPS, type EventName, type Op } from '../../protocol/ts/messages.js';
import { DTYPES, decodeTensor, isWireTensorLike, type DType } from '../../protocol/ts/tensor.js';
import { PROTOCOL_VERSION } from '../../protocol/ts/version.js';
import { fromHex, fromVectorJson, sameMeaning, toHex, toVectorJson, type JsonValue } from '../../protocol/ts/vector-json.js';
import type { Vector } from '../../scripts/gen-protocol.js';
import { buildSchemas } from '../../scripts/gen-protocol.js';
import { loadVectors, readRepoFile } from './helpers.js';

const { protocol, vectors } = loadVectors();
const byKind = (kind: Vector['kind']) => vectors.filter((v) => v.kind === kind);

/**
 * Walks one msgpack value starting at `pos` and returns the position after it; throws on extension types and on
 * bytes msgpack does not define. Written from the msgpack spec, independently of the encoder under test.
 */
function skipPlainMsgpack(b: Uint8Array, pos: number): number {
  const need = (n: number) => { if (pos + n > b.length) throw new Error('truncated'); };
  const be = (n: number) => { need(n); let x = 0; for (let i = 0; i < n; i++) x = x * 256 + b[pos + i]; pos += n; return x; };
  need(1);
  const c = b[pos++];
  const items = (n: number) => { for (let i = 0; i < n; i++) pos = skipPlainMsgpack(b, pos); return pos; };
  if (c <= 0x7f || c >= 0xe0 || c === 0xc0 || c === 0xc2 || c === 0xc3) return pos;
  if ((c & 0xf0) === 0x80) return items(2 * (c & 0x0f));
  if ((c & 0xf0) === 0x90) return items(c & 0x0f);
  if ((c & 0xe0) === 0xa0) { need(c & 0x1f); return pos + (c & 0x1f); }
  switch (c) {
    case 0xc4: case 0xd9: { const n = be(1); need(n); return pos + n; }
    case 0xc5: case 0xda: { const n = be(2); need(n); return pos + n; }
    case 0xc6: case 0xdb: { const n = be(4); need(n); return pos + n; }
    case 0xca: need(4); return pos + 4;
    case 0xcb: need(8); return pos + 8;
    case 0xcc: case 0xd0: need(1); return pos + 1;
    case 0xcd: case 0xd1: need(2); return pos + 2;
    case 0xce: case 0xd2: need(4); return pos + 4;
    case 0xcf: case 0xd3: need(8); return pos + 8;
    case 0xdc: return items(be(2));
    case 0xdd: return items(be(4));
    case 0xde: return items(2 * be(2));
    case 0xdf: return items(2 * be(4));
    default: throw new Error(`byte 0x${c.toString(16)} at ${pos - 1} is an extension type or undefined in msgpack`);
  }
}

/** Every tensor map inside a decoded value. */
function tensorsIn(x: unknown): Array<{ dtype: unknown; shape: unknown; data: unknown }> {
  if (isWireTensorLike(x)) return [x];
  if (Array.isArray(x)) return x.flatMap(tensorsIn);
  if (x !== null && typeof x === 'object' && !(x instanceof Uint8Array)) return Object.values(x).flatMap(tensorsIn);
  return [];
}

describe('vector file', () => {
  it('is for this protocol version and names every vector once', () => {
    expect(protocol).toBe(PROTOCOL_VERSION);
    expect(new Set(vectors.map((v) => v.name)).size).toBe(vectors.length);
    for (const v of vectors) {
      expect(['request', 'reply', 'error_reply', 'event']).toContain(v.kind);
      expect(v.description.length, v.name).toBeGreaterThan(10);
    }
  });
});

describe.each(vectors.map((v) => [v.name, v] as const))('vector %s', (_name, v) => {
  const bytes = fromHex(v.hex);

  it('is exactly one plain msgpack map', () => {
    expect(bytes[0] >> 4 === 0x8 || bytes[0] === 0xde || bytes[0] === 0xdf).toBe(true);
    expect(skipPlainMsgpack(bytes, 0)).toBe(bytes.length);
  });

  it('decodes to its JSON meaning', () => {
    const meaning = toVectorJson(decodeFrame(bytes));
    expect(sameMeaning(meaning, v.value)).toBe(true);
    expect(meaning).toEqual(v.value);
  });

  it('re-encodes from its meaning to the identical bytes, which decode to the same meaning', () => {
    const again = encodeFrame(fromVectorJson(v.value));
    expect(toHex(again)).toBe(v.hex);
    expect(sameMeaning(toVectorJson(decodeFrame(again)), v.value)).toBe(true);
  });

  it('holds only well-formed tensors', () => {
    for (const t of tensorsIn(decodeFrame(bytes))) expect(() => decodeTensor(t)).not.toThrow();
  });
});

/** The schema a vector must satisfy. */
function typeboxSchemaOf(v: Vector): TSchema {
  if (v.kind === 'error_reply') return ErrorReplySchema;
  if (v.kind === 'event') return EVENT_SCHEMAS[v.op as EventName];
  const op = v.op as Op;
  return v.kind === 'request' ? (REQUEST_SCHEMAS[op] as TSchema) : REPLY_SCHEMAS[op];
}

/** Variants of a vector's meaning that its schema must refuse. */
function brokenVariants(v: Vector): Array<[string, JsonValue]> {
  const value = v.value as Record<string, JsonValue>;
  const out: Array<[string, JsonValue]> = [
    ['unknown top-level field', { ...value, zz_unknown: 1 }],
    ['id of the wrong type', { ...value, id: 'seven' }],
    ['negative id', { ...value, id: -1 }],
    ['not a map', [value]],
  ];
  if (v.kind === 'request') {
    out.push(['op of another request', { ...value, op: v.op === 'close' ? 'step' : 'close' }]);
    out.push(['op missing', Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'op'))]);
    if ('session' in value) out.push(['session of the wrong type', { ...value, session: '1' }]);
    for (const [k, x] of Object.entries(value)) {
      // A tensor field given a string instead.
      if (x !== null && typeof x === 'object' && 'dtype' in x) out.push([`${k} as a string`, { ...value, [k]: 'tensor' }]);
    }
  } else if (v.kind === 'event') {
    out.push(['another event name', { ...value, event: 'job_started_zz' }]);
    out.push(['event missing', Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'event'))]);
    out.push(['an event that looks like a reply', { ...value, ok: true }]);
  } else {
    out.push(['ok of the wrong type', { ...value, ok: v.kind === 'reply' ? 'yes' : 0 }]);
    out.push(['ok flipped', { ...value, ok: v.kind !== 'reply' }]);
  }
  if (v.kind === 'error_reply') {
    const error = value.error as Record<string, JsonValue>;
    out.push(['error without message', { ...value, error: { code: error.code, details: error.details } }]);
    out.push(['unknown field in error', { ...value, error: { ...error, hint: 'x' } }]);
  }
  return out;
}

describe('vectors validate against the TypeBox schemas the server compiles', () => {
  const compiled = new Map<TSchema, ReturnType<typeof TypeCompiler.Compile>>();
  const check = (schema: TSchema, value: unknown) => {
    if (!compiled.has(schema)) {
      // As the server compiles: plain floats may be NaN or infinite (SPEC.md 3.4), e.g. an unbounded reward_range.
      const previous = TypeSystemPolicy.AllowNaN;
      TypeSystemPolicy.AllowNaN = true;
      try {
        compiled.set(schema, TypeCompiler.Compile(schema));
      } finally {
        TypeSystemPolicy.AllowNaN = previous;
      }
    }
    return compiled.get(schema)!.Check(value);
  };

  it.each(vectors.map((v) => [v.name, v] as const))('%s is valid, its broken variants are not', (_name, v) => {
    const schema = typeboxSchemaOf(v);
    const decoded = decodeFrame(fromHex(v.hex));
    const ok = check(schema, decoded);
    // On failure, show TypeBox's reasons rather than a bare false.
    if (!ok) expect([...compiled.get(schema)!.Errors(decoded)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
    expect(ok, v.name).toBe(true);
    for (const [what, broken] of brokenVariants(v)) expect(check(schema, fromVectorJson(broken)), `${v.name}: ${what}`).toBe(false);
  });

  it('error replies carry documented codes', () => {
    for (const v of byKind('error_reply')) {
      const error = (v.value as { error: { code: string } }).error;
      expect(isErrorCode(error.code), v.name).toBe(true);
    }
  });
});

describe('vectors validate against the generated JSON Schemas other languages use', () => {
  const ajv = new Ajv2020({ allErrors: true });
  for (const [name, schema] of buildSchemas()) if (name !== 'index') ajv.addSchema(schema);
  const index = buildSchemas().get('index') as { requests: Record<string, string>; replies: Record<string, string>; error_reply: string; events: Record<string, string> };
  const fileOf = (v: Vector) => {
    if (v.kind === 'error_reply') return index.error_reply;
    if (v.kind === 'event') return index.events[v.op!];
    return v.kind === 'request' ? index.requests[v.op!] : index.replies[v.op!];
  };
  // The README's convention for JSON-only validators: bytes become strings, non-finite floats finite ones of the same sign.
  const forJsonSchema = (json: JsonValue): unknown => {
    const walk = (x: unknown): unknown => {
      if (x instanceof Uint8Array) return toHex(x);
      if (typeof x === 'number' && !Number.isFinite(x)) return Number.isNaN(x) ? 0 : Math.sign(x) * Number.MAX_VALUE;
      if (Array.isArray(x)) return x.map(walk);
      if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
      return x;
    };
    return walk(fromVectorJson(json));
  };

  it.each(vectors.map((v) => [v.name, v] as const))('%s is valid, its broken variants are not', (_name, v) => {
    const validate = ajv.getSchema(fileOf(v));
    expect(validate, fileOf(v)).toBeDefined();
    expect(validate!(forJsonSchema(v.value)), JSON.stringify(validate!.errors)).toBe(true);
    for (const [what, broken] of brokenVariants(v)) expect(validate!(forJsonSchema(broken)), `${v.name}: ${what}`).toBe(false);
  });
});

describe('coverage', () => {
  const spec = readRepoFile('protocol/SPEC.md');

  it('every op has a request vector, a reply vector and a section in SPEC.md', () => {
    for (const op of OPS) {
      expect(byKind('request').some((v) => v.op === op), `${op} request`).toBe(true);
      expect(byKind('reply').some((v) => v.op === op), `${op} reply`).toBe(true);
      expect(spec, `SPEC.md section for ${op}`).toMatch(new RegExp(`^#### \`${op}\``, 'm'));
    }
  });

  it('every error code has an error_reply vector and is described in SPEC.md beyond the generated table', () => {
    for (const code of Object.keys(ERROR_CODES)) {
      expect(byKind('error_reply').filter((v) => (v.value as { error: { code: string } }).error.code === code), code).toHaveLength(1);
      const mentions = spec.split(`\`${code}\``).length - 1;
      expect(mentions, `${code} mentioned in SPEC.md prose`).toBeGreaterThanOrEqual(2);
    }
  });

  it('every event has a vector, a schema file and a mention in SPEC.md', () => {
    for (const name of Object.keys(EVENT_SCHEMAS)) {
      expect(byKind('event').some((v) => v.op === name), name).toBe(true);
      expect(spec).toContain(`\`${name}\``);
    }
  });

  it('SPEC.md names every reserved op', () => {
    for (const op of RESERVED_OPS) expect(spec).toContain(`\`${op}\``);
  });

  it('tensors of every dtype appear, and f32 and f64 tensors carry NaN and both infinities', () => {
    const seen = new Set<DType>();
    const nonFinite: Record<'f32' | 'f64', Set<string>> = { f32: new Set(), f64: new Set() };
    for (const v of vectors) {
      for (const raw of tensorsIn(decodeFrame(fromHex(v.hex)))) {
        const t = decodeTensor(raw);
        seen.add(t.dtype);
        if (t.dtype === 'f32' || t.dtype === 'f64') {
          for (const x of t.values as Float32Array | Float64Array) if (!Number.isFinite(x)) nonFinite[t.dtype].add(String(x));
        }
      }
    }
    expect([...seen].sort()).toEqual([...DTYPES].sort());
    expect([...nonFinite.f32].sort()).toEqual(['-Infinity', 'Infinity', 'NaN']);
    expect([...nonFinite.f64].sort()).toEqual(['-Infinity', 'Infinity', 'NaN']);
  });

  it('covers the variants that matter: single vs vector step replies, same_step info, seed lists with reset_mask, Dict/Tuple spaces', () => {
    const values = (name: string) => vectors.find((v) => v.name === name)!.value as Record<string, JsonValue>;
    const single = decodeFrame(fromHex(vectors.find((v) => v.name === 'step_reply')!.hex)) as Record<string, unknown>;
    expect(typeof single.reward).toBe('number');
    expect(typeof single.terminated).toBe('boolean');
    const vec = decodeFrame(fromHex(vectors.find((v) => v.name === 'step_reply_vector_same_step')!.hex)) as Record<string, Record<string, unknown>>;
    expect(decodeTensor(vec.reward)).toMatchObject({ dtype: 'f64', shape: [4] });
    expect(decodeTensor(vec.terminated)).toMatchObject({ dtype: 'bool', shape: [4] });
    expect(decodeTensor(vec.info.final_obs)).toMatchObject({ dtype: 'f32', shape: [4, 2] });
    const mask = decodeTensor(vec.info.final_mask);
    const term = decodeTensor(vec.terminated).values;
    const trunc = decodeTensor(vec.truncated).values;
    // final_mask marks exactly the envs that ended this step, and those restart at episode_step 0.
    const steps = decodeTensor(vec.info.episode_step).values;
    for (let i = 0; i < 4; i++) {
      expect(mask.values[i]).toBe(term[i] || trunc[i] ? 1 : 0);
      if (mask.values[i]) expect(steps[i]).toBe(0);
    }
    expect(values('reset_request_seed_list_mask')).toMatchObject({ seed: [1000, 2000, 3000, 4000], options: { reset_mask: [false, true, false, true] } });
    const types = JSON.stringify(values('list_envs_reply_structured_spaces'));
    expect(types).toContain('"type":"dict"');
    expect(types).toContain('"type":"tuple"');
    expect(types).toContain('"type":"multi_binary"');
    expect(types).toContain('"type":"multi_discrete"');
  });
});
