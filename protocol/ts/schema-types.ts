/** TypeBox building blocks shared by the space and message schemas. */
import { Type, type TSchema } from '@sinclair/typebox';

/** The six tensor dtypes. */
export const DTypeSchema = Type.Union(
  [Type.Literal('f32'), Type.Literal('f64'), Type.Literal('i32'), Type.Literal('i64'), Type.Literal('u8'), Type.Literal('bool')],
  { $id: 'DType', description: 'Element type of a tensor; data holds little-endian elements of this type.' },
);

/** A tensor map; `data` is msgpack bin. */
export const TensorSchema = Type.Object(
  {
    dtype: DTypeSchema,
    shape: Type.Array(Type.Integer({ minimum: 0 })),
    data: Type.Uint8Array({ description: 'msgpack bin: prod(shape) little-endian elements, row-major' }),
  },
  { $id: 'Tensor', additionalProperties: false },
);

/** Unsigned integer fields (ids, counts, indices). */
export const UInt = (opts: Record<string, unknown> = {}) => Type.Integer({ minimum: 0, ...opts });

/** A scalar that may also be a tensor: numbers and arrays of numbers are accepted where a tensor is. */
export const NumericInput = Type.Union([TensorSchema, Type.Number(), Type.Array(Type.Number()), Type.Array(Type.Array(Type.Number()))], {
  description: 'A tensor, a plain number, or a (nested) array of numbers',
});

/** Wraps a schema so it may be absent or nil. */
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
