// Contracts of the auth broker.

export type VerifiedToken = {
  /** The user id (the token's `sub`). */
  readonly subject: string;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
};

export type TokenCheck =
  | { readonly ok: true; readonly token: VerifiedToken }
  | { readonly ok: false; readonly reason: string };

/**
 * Validates an access token. Embedded mode uses a local development key
 * (token-verifier.ts); the identity work swaps in a JWKS-backed verifier with the same shape.
 */
export type TokenVerifier = {
  verify(token: string): Promise<TokenCheck>;
};

/** Embedded mode only: mints development tokens. */
export type DevTokenMinter = {
  mint(userId: string): Promise<{ accessToken: string; expiresIn: number }>;
};

export type BrokerAlias = 'briefings' | 'returns';
