// Embedded mode only: obtains access tokens for a named sample user from the server's
// development token endpoint. Production replaces this with the MSAL-backed provider; the sync
// service sees only `TokenProvider`.
import { z } from 'zod';
import { DEV_TOKEN_PATH } from '../../shared/protocol.js';
import type { TokenProvider } from './types.js';

// The broker answers in OAuth token-response form ({ access_token, token_type, expires_in });
// the camelCase form is accepted too, so a differently written dev endpoint still works.
const tokenResponseSchema = z
  .object({
    access_token: z.string().min(1).optional(),
    accessToken: z.string().min(1).optional(),
    /** Seconds from now. */
    expires_in: z.number().positive().optional(),
    expiresIn: z.number().positive().optional(),
    /** ISO time. */
    expiresAt: z.string().optional(),
  })
  .transform((body, ctx) => {
    const token = body.access_token ?? body.accessToken;
    if (!token) {
      ctx.addIssue({ code: 'custom', message: 'no access_token' });
      return z.NEVER;
    }
    return { token, expiresInSec: body.expires_in ?? body.expiresIn, expiresAt: body.expiresAt };
  });

/** Renew this long before expiry, so a token never expires in the middle of a long poll. */
const RENEW_MARGIN_MS = 60_000;
const DEFAULT_LIFETIME_MS = 5 * 60_000;
const REQUEST_TIMEOUT_MS = 10_000;

export class TokenEndpointError extends Error {
  override readonly name = 'TokenEndpointError';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

export type DevTokenProviderOptions = {
  readonly serverUrl: string;
  readonly userId: string;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
};

export function createDevTokenProvider(options: DevTokenProviderOptions): TokenProvider {
  const now = options.now ?? Date.now;
  const fetchImpl = options.fetch ?? fetch;
  const endpoint = new URL(DEV_TOKEN_PATH, options.serverUrl).toString();
  let cached: { token: string; renewAt: number } | null = null;
  let inFlight: Promise<string | null> | null = null;

  const request = async (): Promise<string | null> => {
    const response = await fetchImpl(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ user: options.userId }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    // 4xx: the server will not issue a token for this user (not embedded mode, unknown user).
    // That is "sign in needed", not a fault to retry quickly.
    if (response.status >= 400 && response.status < 500) return null;
    if (!response.ok)
      throw new TokenEndpointError(`token endpoint answered ${response.status}`, response.status);
    const parsed = tokenResponseSchema.safeParse(await response.json());
    if (!parsed.success)
      throw new TokenEndpointError(
        'token endpoint answered with an unexpected body',
        response.status,
      );
    const issuedAt = now();
    const { token, expiresInSec, expiresAt: expiresAtIso } = parsed.data;
    const expiresAt =
      expiresInSec !== undefined
        ? issuedAt + expiresInSec * 1000
        : expiresAtIso !== undefined
          ? Date.parse(expiresAtIso)
          : issuedAt + DEFAULT_LIFETIME_MS;
    const lifetime = Number.isFinite(expiresAt) ? expiresAt - issuedAt : DEFAULT_LIFETIME_MS;
    // Short-lived tokens renew at half-life rather than never being cached.
    const renewAt = issuedAt + Math.max(lifetime - RENEW_MARGIN_MS, lifetime / 2);
    cached = { token, renewAt };
    return cached.token;
  };

  return {
    getAccessToken: async () => {
      if (cached && now() < cached.renewAt) return cached.token;
      // One request at a time: a replication burst must not mint a token per request.
      inFlight ??= request().finally(() => {
        inFlight = null;
      });
      return inFlight;
    },
    invalidate: () => {
      cached = null;
    },
  };
}
