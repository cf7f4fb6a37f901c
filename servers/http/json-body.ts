/**
 * The JSON body parser: an empty body is an empty object (so `curl -X POST .../reset` works), and a body that is not
 * JSON is an invalid_request naming the parse error. JSON.parse keeps "__proto__" as an own key, which the schema then
 * refuses as an unknown field, so no prototype is ever replaced.
 */
import type { FastifyInstance } from 'fastify';
import { TwinGymError } from '../../src/core/errors.js';

/** Replaces fastify's JSON parser on an instance. */
export function installJsonBodyParser(app: FastifyInstance, bodyLimit: number): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(new TwinGymError('invalid_request', `the body is not valid JSON (${(e as Error).message}); send a JSON object`, {}), undefined);
    }
  });
}
