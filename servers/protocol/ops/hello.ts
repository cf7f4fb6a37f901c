/** hello: the version handshake (DECISIONS.md 9). */
import { OPS } from '../../../protocol/ts/messages.js';
import { PROTOCOL_VERSION, majorOf } from '../../../protocol/ts/version.js';
import { TwinGymError } from '../../../src/core/errors.js';
import { wireLimits } from '../../options.js';
import type { OpHandler } from '../op-context.js';

/** Checks the client's protocol major and reports what this server offers. */
export const hello: OpHandler<'hello'> = (req, ctx) => {
  const serverMajor = majorOf(PROTOCOL_VERSION);
  const clientMajor = majorOf(req.protocol);
  if (clientMajor !== serverMajor) {
    throw new TwinGymError(
      'unsupported_version',
      Number.isNaN(clientMajor)
        ? `protocol "${req.protocol}" is not a semver version; send e.g. "${PROTOCOL_VERSION}"`
        : `this server speaks protocol ${PROTOCOL_VERSION} (major ${serverMajor}); your client speaks major ${clientMajor}: use a client for major ${serverMajor}`,
      { server_protocol: PROTOCOL_VERSION, client_protocol: req.protocol },
    );
  }
  return {
    protocol: PROTOCOL_VERSION,
    server: ctx.server.serverName,
    capabilities: [...OPS],
    limits: wireLimits(ctx.server.limits),
  };
};
