/** close: idempotent for handles issued on this scope (DECISIONS.md 7). */
import type { OpHandler } from '../op-context.js';

/** Frees a session and its dynamics. */
export const close: OpHandler<'close'> = (req, ctx) => ({ closed: ctx.sessions.close(req.session) });
