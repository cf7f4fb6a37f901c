/** The error every layer throws for bad input; servers turn it into a protocol error reply unchanged. */
import type { ErrorCode } from '../../protocol/ts/errors.js';

export type { ErrorCode };

/** A failure with a stable protocol code, a message naming cause and fix, and machine-readable details. */
export class TwinGymError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'TwinGymError';
  }
}

/** Throws a TwinGymError when `cond` is false. */
export function check(cond: unknown, code: ErrorCode, message: string, details?: Record<string, unknown>): asserts cond {
  if (!cond) throw new TwinGymError(code, message, details);
}
