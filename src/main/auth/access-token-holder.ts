// The sync service's access token, as the sign-in session hands it out. Sync asks for the token
// before every replication request. msal would answer from its cache, but reading that cache is a
// keychain round trip (D-Bus here, several calls for a cache in parts), so the current token is
// also held in memory until shortly before msal's own renewal point (5 minutes before expiry),
// and concurrent asks share one acquisition.
import type { TokenProvider } from '../sync/types.js';
import type { AuthAccount, TokenGrant } from './types.js';

/** msal renews 5 minutes before expiry; the in-memory copy lapses just before that. */
const MEMORY_MARGIN_MS = 6 * 60_000;

export type AccessTokenHolder = {
  readonly tokenProvider: TokenProvider;
  /** A grant from an interactive sign-in: held for `epoch`; no forced renewal is owed. */
  readonly adopt: (grant: TokenGrant, epoch: number) => void;
};

export function createAccessTokenHolder(deps: {
  readonly now: () => number;
  /**
   * Whom a token may be handed out for now, and the session's epoch (bumped on sign-in and
   * sign-out); null when nobody may sync (signed out, locked, or a new sign-in is needed).
   */
  readonly usable: () => { readonly account: AuthAccount; readonly epoch: number } | null;
  /**
   * Asks the provider without the person (from msal's cache, or renewed). Null when the answer
   * no longer counts (the epoch moved on) or the provider wants an interactive sign-in.
   */
  readonly acquireSilent: (account: AuthAccount, refresh: boolean) => Promise<TokenGrant | null>;
  /** A grant fresh from the provider proves the sign-in current. */
  readonly cameOnline: () => void;
}): AccessTokenHolder {
  let forceRefresh = false;
  let held: { token: string; until: number; epoch: number } | null = null;
  let inFlight: { refresh: boolean; promise: Promise<string | null> } | null = null;

  const hold = (grant: TokenGrant, epoch: number): void => {
    held = { token: grant.accessToken, until: grant.expiresAt - MEMORY_MARGIN_MS, epoch };
  };

  const acquire = async (
    account: AuthAccount,
    refresh: boolean,
    epoch: number,
  ): Promise<string | null> => {
    const grant = await deps.acquireSilent(account, refresh);
    if (!grant) return null;
    if (refresh) forceRefresh = false;
    if (!grant.fromCache) deps.cameOnline();
    hold(grant, epoch);
    return grant.accessToken;
  };

  const tokenProvider: TokenProvider = {
    getAccessToken: () => {
      const current = deps.usable();
      if (!current) return Promise.resolve(null);
      const refresh = forceRefresh;
      if (!refresh && held?.epoch === current.epoch && deps.now() < held.until) {
        return Promise.resolve(held.token);
      }
      if (inFlight && (inFlight.refresh || !refresh)) return inFlight.promise;
      // A forced renewal asked for while a plain one is under way waits for it, then asks again:
      // two renewals at once would both present the same refresh token, and a provider that
      // rotates refresh tokens takes the second for a replay and ends the sign-in.
      if (inFlight) {
        return inFlight.promise.then(
          () => tokenProvider.getAccessToken(),
          () => tokenProvider.getAccessToken(),
        );
      }
      const promise = acquire(current.account, refresh, current.epoch).finally(() => {
        if (inFlight?.promise === promise) inFlight = null;
      });
      inFlight = { refresh, promise };
      return promise;
    },
    invalidate: () => {
      forceRefresh = true;
      held = null;
    },
  };

  return {
    tokenProvider,
    adopt: (grant, epoch) => {
      forceRefresh = false;
      hold(grant, epoch);
    },
  };
}
