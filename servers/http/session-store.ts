/**
 * Sessions of the HTTP JSON API: one server-wide table (capacity maxHttpSessions) addressed by unguessable string ids,
 * since HTTP has no connection to scope them to. Sessions unused for httpSessionIdleMs are closed by a sweep.
 */
import { randomBytes } from 'node:crypto';
import { TwinGymError } from '../../src/core/errors.js';
import { SessionTable, type SessionObserver } from '../protocol/session-table.js';

/** How many closed ids are remembered, so a repeated DELETE answers {closed: false} rather than unknown_session. */
const REMEMBERED_CLOSED = 4096;

/** The HTTP API's sessions. */
export class HttpSessionStore {
  readonly table: SessionTable;
  private readonly live = new Map<string, { handle: number; lastUsed: number }>();
  private readonly closed = new Map<string, 'closed' | 'expired'>();
  private readonly timer: NodeJS.Timeout;

  constructor(capacity: number, private readonly idleMs: number, observer: SessionObserver, private readonly onExpire: (sid: string) => void) {
    this.table = new SessionTable(capacity, 'the HTTP API (server-wide)', observer);
    // Sweeping several times per idle period bounds how long past its expiry a session can live.
    this.timer = setInterval(() => this.sweep(Date.now()), Math.max(50, Math.min(60_000, Math.floor(idleMs / 4))));
    this.timer.unref();
  }

  /** Gives a freshly made handle its public id. */
  register(handle: number): string {
    const sid = randomBytes(16).toString('base64url');
    this.live.set(sid, { handle, lastUsed: Date.now() });
    return sid;
  }

  /** The handle of a live session id (refreshing its idle clock), or unknown_session. */
  handleOf(sid: string): number {
    const entry = this.live.get(sid);
    if (entry) {
      entry.lastUsed = Date.now();
      return entry.handle;
    }
    const gone = this.closed.get(sid);
    const why = gone === 'expired' ? `expired after ${this.idleMs} ms unused` : gone === 'closed' ? 'was closed' : 'does not exist';
    throw new TwinGymError('unknown_session', `HTTP session ${sid} ${why}; create one with POST /v1/sessions`, { session: sid });
  }

  /**
   * Forgets a session id and returns its handle for the caller to close; null when it was closed or expired before,
   * unknown_session when it never existed.
   */
  detach(sid: string, why: 'closed' | 'expired' = 'closed'): number | null {
    const entry = this.live.get(sid);
    if (!entry) {
      if (this.closed.has(sid)) return null;
      this.handleOf(sid);
      return null;
    }
    this.live.delete(sid);
    this.remember(sid, why);
    return entry.handle;
  }

  /** Closes sessions idle since before now - idleMs. */
  sweep(now: number): void {
    for (const [sid, entry] of this.live) {
      if (now - entry.lastUsed < this.idleMs) continue;
      const handle = this.detach(sid, 'expired');
      if (handle !== null) this.table.close(handle);
      this.onExpire(sid);
    }
  }

  /** Stops the sweep and closes everything (shutdown). */
  closeAll(): void {
    clearInterval(this.timer);
    for (const sid of [...this.live.keys()]) {
      const handle = this.detach(sid);
      if (handle !== null) this.table.close(handle);
    }
  }

  private remember(sid: string, why: 'closed' | 'expired'): void {
    this.closed.set(sid, why);
    if (this.closed.size > REMEMBERED_CLOSED) this.closed.delete(this.closed.keys().next().value as string);
  }
}
