/**
 * Learned sessions: sessions whose dynamics is a served model. Their context is what the model learned (a trained
 * agent's true context), so the ops that would change it refuse with `unsupported` instead of silently simulating a
 * context the model never saw. The mark lives beside the session rather than in it, so src/core stays unaware of
 * serving policy.
 */
import { TwinGymError } from '../../src/core/errors.js';
import type { EnvSession } from '../../src/core/session.js';
import type { LearnedInfo } from '../dynamics.js';

const learned = new WeakMap<EnvSession, LearnedInfo>();

/** Marks a session as running a served model. */
export function markLearned(session: EnvSession, info: LearnedInfo): void {
  learned.set(session, info);
}

/** The model a session runs, or undefined for the real environment (and in-process dynamics). */
export function learnedInfo(session: EnvSession): LearnedInfo | undefined {
  return learned.get(session);
}

/** Throws `unsupported` when `what` would change the context of a learned session. */
export function refuseContextChange(session: EnvSession, what: string, path: string): void {
  const info = learned.get(session);
  if (!info) return;
  throw new TwinGymError(
    'unsupported',
    `${what} cannot change the context of a learned session: model "${info.model}" simulates the context it learned${info.agent !== undefined ? ` (agent ${info.agent})` : ''}; make a session of another agent, or of the real environment ("true"), to use other contexts`,
    { dynamics: info.kind, model: info.model, path },
  );
}
