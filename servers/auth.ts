/**
 * Token auth (DECISIONS.md 11). Tokens are compared through their SHA-256 digests with timingSafeEqual, so neither the
 * content nor the length of the configured token leaks through response timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Checks presented credentials against the configured token (or accepts everything when none is configured). */
export class TokenAuth {
  private readonly digest: Buffer | null;

  constructor(token: string | undefined) {
    this.digest = token === undefined ? null : sha256(token);
  }

  /** True when a token is configured. */
  get enabled(): boolean {
    return this.digest !== null;
  }

  /** True when `candidate` is the configured token (always true without one). */
  accepts(candidate: string | undefined): boolean {
    if (this.digest === null) return true;
    if (candidate === undefined) return false;
    return timingSafeEqual(this.digest, sha256(candidate));
  }

  /** HTTP routes: only the Authorization header counts. */
  acceptsHeaders(headers: IncomingHttpHeaders): boolean {
    return this.accepts(bearerOf(headers.authorization));
  }

  /** WebSocket upgrades: the header, or ?token= for clients (browsers) that cannot set headers. */
  acceptsUpgrade(headers: IncomingHttpHeaders, url: URL): boolean {
    if (this.digest === null) return true;
    return this.accepts(bearerOf(headers.authorization)) || this.accepts(url.searchParams.get('token') ?? undefined);
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** The token of an "Authorization: Bearer T" header. */
export function bearerOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return m ? m[1] : undefined;
}

/** The body of a 401: the protocol's error shape, naming both ways to pass the token. */
export function unauthorizedBody(where: 'http' | 'ws'): { error: { code: 'unauthorized'; message: string; details: Record<string, unknown> } } {
  return {
    error: {
      code: 'unauthorized',
      message: where === 'ws'
        ? 'this server requires a token: send "Authorization: Bearer <token>" or add ?token=<token> to the WebSocket URL'
        : 'this server requires a token: send "Authorization: Bearer <token>"',
      details: {},
    },
  };
}
