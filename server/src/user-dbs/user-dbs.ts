// Per-user databases and CouchDB accounts. Each user has:
// - `userdb-<hex>`: their briefings, written only by the server (design doc rejects others);
// - `returns-<hex>`: what their devices send back: only returns they authored, each of the exact
//   shape its type allows (returns/shapes/return-shapes.ts), no attachments, bounded in size;
// - with per-user Basic authentication (couch/user-auth.ts), a CouchDB account whose password
//   is derived from the service secret; with JWT, no account at all. Either way the broker acts
//   as that user upstream and CouchDB itself enforces `_security` (defence in depth).
// Set-up writes only what differs from what is there: on Apache CouchDB every `_security` write
// counts as an update of the database (its sequence moves), so a restart or a replay must not
// rewrite what is already right.
// Names use the hex of the UTF-8 user id (as CouchDB's couch_peruser does), so no user id, however
// hostile ('../x', 'A/B', unicode), can produce another database's name.
import { ensureSecurity } from '../couch/security.js';
import type { CouchClient } from '../couch/types.js';
import { deriveCouchPassword } from '../couch/user-auth.js';
import type { UserAuth } from '../couch/user-auth.js';
import { CouchError } from '../couch/types.js';
import { RETURNS_VALIDATE } from '../returns/shapes/returns-validate.js';

export type UserDbNames = { readonly briefings: string; readonly returns: string };

export type UserDbs = {
  /** Creates (once) the user's account and databases; returns their names. */
  ensure(userId: string): Promise<UserDbNames>;
  /** The `Authorization` header the broker sends upstream as this user. */
  authorization(userId: string): Promise<string>;
};

/** Longest user id in UTF-8 bytes: CouchDB database names are limited to 238 characters. */
export const MAX_USER_ID_BYTES = 100;

/** Why `userId` cannot be a user of ours, or null when it can. */
export function userIdProblem(userId: string): string | null {
  if (userId.length === 0) return 'is empty';
  if (Buffer.byteLength(userId, 'utf8') > MAX_USER_ID_BYTES) {
    return `is longer than ${MAX_USER_ID_BYTES} bytes`;
  }
  // CouchDB reserves names starting with '_'; HTTP Basic auth cannot carry a ':' in a user name.
  if (userId.startsWith('_')) return 'starts with "_"';
  if (userId.includes(':')) return 'contains ":"';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(userId)) return 'contains control characters';
  if (userId !== userId.trim()) return 'has leading or trailing spaces';
  if (!isWellFormedUnicode(userId)) return 'is not well-formed Unicode';
  return null;
}

function isWellFormedUnicode(text: string): boolean {
  try {
    encodeURIComponent(text); // throws URIError on a lone surrogate
    return true;
  } catch {
    return false;
  }
}

export function userDbNames(userId: string): UserDbNames {
  const hex = Buffer.from(userId, 'utf8').toString('hex');
  return { briefings: `userdb-${hex}`, returns: `returns-${hex}` };
}

// The derivation lives with the other ways of acting as a user (couch/user-auth.ts).
export { deriveCouchPassword };

export const DESIGN_DOC_ID = '_design/attache';

// validate_doc_update functions run inside CouchDB (and express-pouchdb), so they are source
// text in the old JavaScript dialect CouchDB's engine accepts.
export const BRIEFINGS_VALIDATE = `function (newDoc, oldDoc, userCtx) {
  if (userCtx.roles.indexOf('_admin') !== -1) return;
  throw({ forbidden: 'Briefings are written only by the Attaché server.' });
}`;

/** The returns database's rules: see returns/shapes/returns-validate.ts (generated from a table). */
export { RETURNS_VALIDATE };

export function createUserDbs(deps: {
  couch: CouchClient;
  /** How the broker acts as a user (couch/user-auth.ts); 'basic' needs an account per user. */
  auth: UserAuth;
  serviceAdminName: string;
}): UserDbs {
  const { couch } = deps;
  const ready = new Map<string, Promise<UserDbNames>>();

  async function ensureAccount(userId: string): Promise<void> {
    const creds = deps.auth.account(userId);
    if (!creds) return;
    const id = `org.couchdb.user:${userId}`;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const existing = await couch.getDoc('_users', id);
      if (existing && (await couch.authenticate(creds)) === userId) return;
      // New account, or one whose password no longer matches (service secret replaced).
      try {
        await couch.putDoc('_users', {
          _id: id,
          ...(existing?._rev ? { _rev: existing._rev } : {}),
          name: userId,
          password: creds.password,
          roles: [],
          type: 'user',
        });
        return;
      } catch (error) {
        if (!(error instanceof CouchError && error.code === 'conflict')) throw error;
      }
    }
    throw new Error(`Could not create the CouchDB account of user ${JSON.stringify(userId)}.`);
  }

  async function ensureDb(db: string, userId: string, validate: string): Promise<void> {
    // q=1: a per-user database is small; one shard keeps a CouchDB cluster's shard count sane.
    await couch.createDb(db, { q: 1 });
    // Checked on every first use in this process (not only on creation): a database created by
    // a run that crashed before this step must not stay open to everyone.
    await ensureSecurity(couch, db, {
      admins: { names: [deps.serviceAdminName], roles: [] },
      members: { names: [userId], roles: [] },
    });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const design = await couch.getDoc(db, DESIGN_DOC_ID);
      if (design && design['validate_doc_update'] === validate) return;
      try {
        await couch.putDoc(db, {
          _id: DESIGN_DOC_ID,
          ...(design?._rev ? { _rev: design._rev } : {}),
          language: 'javascript',
          validate_doc_update: validate,
        });
        return;
      } catch (error) {
        if (!(error instanceof CouchError && error.code === 'conflict')) throw error;
      }
    }
    throw new Error(`Could not install the design document of ${db}.`);
  }

  async function setUp(userId: string): Promise<UserDbNames> {
    const problem = userIdProblem(userId);
    if (problem) throw new Error(`User id ${JSON.stringify(userId)} ${problem}.`);
    const names = userDbNames(userId);
    await ensureAccount(userId);
    await ensureDb(names.briefings, userId, BRIEFINGS_VALIDATE);
    await ensureDb(names.returns, userId, RETURNS_VALIDATE);
    return names;
  }

  return {
    authorization: (userId) => deps.auth.authorization(userId),
    ensure(userId) {
      let pending = ready.get(userId);
      if (!pending) {
        pending = setUp(userId);
        ready.set(userId, pending);
        // A failed set-up is retried by the next caller rather than cached forever.
        pending.catch(() => ready.delete(userId));
      }
      return pending;
    },
  };
}
