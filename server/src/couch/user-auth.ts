// How the server acts as one of its users towards CouchDB (the broker's requests, and the
// revision checks before them), so that CouchDB's own `_security` and validation apply behind the
// broker's policy. Two modes:
//
// - 'jwt' (Apache CouchDB; the production mode): a short-lived JSON Web Token per user, signed
//   ES256 with the server's EC P-256 key, which CouchDB's jwt_authentication_handler checks
//   against the public key in its `[jwt_keys]`. No `_users` accounts and no password hashing:
//   CouchDB verifies one signature per request. The token names the user and carries no roles,
//   both signed, and expires within minutes; a copy taken off the wire is that user's for that
//   long, never anyone else's (CouchDB's proxy authentication, the other header-based handler,
//   signs the user name only: its `X-Auth-CouchDB-Roles` header is unsigned, so one intercepted
//   request would become `_admin` by adding a header).
// - 'basic' (the embedded server, which has no JWT handler; optional with CouchDB): an account
//   per user in `_users` whose password is HMAC(service secret, user id), sent on every request.
//   CouchDB 3 stores it as PBKDF2-SHA256 with 600,000 iterations and checks it again for every
//   user not in its small authentication cache: the cost docs/operations.md measures.
import { createHmac, createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { basicAuthHeader } from './couch-auth.js';
import type { CouchCredentials } from './types.js';

/** base64url(HMAC-SHA256(serviceSecret, 'couchdb-password:' + userId)) */
export function deriveCouchPassword(serviceSecret: string, userId: string): string {
  return createHmac('sha256', serviceSecret)
    .update(`couchdb-password:${userId}`, 'utf8')
    .digest('base64url');
}

export type UserAuthMode = 'basic' | 'jwt';

export type UserAuth = {
  readonly mode: UserAuthMode;
  /** The `Authorization` header of a request as `userId`. */
  authorization(userId: string): Promise<string>;
  /** 'basic': the account `userId` needs in `_users`; null where no account is needed. */
  account(userId: string): CouchCredentials | null;
};

/** Issuer of the server's tokens; CouchDB is told to require it (`[jwt_auth] required_claims`). */
export const COUCH_JWT_ISSUER = 'attache';
/** A token lives this long; it is reused until a minute before it expires. */
const JWT_LIFETIME_SEC = 300;
const JWT_REUSE_MARGIN_SEC = 60;
/** Tokens kept for reuse at most (one per active user). */
const JWT_CACHE_MAX = 10_000;

export class UserAuthKeyError extends Error {
  readonly code = 'COUCH_JWT_KEY_INVALID';
}

/** The server's signing key from a PEM file's text: an EC P-256 private key (PKCS#8 or SEC1). */
export function parseJwtSigningKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new UserAuthKeyError(
      `not a PEM private key (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new UserAuthKeyError('not an EC P-256 (prime256v1) private key');
  }
  return key;
}

/**
 * What CouchDB's ini needs so that it accepts the server's tokens for `keyId`: the JWT handler
 * first (it passes requests without a bearer token on to the next one), the issuer and expiry
 * required, and the public key on one line with `\n` for its line breaks, as CouchDB reads it.
 */
export function couchJwtIni(signingKey: KeyObject, keyId: string): string {
  const publicPem = createPublicKey(signingKey).export({ type: 'spki', format: 'pem' }).toString();
  return [
    '[chttpd]',
    'authentication_handlers = {chttpd_auth, jwt_authentication_handler}, {chttpd_auth, cookie_authentication_handler}, {chttpd_auth, default_authentication_handler}',
    '',
    '[jwt_auth]',
    `required_claims = exp, {iss, "${COUCH_JWT_ISSUER}"}`,
    '',
    '[jwt_keys]',
    `ec:${keyId} = ${publicPem.trim().replace(/\n/g, '\\n')}`,
    '',
  ].join('\n');
}

export function createBasicUserAuth(serviceSecret: string): UserAuth {
  const account = (userId: string): CouchCredentials => ({
    username: userId,
    password: deriveCouchPassword(serviceSecret, userId),
  });
  return {
    mode: 'basic',
    account,
    authorization: (userId) => Promise.resolve(basicAuthHeader(account(userId))),
  };
}

export function createJwtUserAuth(deps: {
  signingKey: KeyObject;
  keyId: string;
  /** Seconds since the epoch (tests move it). */
  now?: () => number;
}): UserAuth {
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const cache = new Map<string, { header: string; reuseUntil: number }>();
  return {
    mode: 'jwt',
    account: () => null,
    async authorization(userId) {
      const at = now();
      const cached = cache.get(userId);
      if (cached && cached.reuseUntil > at) return cached.header;
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: deps.keyId })
        .setSubject(userId)
        .setIssuer(COUCH_JWT_ISSUER)
        .setIssuedAt(at)
        .setExpirationTime(at + JWT_LIFETIME_SEC)
        .sign(deps.signingKey);
      const header = `Bearer ${token}`;
      if (cache.size >= JWT_CACHE_MAX) cache.clear();
      cache.set(userId, { header, reuseUntil: at + JWT_LIFETIME_SEC - JWT_REUSE_MARGIN_SEC });
      return header;
    },
  };
}
