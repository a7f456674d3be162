// Access-token validation with jose: signature by a key of the identity provider (JWKS, chosen by
// `kid`) with a pinned list of asymmetric algorithms, issuer, audience, `exp`/`nbf` with a small
// clock skew, the token type, the sync scope, and a user claim. Nothing about the token is
// trusted before all of these pass. With a revocation list (revocation-list.ts), a token whose
// `jti` the provider has revoked is refused too.
import { errors, jwtVerify } from 'jose';
import type { CryptoKey, JWTPayload, JWTVerifyGetKey, KeyObject } from 'jose';
import { KeySourceUnavailableError } from './jwks.js';
import type { TokenCheck, TokenVerifier } from './types.js';
import type { AsymmetricAlgorithm } from '../config/types.js';

export type TokenPolicy = {
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: readonly AsymmetricAlgorithm[];
  /** Required JWT header `typ`. */
  readonly type: string;
  readonly clockToleranceSec: number;
  /** Claim naming the user: `sub` (default), or e.g. `oid` / `preferred_username` with Entra ID. */
  readonly userClaim: string;
  /**
   * Scope the token must carry in `scp` (Entra ID) or `scope` (RFC 9068), short (`briefings.sync`)
   * or prefixed with the audience (`api://attache-broker/briefings.sync`). Empty: not checked.
   */
  readonly requiredScope: string;
};

function reasonFor(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    return error.claim === 'nbf'
      ? 'token not yet valid'
      : `claim "${error.claim}" invalid (${error.reason})`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknown signing key (kid)';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'ambiguous signing key (kid)';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
    return 'malformed token';
  if (error instanceof errors.JOSEError) return error.code;
  return 'token rejected';
}

/** Failures that say nothing about the token: the key source could not be consulted. */
function isUnavailable(error: unknown): boolean {
  return (
    error instanceof KeySourceUnavailableError ||
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    !(error instanceof errors.JOSEError)
  );
}

function scopesOf(payload: JWTPayload): string[] {
  const values = [payload['scp'], payload['scope']];
  return values.flatMap((v) =>
    typeof v === 'string' ? v.split(' ') : Array.isArray(v) ? v.map(String) : [],
  );
}

export function createTokenVerifier(deps: {
  key: CryptoKey | KeyObject | JWTVerifyGetKey;
  policy: TokenPolicy;
  /** Whether the provider revoked the token with this `jti` (its sign-in ended). */
  isRevoked?: (jti: string) => boolean;
}): TokenVerifier {
  const { policy } = deps;
  const options = {
    algorithms: [...policy.algorithms],
    issuer: policy.issuer,
    audience: policy.audience,
    typ: policy.type,
    clockTolerance: policy.clockToleranceSec,
    requiredClaims: ['exp', policy.userClaim],
  };
  const acceptedScopes = new Set(
    policy.requiredScope === ''
      ? []
      : [policy.requiredScope, `${policy.audience.replace(/\/+$/, '')}/${policy.requiredScope}`],
  );
  return {
    async verify(token): Promise<TokenCheck> {
      let payload: JWTPayload;
      try {
        // Overloads differ for a key and a key resolver; both are valid here.
        ({ payload } =
          typeof deps.key === 'function'
            ? await jwtVerify(token, deps.key, options)
            : await jwtVerify(token, deps.key, options));
      } catch (error) {
        if (isUnavailable(error)) {
          const detail = error instanceof Error ? error.message : String(error);
          return { ok: false, unavailable: true, reason: `cannot verify now: ${detail}` };
        }
        return { ok: false, reason: reasonFor(error) };
      }
      const user = payload[policy.userClaim];
      if (typeof user !== 'string' || user === '') {
        return { ok: false, reason: `claim "${policy.userClaim}" invalid` };
      }
      if (typeof payload.exp !== 'number') return { ok: false, reason: 'claim "exp" invalid' };
      if (acceptedScopes.size > 0 && !scopesOf(payload).some((s) => acceptedScopes.has(s))) {
        return { ok: false, reason: `scope "${policy.requiredScope}" missing`, user };
      }
      if (deps.isRevoked && typeof payload.jti === 'string' && deps.isRevoked(payload.jti)) {
        return { ok: false, reason: 'token revoked at the provider', user };
      }
      return { ok: true, token: { user, expiresAt: payload.exp } };
    },
  };
}
