/**
 * Fastify validates route schemas with the TypeBox compiler instead of ajv: the same engine as the WebSocket path, and
 * failures are TwinGymErrors (unknown_field, invalid_argument with details.path) that the error handler sends as is.
 */
import type { FastifyInstance } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { TwinGymError } from '../../src/core/errors.js';
import { compileAllowingNonFinite, schemaError, unknownField } from '../protocol/validators.js';

/** Installs the validator compiler on an instance (children inherit it). */
export function installTypeBoxValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const typed = schema as TSchema;
    const check = compileAllowingNonFinite(typed);
    const fields = typed.properties && typed.additionalProperties === false ? new Set(Object.keys(typed.properties as object)) : null;
    const what = httpPart === 'body' ? 'the request body' : `the URL ${httpPart ?? 'part'}`;
    return (data: unknown) => {
      // A POST without a body means "no fields", which every op body accepts.
      const value = data === null || data === undefined ? (httpPart === 'body' ? {} : data) : data;
      if (fields && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        const extra = unknownField(value as Record<string, unknown>, fields);
        if (extra !== undefined) {
          return { error: new TwinGymError('unknown_field', `${what} has an unknown field "${extra}"; allowed: ${[...fields].join(', ') || 'none'}`, { field: extra }) };
        }
      }
      if (check.Check(value)) return { value };
      return { error: schemaError(check, value, what) };
    };
  });
}
