// Access-token validation with jose: signature with a pinned algorithm, issuer, audience, expiry
// (small clock skew), `typ: at+jwt`, and a subject. Nothing about the token is trusted before
// all of these pass.
import { errors, jwtVerify } from 'jose';
import type { CryptoKey, JWTVerifyGetKey, KeyObject } from 'jose';
import type { TokenCheck, TokenVerifier } from './types.js';

export const ACCESS_TOKEN_ALGORITHM = 'ES256';
export const ACCESS_TOKEN_TYPE = 'at+jwt';

function reasonFor(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `claim "${error.claim}" invalid (${error.reason})`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
    return 'malformed token';
  if (error instanceof errors.JOSEError) return error.code;
  return 'token rejected';
}

export function createTokenVerifier(deps: {
  key: CryptoKey | KeyObject | JWTVerifyGetKey;
  issuer: string;
  audience: string;
  clockToleranceSec: number;
}): TokenVerifier {
  const options = {
    algorithms: [ACCESS_TOKEN_ALGORITHM],
    issuer: deps.issuer,
    audience: deps.audience,
    typ: ACCESS_TOKEN_TYPE,
    clockTolerance: deps.clockToleranceSec,
    requiredClaims: ['sub', 'exp'],
  };
  return {
    async verify(token): Promise<TokenCheck> {
      try {
        // Overloads differ for a key and a key resolver; both are valid here.
        const { payload } =
          typeof deps.key === 'function'
            ? await jwtVerify(token, deps.key, options)
            : await jwtVerify(token, deps.key, options);
        if (
          typeof payload.sub !== 'string' ||
          payload.sub === '' ||
          typeof payload.exp !== 'number'
        ) {
          return { ok: false, reason: 'claim "sub" invalid' };
        }
        return { ok: true, token: { subject: payload.sub, expiresAt: payload.exp } };
      } catch (error) {
        return { ok: false, reason: reasonFor(error) };
      }
    },
  };
}
