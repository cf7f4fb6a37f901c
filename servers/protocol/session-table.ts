/**
 * The sessions one scope owns: a WebSocket connection's, or the HTTP API's server-wide table. Handles are uints from 1,
 * never reused, so a stale handle can be told apart from one never issued (DECISIONS.md 7).
 */
import type { EnvSession } from '../../src/core/session.js';
import { TwinGymError } from '../../src/core/errors.js';

/** Observes sessions opening and closing (metrics). */
export interface SessionObserver {
  opened(): void;
  closed(): void;
}

/** Handle -> session map with a capacity. */
export class SessionTable {
  private readonly open = new Map<number, EnvSession>();
  private nextHandle = 1;

  constructor(
    private readonly capacity: number,
    /** Says in errors which limit was hit ("this connection", "the HTTP API"). */
    private readonly scopeName: string,
    private readonly observer?: SessionObserver,
  ) {}

  /** Number of open sessions. */
  get size(): number {
    return this.open.size;
  }

  /** Throws too_many_sessions when no session can be added; make calls it before building anything. */
  assertRoom(): void {
    if (this.open.size >= this.capacity) {
      throw new TwinGymError(
        'too_many_sessions',
        `${this.scopeName} already holds ${this.open.size} sessions, the maximum; close sessions you no longer use`,
        { limit: this.capacity, open: this.open.size },
      );
    }
  }

  /** Adds a session and returns its new handle. */
  add(session: EnvSession): number {
    this.assertRoom();
    const handle = this.nextHandle++;
    this.open.set(handle, session);
    this.observer?.opened();
    return handle;
  }

  /** The open session of a handle, or unknown_session. */
  get(handle: number): EnvSession {
    const s = this.open.get(handle);
    if (s !== undefined) return s;
    const why = handle >= 1 && handle < this.nextHandle ? 'was closed' : 'was never issued on this connection';
    throw new TwinGymError('unknown_session', `session ${handle} ${why}; use a handle returned by make on this same connection`, { session: handle });
  }

  /** Closes a handle: true when it was open, false when it was closed before; unknown_session when never issued. */
  close(handle: number): boolean {
    const s = this.open.get(handle);
    if (s === undefined) {
      if (handle >= 1 && handle < this.nextHandle) return false;
      this.get(handle); // throws the unknown_session error
      return false;
    }
    this.open.delete(handle);
    this.observer?.closed();
    s.close();
    return true;
  }

  /** Closes every session (disconnect, shutdown). A dynamics that fails to dispose does not stop the others. */
  closeAll(): Error[] {
    const failures: Error[] = [];
    for (const handle of [...this.open.keys()]) {
      try {
        this.close(handle);
      } catch (e) {
        failures.push(e instanceof Error ? e : new Error(String(e)));
      }
    }
    return failures;
  }
}
