// Embedded mode only: obtains access tokens for a named sample user from the server's
// development token endpoint. Production replaces this with the MSAL-backed provider; the sync
// service sees only `TokenProvider`.
import { z } from 'zod';
import { DEV_TOKEN_PATH } from '../../shared/protocol.js';
import type { TokenProvider } from './types.js';

const tokenResponseSchema = z.object({
  accessToken: z.string().min(1),
  /** ISO time; absent means "assume a short life". */
  expiresAt: z.string().optional(),
  expiresIn: z.number().positive().optional(),
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
    const expiresAt = parsed.data.expiresAt
      ? Date.parse(parsed.data.expiresAt)
      : issuedAt + (parsed.data.expiresIn ? parsed.data.expiresIn * 1000 : DEFAULT_LIFETIME_MS);
    const lifetime = Number.isFinite(expiresAt) ? expiresAt - issuedAt : DEFAULT_LIFETIME_MS;
    // Short-lived tokens renew at half-life rather than never being cached.
    const renewAt = issuedAt + Math.max(lifetime - RENEW_MARGIN_MS, lifetime / 2);
    cached = { token: parsed.data.accessToken, renewAt };
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
