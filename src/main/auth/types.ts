// Contracts of the sign-in capability. `IdentityClient` is the port to the identity provider
// (msal-node in `identity-client.msal.ts`); the session logic above it (auth-session.ts, with its
// pure decisions in sign-in-state.ts) is unit-tested with a scripted client.

/** The signed-in person, as the device remembers them. Not secret, but kept in the keychain. */
export type AuthAccount = {
  /** MSAL's key for the account in its cache. */
  readonly homeAccountId: string;
  /** Stable id of the user at the provider (oid or sub): selects the local store. */
  readonly userId: string;
  /** Sign-in name (preferred_username / UPN). */
  readonly username: string;
  readonly displayName: string;
};

export type TokenGrant = {
  readonly accessToken: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** True when MSAL answered from its cache without reaching the provider. */
  readonly fromCache: boolean;
  readonly account: AuthAccount;
};

export const AUTH_FAILURES = [
  /** The provider wants the person back: refresh token missing, expired or revoked. */
  'interaction-required',
  /** The provider could not be reached (network, DNS, TLS). */
  'unreachable',
  /** The person (or the app, on sign-out) cancelled an interactive sign-in. */
  'cancelled',
  /** Nobody finished the sign-in in the browser in time. */
  'timed-out',
  /** The person stopped the sign-in on the provider's own page (its Cancel: access_denied). */
  'declined',
  /** The provider refused or failed in another way (server error, a broken answer). */
  'provider-error',
] as const;
export type AuthFailure = (typeof AUTH_FAILURES)[number];

export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly failure: AuthFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type InteractiveSignInOptions = {
  /** Opens the provider's sign-in page in the system browser. */
  readonly openBrowser: (url: string) => Promise<void>;
  /** Aborting it ends the wait (cancel or timeout) and frees the loopback listener. */
  readonly signal: AbortSignal;
  /** Pre-fills the sign-in name when the same person signs in again. */
  readonly loginHint?: string;
  /**
   * Asks the provider for the person's credentials even when the browser still has a session
   * with it (OpenID Connect `prompt=login`): whoever signs in on a device with nobody signed in
   * (the first time, or after a sign-out) proves who they are, rather than inheriting the
   * session of whoever last used that browser.
   */
  readonly freshLogin?: boolean;
};

export type IdentityClient = {
  /** Authorization code + PKCE through the system browser, loopback redirect. */
  readonly signInInteractive: (options: InteractiveSignInOptions) => Promise<TokenGrant>;
  /** From the cache, or renewed with the refresh token; `forceRefresh` skips the cached one. */
  readonly acquireSilent: (
    account: AuthAccount,
    options: { readonly forceRefresh: boolean },
  ) => Promise<TokenGrant>;
  /** Removes the account and its tokens from the token cache (and so from the keychain). */
  readonly forget: (account: AuthAccount) => Promise<void>;
};
