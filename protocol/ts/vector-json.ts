/**
 * The JSON meaning of a frame, as protocol/vectors/v1.json writes it. JSON has no bytes and no non-finite numbers, so
 * two rules cover what msgpack carries and JSON cannot:
 *   - msgpack bin  <->  {"$bin": "<lowercase hex>"}
 *   - NaN, Infinity, -Infinity  <->  {"$float": "NaN" | "Infinity" | "-Infinity"}
 * Everything else maps to itself (maps to objects, arrays to arrays, nil to null). Integers and floats are both JSON
 * numbers and compare numerically, because msgpack encoders differ in which one they pick for 1.0.
 * The Python and Go clients implement the same two rules; this module is the TypeScript one.
 */

/** A JSON value: what JSON.parse returns. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const NON_FINITE = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY } as const;
type NonFiniteName = keyof typeof NON_FINITE;

/** Lowercase hex of some bytes (the form of `hex` and `$bin` in the vectors file). */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += bytes[i].toString(16).padStart(2, '0');
  return s;
}

/** The bytes of a hex string; throws on odd length or a non-hex character, so a typo in a vector cannot pass. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`not a hex byte string: ${hex.slice(0, 40)}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function nonFiniteName(x: number): NonFiniteName {
  if (Number.isNaN(x)) return 'NaN';
  return x > 0 ? 'Infinity' : '-Infinity';
}

/**
 * The JSON meaning of a decoded frame value. Throws on values plain msgpack cannot carry (undefined, functions) and on
 * integers beyond 2^53, which JSON numbers would silently round.
 */
export function toVectorJson(value: unknown, path = '$'): JsonValue {
  if (value === null) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $float: nonFiniteName(value) };
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new Error(`${path}: integer ${value} is beyond 2^53 and has no exact JSON meaning`);
    }
    return Number(value);
  }
  if (value instanceof Uint8Array) return { $bin: toHex(value) };
  if (Array.isArray(value)) return value.map((v, i) => toVectorJson(v, `${path}[${i}]`));
  if (typeof value === 'object' && !ArrayBuffer.isView(value)) {
    // fromEntries defines own properties, so a "__proto__" key stays a key instead of replacing the prototype.
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toVectorJson(v, `${path}.${k}`)]));
  }
  throw new Error(`${path}: ${ArrayBuffer.isView(value) ? 'a typed array other than Uint8Array' : typeof value} has no msgpack meaning; wrap arrays as tensors`);
}

/** True when `x` is an object with exactly the one key `key` holding a string (the shape of $bin and $float). */
function isTagged(x: { [key: string]: JsonValue }, key: '$bin' | '$float'): boolean {
  const keys = Object.keys(x);
  return keys.length === 1 && keys[0] === key && typeof x[key] === 'string';
}

/**
 * The value to encode for a JSON meaning: {"$bin"} becomes a Uint8Array (msgpack bin), {"$float"} a non-finite number.
 * Throws on an unknown $float name so that a misspelt vector fails loudly instead of encoding a map.
 */
export function fromVectorJson(json: JsonValue): unknown {
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map(fromVectorJson);
  if (isTagged(json, '$bin')) return fromHex(json.$bin as string);
  if (isTagged(json, '$float')) {
    const name = json.$float as string;
    if (!Object.prototype.hasOwnProperty.call(NON_FINITE, name)) throw new Error(`$float must be NaN, Infinity or -Infinity, got ${name}`);
    return NON_FINITE[name as NonFiniteName];
  }
  return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, fromVectorJson(v)]));
}

/**
 * Whether two JSON meanings are the same frame content: map key order does not matter (msgpack maps are unordered),
 * array order does, numbers compare numerically.
 */
export function sameMeaning(a: JsonValue, b: JsonValue): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameMeaning(x, b[i]));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameMeaning(a[k], b[k]));
}
