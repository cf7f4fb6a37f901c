/**
 * Compiled request validators, built once at load. Unknown fields are checked before the schema so they get their own
 * code (unknown_field) instead of a generic schema failure, and schema failures name the offending path.
 */
import { TypeSystemPolicy } from '@sinclair/typebox/system';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import type { TObject, TSchema } from '@sinclair/typebox';
import { REQUEST_SCHEMAS, type Op } from '../../protocol/ts/messages.js';
import { TwinGymError } from '../../src/core/errors.js';

/**
 * Compiles with non-finite numbers allowed: msgpack carries NaN and infinities, and they must reach the session so
 * that a NaN action is reported as out_of_bounds and a NaN context as context_out_of_range, the codes that say why.
 * The policy is global, so it is restored at once.
 */
export function compileAllowingNonFinite<T extends TSchema>(schema: T): TypeCheck<T> {
  const previous = TypeSystemPolicy.AllowNaN;
  TypeSystemPolicy.AllowNaN = true;
  try {
    return TypeCompiler.Compile(schema);
  } finally {
    TypeSystemPolicy.AllowNaN = previous;
  }
}

/** A JSON pointer as the dotted path the error details use: /options/reset_mask -> options.reset_mask, /seed/0 -> seed[0]. */
export function dottedPath(pointer: string): string {
  let out = '';
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(key) ? `[${key}]` : out === '' ? key : `.${key}`;
  }
  return out;
}

/** Turns the first schema violation into unknown_field (nested extra keys) or invalid_argument with details.path. */
export function schemaError(check: TypeCheck<TSchema>, value: unknown, what: string): TwinGymError {
  const first = check.Errors(value).First();
  if (!first) return new TwinGymError('invalid_argument', `${what} does not match its schema`, { path: '' });
  const path = dottedPath(first.path);
  if (first.type === ValueErrorType.ObjectAdditionalProperties) {
    return new TwinGymError('unknown_field', `${what} has an unknown field "${path}"; remove it or check its spelling`, { field: path });
  }
  const shown = describe(first.value);
  // A union's own message ("Expected union value") says nothing; its description says what is accepted.
  const expected = first.type === ValueErrorType.Union && typeof first.schema.description === 'string' ? `expected ${first.schema.description}` : first.message.toLowerCase();
  return new TwinGymError('invalid_argument', `${what}: ${path || 'the request'}: ${expected}, got ${shown}`, { path, expected });
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'nil';
  if (v instanceof Uint8Array) return `${v.byteLength} bytes`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'bigint') return `the integer ${v} (too large)`;
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The field names each op defines (id and op included). */
export const OP_FIELDS: { readonly [O in Op]: ReadonlySet<string> } = Object.fromEntries(
  Object.entries(REQUEST_SCHEMAS).map(([op, schema]) => [op, new Set(Object.keys((schema as TObject).properties))]),
) as unknown as { [O in Op]: ReadonlySet<string> };

/** The compiled request validator of each op. */
export const REQUEST_VALIDATORS: { readonly [O in Op]: TypeCheck<(typeof REQUEST_SCHEMAS)[O]> } = Object.fromEntries(
  Object.entries(REQUEST_SCHEMAS).map(([op, schema]) => [op, compileAllowingNonFinite(schema)]),
) as unknown as { [O in Op]: TypeCheck<(typeof REQUEST_SCHEMAS)[O]> };

/** The first field of `request` that `allowed` does not define, if any. */
export function unknownField(request: Record<string, unknown>, allowed: ReadonlySet<string>): string | undefined {
  for (const key in request) if (!allowed.has(key)) return key;
  return undefined;
}
