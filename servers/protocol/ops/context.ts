/** get_context / set_context: physical parameters, always read back from the dynamics (DECISIONS.md 14). */
import { refuseContextChange } from '../learned.js';
import type { OpHandler } from '../op-context.js';

/** The contexts the session's dynamics use, one map per env. */
export const getContext: OpHandler<'get_context'> = (req, ctx) => ({ contexts: ctx.sessions.get(req.session).getContexts() });

/** Changes contexts from the next step on and reads them back; learned sessions refuse (their context is learned). */
export const setContext: OpHandler<'set_context'> = (req, ctx) => {
  const session = ctx.sessions.get(req.session);
  refuseContextChange(session, 'set_context', 'contexts');
  return { contexts: session.setContexts(req.contexts, req.indices) };
};
