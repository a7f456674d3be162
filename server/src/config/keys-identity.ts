// Configuration of sign-in and tokens: the development OpenID provider of the embedded mode,
// and which access tokens the broker accepts (issuer, audience, keys, algorithms, revocation).
// One documented key per entry; config-schema.ts assembles all groups.
import { z } from 'zod';
import { DEFAULT_PORTS, DEV_IDP } from '../../../src/shared/protocol.js';
import type { ConfigRule, KeyGroup } from './key-spec.js';
import { port, positiveInt, bool, optionalUrl } from './key-spec.js';
import { ACCESS_TOKEN_TYPE, ASYMMETRIC_ALGORITHMS } from './types.js';

export const IDENTITY_KEYS = {
  devIdp: {
    env: 'ATTACHE_DEV_IDP',
    doc: 'Run the development OpenID provider (https on idpPort, local CA in dataDir/secrets). Off in production, where Entra ID issues the tokens.',
    schema: bool.default(true),
  },
  idpPort: {
    env: 'ATTACHE_IDP_PORT',
    doc: 'Loopback port of the development OpenID provider (its issuer is https://127.0.0.1:<port>).',
    schema: port.default(DEFAULT_PORTS.idp),
  },
  idpAccessTokenTtlSec: {
    env: 'ATTACHE_IDP_ACCESS_TOKEN_TTL_SEC',
    doc: 'Lifetime of access tokens from the development provider. At least 600: msal-node renews 300 s before expiry.',
    schema: positiveInt
      .min(600, { error: 'expected at least 600 seconds' })
      .max(86_400, { error: 'expected at most 86400 seconds' })
      .default(900),
  },
  idpRefreshTokenTtlSec: {
    env: 'ATTACHE_IDP_REFRESH_TOKEN_TTL_SEC',
    doc: 'Lifetime of refresh tokens (and sign-in sessions) of the development provider.',
    schema: positiveInt.min(3600, { error: 'expected at least 3600 seconds' }).default(14 * 86_400),
  },
  tokenIssuer: {
    env: 'ATTACHE_TOKEN_ISSUER',
    doc: "Required `iss` of access tokens the broker accepts (Entra ID: https://login.microsoftonline.com/<tenant>/v2.0). Empty: the development provider's issuer.",
    schema: optionalUrl(['https:']).default(''),
  },
  tokenAudience: {
    env: 'ATTACHE_TOKEN_AUDIENCE',
    doc: "Required `aud` of access tokens the broker accepts (Entra ID v2 tokens: the broker API's application (client) id).",
    schema: z.string().trim().min(1).default(DEV_IDP.brokerAudience),
  },
  tokenJwksUrl: {
    env: 'ATTACHE_TOKEN_JWKS_URL',
    doc: "URL of the identity provider's signing keys (JWKS). Empty: the jwks_uri of the issuer's OpenID discovery document.",
    schema: optionalUrl(['https:']).default(''),
  },
  tokenAlgorithms: {
    env: 'ATTACHE_TOKEN_ALGORITHMS',
    doc: 'Comma-separated JWS algorithms the broker accepts (asymmetric only; Entra ID signs RS256, the development provider ES256).',
    schema: z
      .string()
      .transform((text) =>
        text
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(
            z.enum(ASYMMETRIC_ALGORITHMS, {
              error: `expected some of ${ASYMMETRIC_ALGORITHMS.join(', ')}`,
            }),
          )
          .min(1, { error: 'expected at least one algorithm' }),
      )
      .default(['ES256', 'RS256']),
  },
  tokenType: {
    env: 'ATTACHE_TOKEN_TYPE',
    doc: 'Required JWT header `typ` of access tokens: "at+jwt" (RFC 9068; the development provider). Entra ID v2 access tokens say "JWT".',
    schema: z.string().trim().min(1).default(ACCESS_TOKEN_TYPE),
  },
  tokenUserClaim: {
    env: 'ATTACHE_TOKEN_USER_CLAIM',
    doc: 'Token claim holding the user id the SOR uses as recipient: "sub" by default; with Entra ID often "oid" or "preferred_username".',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,100}$/, { error: 'expected a claim name' })
      .default('sub'),
  },
  tokenRequiredScope: {
    env: 'ATTACHE_TOKEN_REQUIRED_SCOPE',
    doc: 'Scope an access token must carry (in `scp` or `scope`, short or prefixed with the audience). Empty: not checked.',
    schema: z.string().trim().default(DEV_IDP.syncScope),
  },
  tokenClockToleranceSec: {
    env: 'ATTACHE_TOKEN_CLOCK_TOLERANCE_SEC',
    doc: 'Clock skew allowed when checking token `exp`/`nbf`, in seconds.',
    schema: z.coerce.number().int().min(0).max(300).default(30),
  },
  tokenRevocationUrl: {
    env: 'ATTACHE_TOKEN_REVOCATION_URL',
    doc: "URL of the identity provider's list of revoked access-token ids, polled by the broker. Empty: the development provider's list when it is the issuer; none otherwise (Entra ID publishes none: access-token lifetimes bound revocation there).",
    schema: optionalUrl(['https:']).default(''),
  },
  tokenRevocationPollSec: {
    env: 'ATTACHE_TOKEN_REVOCATION_POLL_SEC',
    doc: 'How often the broker fetches the revoked-token list: a revoked sign-in stops working at the broker within this many seconds.',
    schema: positiveInt.max(3600, { error: 'expected at most 3600 seconds' }).default(5),
  },
} as const satisfies KeyGroup;

/** What these keys require of each other (or of other groups' keys). */
export const IDENTITY_RULES: readonly ConfigRule[] = [
  {
    key: 'tokenIssuer',
    message: 'is required when the development OpenID provider is off (devIdp=false)',
    holds: (c) => c.devIdp || c.tokenIssuer !== '',
  },
];
