// Who a request to the embedded CouchDB-protocol server is: the service admin (credentials the
// server generated), a CouchDB user whose password matches the hash in `_users` (the broker acts
// as each user with a password derived from the service secret), or nobody. Basic credentials
// only: cookie sessions are never issued or read.
import { createHash, pbkdf2Sync } from 'node:crypto';
import { secretsEqual } from '../config/secret-files.js';
import type { CouchIdentity } from './couch-guard.js';
import type { CouchCredentials } from './types.js';

/** What `_users` keeps of a password (pouchdb-auth's scheme: PBKDF2-SHA1, 20 bytes, hex). */
export type StoredPassword = {
  readonly name: string;
  readonly derivedKey: string;
  readonly salt: string;
  readonly iterations: number;
};

/** Reads the `_users` record of `name`; null when there is none (or it is not a user). */
export type StoredPasswordLookup = (name: string) => Promise<StoredPassword | null>;

/** Verified (user, password, stored hash) triples kept, so a request costs no PBKDF2 round. */
const VERIFIED_CACHE_MAX = 10_000;
/** Hashes with more iterations than this are refused rather than computed (a cheap DoS). */
const MAX_ITERATIONS = 100_000;

/** The credentials of a `Basic` authorization header, or null when it has none. */
export function parseBasicAuth(header: string | undefined): CouchCredentials | null {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function basicAuthHeader(credentials: CouchCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

export type CouchAuthenticator = {
  /** The identity an authorization header proves; anonymous when it proves none. */
  identify(header: string | undefined): Promise<{
    identity: CouchIdentity;
    credentials: CouchCredentials | null;
  }>;
};

export function createCouchAuthenticator(deps: {
  admin: CouchCredentials;
  lookup: StoredPasswordLookup;
}): CouchAuthenticator {
  const verified = new Set<string>();
  const anonymous = { identity: { kind: 'anonymous' } as const, credentials: null };

  function matches(stored: StoredPassword, password: string): boolean {
    const key = createHash('sha256')
      .update(
        JSON.stringify([stored.name, password, stored.derivedKey, stored.salt, stored.iterations]),
      )
      .digest('base64');
    if (verified.has(key)) return true;
    if (!Number.isInteger(stored.iterations) || stored.iterations < 1) return false;
    if (stored.iterations > MAX_ITERATIONS) return false;
    const derived = pbkdf2Sync(password, stored.salt, stored.iterations, 20, 'sha1').toString(
      'hex',
    );
    if (!secretsEqual(derived, stored.derivedKey)) return false;
    if (verified.size >= VERIFIED_CACHE_MAX) verified.clear();
    verified.add(key);
    return true;
  }

  return {
    async identify(header) {
      const credentials = parseBasicAuth(header);
      if (!credentials) return anonymous;
      // Both halves compared, so the timing does not tell which one was wrong.
      const nameOk = secretsEqual(credentials.username, deps.admin.username);
      const passwordOk = secretsEqual(credentials.password, deps.admin.password);
      if (nameOk && passwordOk) return { identity: { kind: 'admin' }, credentials };
      if (nameOk) return anonymous; // the admin's name with a wrong password is nobody
      const stored = await deps.lookup(credentials.username);
      if (!stored || stored.name !== credentials.username) return anonymous;
      if (!matches(stored, credentials.password)) return anonymous;
      return { identity: { kind: 'user', name: credentials.username }, credentials };
    },
  };
}
