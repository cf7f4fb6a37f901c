/** render: an SVG drawing of one env's current state. */
import { TwinGymError } from '../../../src/core/errors.js';
import type { OpHandler } from '../op-context.js';

/** Draws env `index` (default 0) in the requested mode; only "svg" exists today. */
export const render: OpHandler<'render'> = (req, ctx) => {
  const session = ctx.sessions.get(req.session);
  const mode = req.mode ?? 'svg';
  if (mode !== 'svg') {
    throw new TwinGymError('unsupported', `render mode "${mode}" is not available; ${session.definition.id} renders: svg`, { mode, render_modes: ['svg'] });
  }
  const drawing = session.render(req.index ?? 0);
  return { mode: drawing.mode, data: drawing.data };
};
