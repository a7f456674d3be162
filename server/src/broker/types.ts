// Contracts of the auth broker.

/**
 * An identity provider running beside the broker (the development provider in embedded mode):
 * the broker trusts its issuer, its keys and its list of revoked tokens over its own CA. The
 * broker knows it by this shape only, so that the product never imports the demo's provider.
 */
export type LocalIssuer = {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly revokedTokensUrl: string;
  /** PEM of the CA that signed the provider's https certificate. */
  readonly caCertPem: string;
};

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
