/** get_state / set_state: opaque snapshots for exact replay (DECISIONS.md 14). */
import { restoreSession, snapshotSession } from '../../../src/core/snapshot.js';
import { obsTensor } from '../observations.js';
import type { OpHandler } from '../op-context.js';

/** A snapshot of every env, with the random generators unless include_rng is false. */
export const getState: OpHandler<'get_state'> = (req, ctx) => ({
  state: snapshotSession(ctx.sessions.get(req.session), req.include_rng ?? true),
});

/** Restores a snapshot (bad_state when it does not fit) and returns the restored observations. */
export const setState: OpHandler<'set_state'> = (req, ctx) => {
  const session = ctx.sessions.get(req.session);
  return { obs: obsTensor(session, restoreSession(session, req.state)) };
};
