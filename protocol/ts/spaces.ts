/**
 * Serialisable space descriptions (Gymnasium's Box, Discrete, MultiDiscrete, MultiBinary, Dict, Tuple) and the context
 * space of an environment. Bounds travel as tensors, so infinities and the exact float32 values survive the wire.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TensorSchema, UInt } from './schema-types.js';

export const BoxSpecSchema = Type.Object(
  {
    type: Type.Literal('box'),
    dtype: Type.Union([Type.Literal('f32'), Type.Literal('f64'), Type.Literal('i32'), Type.Literal('i64'), Type.Literal('u8')]),
    shape: Type.Array(UInt()),
    low: TensorSchema,
    high: TensorSchema,
  },
  { $id: 'BoxSpec', additionalProperties: false, description: 'Box: low <= x <= high elementwise; bounds in the space dtype, may be infinite' },
);

export const DiscreteSpecSchema = Type.Object(
  { type: Type.Literal('discrete'), dtype: Type.Literal('i64'), n: UInt({ minimum: 1 }), start: Type.Integer() },
  { $id: 'DiscreteSpec', additionalProperties: false, description: 'Discrete: integers start, ..., start + n - 1' },
);

export const MultiDiscreteSpecSchema = Type.Object(
  { type: Type.Literal('multi_discrete'), dtype: Type.Literal('i64'), shape: Type.Array(UInt()), nvec: TensorSchema, start: TensorSchema },
  { $id: 'MultiDiscreteSpec', additionalProperties: false, description: 'MultiDiscrete: element i in start[i] .. start[i] + nvec[i] - 1' },
);

export const MultiBinarySpecSchema = Type.Object(
  { type: Type.Literal('multi_binary'), dtype: Type.Literal('u8'), shape: Type.Array(UInt()) },
  { $id: 'MultiBinarySpec', additionalProperties: false, description: 'MultiBinary: 0/1 elements of the given shape' },
);

/** Recursive description of any space. */
export const SpaceSpecSchema = Type.Recursive(
  (Self) =>
    Type.Union([
      BoxSpecSchema,
      DiscreteSpecSchema,
      MultiDiscreteSpecSchema,
      MultiBinarySpecSchema,
      Type.Object(
        { type: Type.Literal('dict'), keys: Type.Array(Type.String()), spaces: Type.Array(Self) },
        { additionalProperties: false, description: 'Dict: spaces[i] belongs to keys[i]; key order is significant' },
      ),
      Type.Object({ type: Type.Literal('tuple'), spaces: Type.Array(Self) }, { additionalProperties: false }),
    ]),
  { $id: 'SpaceSpec' },
);

/** TypeScript types of the space schemas above (what a client receives in list_envs and make). */
export type BoxSpec = Static<typeof BoxSpecSchema>;
export type DiscreteSpec = Static<typeof DiscreteSpecSchema>;
export type MultiDiscreteSpec = Static<typeof MultiDiscreteSpecSchema>;
export type MultiBinarySpec = Static<typeof MultiBinarySpecSchema>;
export type SpaceSpec = Static<typeof SpaceSpecSchema>;
export type DictSpec = Extract<SpaceSpec, { type: 'dict' }>;
export type TupleSpec = Extract<SpaceSpec, { type: 'tuple' }>;

/** One physical parameter of an environment's context. */
export const ContextParamSchema = Type.Object(
  {
    name: Type.String(),
    default: Type.Number(),
    low: Type.Number(),
    high: Type.Number(),
    description: Type.String(),
    unit: Type.Optional(Type.String()),
  },
  { $id: 'ContextParam', additionalProperties: false },
);

/** The context space: named scalar parameters with default and inclusive range. */
export const ContextSpecSchema = Type.Object({ params: Type.Array(ContextParamSchema) }, { $id: 'ContextSpec', additionalProperties: false });

/** A context given or read back: parameter name to value. Partial maps keep the other parameters as they are. */
export const ContextMapSchema = Type.Record(Type.String(), Type.Number(), { $id: 'ContextMap' });

/** TypeScript types of the context schemas. */
export type ContextParam = Static<typeof ContextParamSchema>;
export type ContextSpec = Static<typeof ContextSpecSchema>;
export type ContextMap = Static<typeof ContextMapSchema>;

/** An option of `make` that selects a variant of an environment (e.g. Navigation2D's task). */
export const EnvOptionSchema = Type.Object(
  {
    name: Type.String(),
    type: Type.Union([Type.Literal('string'), Type.Literal('number'), Type.Literal('boolean')]),
    default: Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
    choices: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]))),
    description: Type.String(),
  },
  { $id: 'EnvOption', additionalProperties: false },
);
/** TypeScript type of an env option. */
export type EnvOption = Static<typeof EnvOptionSchema>;

/** Local causal structure (MOCODA): which roots (state and action variables) each next-state variable depends on. */
export const CausalSpecSchema = Type.Object(
  {
    roots: Type.Array(Type.Object({ name: Type.String(), source: Type.Union([Type.Literal('obs'), Type.Literal('action')]), indices: Type.Array(UInt()) }, { additionalProperties: false })),
    children: Type.Array(Type.Object({ name: Type.String(), indices: Type.Array(UInt()) }, { additionalProperties: false })),
    global_mask: Type.Array(Type.Array(Type.Integer({ minimum: 0, maximum: 1 })), { description: 'rows: roots, columns: children; the union of every local mask' }),
    local_masks: Type.Array(
      Type.Object({ region: Type.String(), description: Type.String(), mask: Type.Array(Type.Array(Type.Integer({ minimum: 0, maximum: 1 }))), parent_sets: Type.Array(Type.Array(Type.String())) }, { additionalProperties: false }),
      { description: 'each region of the state-action space with its mask and parent sets' },
    ),
  },
  { $id: 'CausalSpec', additionalProperties: false },
);
/** TypeScript type of the causal structure. */
export type CausalSpec = Static<typeof CausalSpecSchema>;

/** Everything a client needs to know about an environment before making it. */
export const EnvSpecSchema = Type.Object(
  {
    id: Type.String(),
    description: Type.String(),
    observation_space: SpaceSpecSchema,
    action_space: SpaceSpecSchema,
    context: ContextSpecSchema,
    max_episode_steps: UInt(),
    reward_range: Type.Array(Type.Number(), { minItems: 2, maxItems: 2 }),
    render_modes: Type.Array(Type.String()),
    options: Type.Array(EnvOptionSchema),
    dynamics: Type.Array(Type.String(), { description: 'dynamics this env can be made with; "true" is the real one' }),
    causal: Type.Optional(CausalSpecSchema),
  },
  { $id: 'EnvSpec', additionalProperties: false },
);
/** TypeScript type of an environment spec. */
export type EnvSpec = Static<typeof EnvSpecSchema>;

/** Every schema of this module, for the JSON Schema generator. */
export const SPACE_SCHEMAS: Record<string, TSchema> = {
  BoxSpec: BoxSpecSchema,
  DiscreteSpec: DiscreteSpecSchema,
  MultiDiscreteSpec: MultiDiscreteSpecSchema,
  MultiBinarySpec: MultiBinarySpecSchema,
  SpaceSpec: SpaceSpecSchema,
  ContextParam: ContextParamSchema,
  ContextSpec: ContextSpecSchema,
  ContextMap: ContextMapSchema,
  EnvOption: EnvOptionSchema,
  CausalSpec: CausalSpecSchema,
  EnvSpec: EnvSpecSchema,
};
