// Configuration of where the users' databases live: Apache CouchDB (its admin, and how the
// broker acts as each user towards it) or the embedded CouchDB-protocol server; the service
// secret. One documented key per entry; config-schema.ts assembles all groups.
import { z } from 'zod';
import type { ConfigRule, KeyGroup } from './key-spec.js';
import { port, optionalUrl } from './key-spec.js';

export const COUCH_KEYS = {
  couchUrl: {
    env: 'ATTACHE_COUCH_URL',
    doc: 'Apache CouchDB 3.x to use (e.g. https://couch.internal:6984). Empty: run the embedded CouchDB-protocol server (one machine: development, demonstration, small single-host installs).',
    schema: optionalUrl(['http:', 'https:']).default(''),
  },
  couchUser: {
    env: 'ATTACHE_COUCH_USER',
    doc: 'With couchUrl: the CouchDB server admin the pipeline acts as (creates per-user databases with q=1, their accounts and _security).',
    schema: z.string().trim().default(''),
  },
  couchPasswordFile: {
    env: 'ATTACHE_COUCH_PASSWORD_FILE',
    doc: "With couchUrl: file holding couchUser's password (read at start).",
    schema: z.string().trim().default(''),
  },
  couchUserAuth: {
    env: 'ATTACHE_COUCH_USER_AUTH',
    doc: 'How the broker acts as each user towards CouchDB. "jwt" (Apache CouchDB; the production mode): a short-lived ES256 token per user, which CouchDB checks against the public half of couchJwtKeyFile; no per-user accounts, no password hashing. "basic": an account per user in _users, its password derived from the service secret (the embedded server\'s only mode). Unset: "jwt" with couchUrl, "basic" otherwise.',
    schema: z.enum(['basic', 'jwt']).optional(),
  },
  couchJwtKeyFile: {
    env: 'ATTACHE_COUCH_JWT_KEY_FILE',
    doc: 'With couchUserAuth=jwt: PEM file of the EC P-256 private key the users\' tokens are signed with (the same on every instance). CouchDB holds its public key in [jwt_keys] (docs/operations.md, "CouchDB"; a refused key stops the server with the lines to add).',
    schema: z.string().trim().default(''),
  },
  couchJwtKeyId: {
    env: 'ATTACHE_COUCH_JWT_KEY_ID',
    doc: "With couchUserAuth=jwt: the tokens' key id; CouchDB looks the public key up as [jwt_keys] ec:<id>. A new id with a new key rotates keys without a stop.",
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'expected 1-64 of A-Z a-z 0-9 _ . -' })
      .default('attache'),
  },
  serviceSecretFile: {
    env: 'ATTACHE_SERVICE_SECRET_FILE',
    doc: "File holding the secret from which users' CouchDB passwords are derived (32+ characters). Every instance must use the same one. Empty: generated in dataDir/secrets.",
    schema: z.string().trim().default(''),
  },
  couchPort: {
    env: 'ATTACHE_COUCH_PORT',
    doc: 'Deprecated, no effect: the embedded CouchDB-protocol server opens no TCP port (it listens on a Unix socket in dataDir/couch/run, reachable by the server only). A value set is ignored with a warning at start.',
    schema: port.optional(),
  },
} as const satisfies KeyGroup;

/** What these keys require of each other (or of other groups' keys). */
export const COUCH_RULES: readonly ConfigRule[] = [
  {
    key: 'couchUser',
    message: 'is required when couchUrl is set',
    holds: (c) => c.couchUrl === '' || c.couchUser !== '',
  },
  {
    key: 'couchPasswordFile',
    message: 'is required when couchUrl is set',
    holds: (c) => c.couchUrl === '' || c.couchPasswordFile !== '',
  },
  {
    key: 'couchUserAuth',
    message:
      'is "jwt", which needs Apache CouchDB (couchUrl): the embedded server checks Basic credentials only',
    holds: (c) => c.couchUserAuth !== 'jwt' || c.couchUrl !== '',
  },
  {
    key: 'couchJwtKeyFile',
    message:
      'is required when couchUserAuth is "jwt" (the default with couchUrl): see docs/operations.md, "CouchDB"; or set couchUserAuth=basic',
    holds: (c) =>
      (c.couchUserAuth ?? (c.couchUrl === '' ? 'basic' : 'jwt')) !== 'jwt' ||
      c.couchJwtKeyFile !== '',
  },
];
