// Contracts of the auth broker.

export type VerifiedToken = {
  /** The user id: the token's user claim (`sub` unless configured otherwise). */
  readonly user: string;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
};

export type TokenCheck =
  | { readonly ok: true; readonly token: VerifiedToken }
  | {
      readonly ok: false;
      /** For the audit trail only; the device gets a uniform answer. */
      readonly reason: string;
      /** The key source could not be consulted: nothing is known about the token (503, retry). */
      readonly unavailable?: true;
      /** Set when the signature was valid but a later check failed. */
      readonly user?: string;
    };

/** Validates an access token (token-verifier.ts: jose against the provider's JWKS). */
export type TokenVerifier = {
  verify(token: string): Promise<TokenCheck>;
};

export type BrokerAlias = 'briefings' | 'returns';
