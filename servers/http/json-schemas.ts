/**
 * Route schemas of the HTTP JSON API, derived from the protocol's request schemas so the two cannot drift: the same
 * fields, with every tensor in its JSON form and bytes as base64 text.
 */
import { Kind, Type, type TObject, type TSchema } from '@sinclair/typebox';
import { DTypeSchema } from '../../protocol/ts/schema-types.js';
import { REQUEST_SCHEMAS, type Op } from '../../protocol/ts/messages.js';

/** A tensor in JSON: flat data, non-finite numbers as strings. */
export const JsonTensorSchema = Type.Object(
  {
    dtype: DTypeSchema,
    shape: Type.Array(Type.Integer({ minimum: 0 })),
    data: Type.Array(Type.Union([Type.Number(), Type.Literal('NaN'), Type.Literal('Infinity'), Type.Literal('-Infinity'), Type.Boolean()])),
  },
  { additionalProperties: false, description: 'a tensor in JSON: data holds prod(shape) numbers in row-major order' },
);

/** Wherever the protocol takes a number, JSON may carry a non-finite one as a string (protocol/SPEC.md 11.2). */
const JsonNumberSchema = Type.Union([Type.Number(), Type.Literal('NaN'), Type.Literal('Infinity'), Type.Literal('-Infinity')]);

const Base64Schema = Type.String({ contentEncoding: 'base64', description: 'bytes as base64 text' });

/** A copy of a schema with tensors and bytes in their JSON form ($ids dropped: they name the msgpack shapes). */
export function jsonVariant(schema: TSchema): TSchema {
  if (schema.$id === 'Tensor') return JsonTensorSchema;
  if (schema[Kind] === 'Uint8Array') return Base64Schema;
  if (schema[Kind] === 'Number') return JsonNumberSchema;
  const out: Record<string | symbol, unknown> = { ...schema };
  delete out.$id;
  if (schema.properties) {
    out.properties = Object.fromEntries(Object.entries(schema.properties as Record<string, TSchema>).map(([k, v]) => [k, jsonVariant(v)]));
  }
  if (schema.patternProperties) {
    out.patternProperties = Object.fromEntries(Object.entries(schema.patternProperties as Record<string, TSchema>).map(([k, v]) => [k, jsonVariant(v)]));
  }
  if (Array.isArray(schema.anyOf)) out.anyOf = (schema.anyOf as TSchema[]).map(jsonVariant);
  if (schema.items && !Array.isArray(schema.items)) out.items = jsonVariant(schema.items as TSchema);
  return out as unknown as TSchema;
}

/** The JSON body of an op: its request fields without id, op and (for session routes) session, which the URL gives. */
export function bodySchemaOf(op: Op): TObject {
  const omit = ['id', 'op', 'session'];
  return jsonVariant(Type.Omit(REQUEST_SCHEMAS[op] as TObject, omit)) as TObject;
}

/** Path parameters of the session routes. */
export const SessionParamsSchema = Type.Object({ sid: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

/** Path parameters of GET /v1/envs/:id. */
export const EnvParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
