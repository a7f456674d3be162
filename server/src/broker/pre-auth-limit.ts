// What the broker decides about a request before it spends a signature check on it: who is
// asking (the client address: the socket's peer, or, behind a configured trusted proxy, the
// address that proxy forwarded), whether that address has failed authentication too often
// lately, and whether the bearer token has the shape of a token this broker could accept at
// all. Garbage is refused cheaply, and an address that keeps sending it is refused without
// being looked at (429), so a flood costs neither signature checks nor, with the refusal
// aggregator, audit records.
//
// Only failures count against an address: honest devices authenticate, so a corporate NAT full
// of readers is never limited by its own readers' successes; the per-user limit after
// authentication applies to them.
import type { IncomingMessage } from 'node:http';
import { limitKeyOf } from '../http/client-address.js';
import { createRateLimiter } from './rate-limit.js';

/** Longest token looked at; Entra ID's access tokens are a few KiB. */
export const MAX_TOKEN_LENGTH = 16 * 1024;
/** Addresses remembered as blocked before the expired ones are swept. */
const MAX_BLOCKED = 10_000;

export type Admission =
  | { readonly ok: true; readonly client: string; readonly token: string }
  | {
      readonly ok: false;
      readonly client: string;
      readonly status: 401 | 429;
      /** From a fixed set: it keys the refusal aggregator, so nothing the client chose is in it. */
      readonly reason: string;
      readonly headers: Readonly<Record<string, string>>;
    };

export type PreAuthGate = {
  /** The client address, the token, or the refusal that needs no signature check. */
  admit(req: IncomingMessage): Admission;
  /** The token was checked and refused: it counts against the address. */
  failed(client: string): void;
};

const BEARER = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)\s*$/i;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * Why this token cannot be one the broker accepts, judged from its shape alone (no key, no
 * clock), or null. The verifier still checks everything; this only spares it the garbage.
 */
export function tokenShapeProblem(
  token: string,
  algorithms: readonly string[],
): 'malformed token' | 'algorithm not allowed' | null {
  if (token.length > MAX_TOKEN_LENGTH) return 'malformed token';
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) return 'malformed token';
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8'));
  } catch {
    return 'malformed token';
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return 'malformed token';
  }
  const alg = (header as { alg?: unknown }).alg;
  if (typeof alg !== 'string') return 'malformed token';
  return algorithms.includes(alg) ? null : 'algorithm not allowed';
}

export function createPreAuthGate(deps: {
  readonly clientOf: (req: IncomingMessage) => string;
  /** Algorithms the verifier accepts: a token naming another is refused unseen. */
  readonly algorithms: readonly string[];
  /** Failed authentications one address may have at once. */
  readonly failureBurst: number;
  /** Failed authentications per minute an address regains. */
  readonly failuresPerMinute: number;
  readonly now?: () => number;
}): PreAuthGate {
  const now = deps.now ?? (() => performance.now());
  const failures = createRateLimiter({
    burst: deps.failureBurst,
    perSecond: deps.failuresPerMinute / 60,
    now,
  });
  /** Limit key -> when it may try again (ms, on `now`'s clock). */
  const blocked = new Map<string, number>();

  const failed = (client: string): void => {
    const key = limitKeyOf(client);
    const decision = failures.take(key);
    if (decision.ok) return;
    if (blocked.size >= MAX_BLOCKED) {
      const t = now();
      for (const [k, until] of blocked) if (until <= t) blocked.delete(k);
      // Every entry still live: forget the oldest rather than grow without bound.
      if (blocked.size >= MAX_BLOCKED) blocked.delete(blocked.keys().next().value ?? '');
    }
    blocked.set(key, now() + decision.retryAfterSec * 1000);
  };

  return {
    admit(req): Admission {
      const client = deps.clientOf(req);
      const key = limitKeyOf(client);
      const until = blocked.get(key);
      if (until !== undefined) {
        const waitMs = until - now();
        if (waitMs > 0) {
          return {
            ok: false,
            client,
            status: 429,
            reason: 'too many failed authentications from this address',
            headers: { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) },
          };
        }
        blocked.delete(key);
      }
      const match = BEARER.exec(req.headers.authorization ?? '');
      const token = match?.[1];
      if (!token) {
        failed(client);
        return {
          ok: false,
          client,
          status: 401,
          reason: 'no bearer token',
          headers: { 'www-authenticate': 'Bearer' },
        };
      }
      const problem = tokenShapeProblem(token, deps.algorithms);
      if (problem) {
        failed(client);
        return {
          ok: false,
          client,
          status: 401,
          reason: problem,
          headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
        };
      }
      return { ok: true, client, token };
    },
    failed,
  };
}
