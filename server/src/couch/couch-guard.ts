// Front door of the embedded CouchDB-protocol server (express-pouchdb), as pure decisions.
// express-pouchdb enforces far less than CouchDB 3: `_find` and `_bulk_get` ignore `_security`,
// a database without members is open to anyone, `_local/_security` is an ordinary document,
// design documents run their functions in this process, and database names are rewritten after
// decoding (sanitize-filename strips / ? < > \ : * | " and control characters, so `%2F_users`
// opens `_users`). So nothing is left to it: every request must be authenticated, name a database
// of ours exactly as it will be opened, and (for a user) be one of the few requests the broker
// forwards, on that user's own databases. Allow-lists only; what is not listed is refused.
import { CONTROL_DB } from './control-db.js';

/** Who a request is, once its Basic credentials were checked (couch-auth.ts). */
export type CouchIdentity =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'admin' }
  | { readonly kind: 'user'; readonly name: string };

/** A user's write whose body the front door checks before express-pouchdb sees it. */
export type UserWrite =
  { readonly kind: 'doc'; readonly docId: string } | { readonly kind: 'bulk_docs' };

export type GuardDecision =
  | { readonly allow: true; readonly write?: UserWrite }
  | { readonly allow: false; readonly status: 400 | 401 | 403; readonly reason: string };

const READ = ['GET', 'HEAD'] as const;

/**
 * What the broker may do for a user, per kind of database: the one table to extend when devices
 * need more (it must stay equal to what the broker forwards, server/src/broker/allow-list.ts:
 * tests/unit/server/couch-guard.test.ts compares the two both ways).
 * `info`: the database itself; `endpoints`: `/<db>/<endpoint>`; `doc`: `/<db>/<id>`;
 * `attachment`: `/<db>/<id>/<name>`. Document ids starting with `_` (design, local) are never a
 * user's: they are endpoints, and only the listed ones exist for users.
 */
export const USER_ACCESS = {
  briefings: {
    info: READ,
    endpoints: {
      _changes: ['GET'],
      _all_docs: ['GET', 'POST'],
      _bulk_get: ['POST'],
      // Not forwarded for devices: the broker's own revision check, as the user
      // (broker/revision-checks.ts).
      _revs_diff: ['POST'],
    },
    doc: READ,
    attachment: READ,
  },
  returns: {
    info: READ,
    endpoints: {
      _changes: ['GET'],
      _all_docs: ['GET', 'POST'],
      _bulk_get: ['POST'],
      _revs_diff: ['POST'],
      _bulk_docs: ['POST'],
    },
    doc: [...READ, 'PUT'],
    attachment: READ,
  },
} as const satisfies Record<UserDbKind, UserDbAccess>;

type UserDbKind = 'briefings' | 'returns';
type UserDbAccess = {
  readonly info: readonly string[];
  readonly endpoints: Readonly<Record<string, readonly string[]>>;
  readonly doc: readonly string[];
  readonly attachment: readonly string[];
};

/**
 * Server-level endpoints (`/<name>` that is not a database), and who may use them. The service
 * checks its credentials and users' with `_session`, lists databases with `_all_dbs` and follows
 * which were written with `_db_updates`; nothing else at server level is used (no `_config`,
 * `_replicate`, sign-up, cookie sessions).
 */
export const SERVER_ENDPOINTS: Readonly<
  Record<string, { readonly admin: readonly string[]; readonly user: readonly string[] }>
> = {
  _session: { admin: READ, user: READ },
  _all_dbs: { admin: READ, user: [] },
  _db_updates: { admin: ['GET'], user: [] },
};

/** Prefixes of the per-user databases (user-dbs/user-dbs.ts names them `<prefix><hex of user id>`). */
export const USER_DB_PREFIXES = { briefings: 'userdb-', returns: 'returns-' } as const;
/** User ids are 1 to 100 UTF-8 bytes (user-dbs/user-dbs.ts, MAX_USER_ID_BYTES). */
const USER_DB_NAME = /^(userdb|returns)-((?:[0-9a-f]{2}){1,100})$/;
/** Databases only the service admin opens. */
const ADMIN_ONLY_DBS = new Set([CONTROL_DB, '_users', '_replicator']);
/**
 * Characters a database name of ours may be written with in a request path. None of them is
 * percent-encoded or rewritten by express-pouchdb, so the name checked is the name opened.
 */
const PLAIN_NAME = /^[a-z0-9_-]+$/;

export type DatabaseKind =
  { readonly kind: UserDbKind; readonly ownerHex: string } | { readonly kind: 'admin-only' };

/** Which of our databases `name` is, or null when it is none of them. */
export function databaseKind(name: string): DatabaseKind | null {
  if (ADMIN_ONLY_DBS.has(name)) return { kind: 'admin-only' };
  const match = USER_DB_NAME.exec(name);
  if (!match?.[1] || !match[2]) return null;
  return { kind: match[1] === 'userdb' ? 'briefings' : 'returns', ownerHex: match[2] };
}

function refuse(status: 400 | 401 | 403, reason: string): GuardDecision {
  return { allow: false, status, reason };
}

const ALLOW: GuardDecision = { allow: true };

/**
 * Decides one request. `url` is the request target exactly as received (percent-encoded, with
 * its query). `opensAs` is express-pouchdb's own name cleaning: the name must come out of it
 * unchanged, so no rewriting can happen after this check.
 */
export function decideCouchRequest(
  method: string,
  url: string,
  identity: CouchIdentity,
  opensAs: (name: string) => string,
): GuardDecision {
  if (identity.kind === 'anonymous') return refuse(401, 'authentication required');
  // Origin-form only: an absolute URL or `*` would be parsed differently by express.
  if (!url.startsWith('/')) return refuse(400, 'request target is not a path');
  const rawPath = url.split('?')[0] ?? '';
  if (rawPath.includes('#')) return refuse(400, 'fragment in request target');
  const segments = rawPath.slice(1).split('/');
  // `/<db>/` means `/<db>` to express (non-strict routing); other empty segments mean nothing.
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
  if (segments.some((segment) => segment === '')) return refuse(403, 'no such endpoint');
  const [first = '', ...rest] = segments;

  if (!PLAIN_NAME.test(first)) return refuse(403, 'not a database of this server');
  const serverEndpoint = SERVER_ENDPOINTS[first];
  if (serverEndpoint) {
    const methods = identity.kind === 'admin' ? serverEndpoint.admin : serverEndpoint.user;
    return rest.length === 0 && methods.includes(method)
      ? ALLOW
      : refuse(403, 'server endpoint not allowed');
  }
  const db = databaseKind(first);
  if (!db || opensAs(first) !== first) return refuse(403, 'not a database of this server');
  if (identity.kind === 'admin') return ALLOW;

  if (db.kind === 'admin-only') return refuse(403, 'database reserved to the service');
  if (db.ownerHex !== Buffer.from(identity.name, 'utf8').toString('hex')) {
    return refuse(403, "another user's database");
  }
  return decideUserPath(method, rest, USER_ACCESS[db.kind]);
}

function decideUserPath(
  method: string,
  rest: readonly string[],
  access: UserDbAccess,
): GuardDecision {
  const allowIf = (methods: readonly string[], decision: GuardDecision = ALLOW) =>
    methods.includes(method) ? decision : refuse(403, `${method} not allowed here`);
  const [rawFirst, ...more] = rest;
  if (rawFirst === undefined) return allowIf(access.info);
  let decoded: string[];
  try {
    decoded = rest.map((segment) => decodeURIComponent(segment));
  } catch {
    return refuse(400, 'malformed percent-encoding');
  }
  const first = decoded[0] ?? '';
  if (first.startsWith('_')) {
    // An endpoint, written plainly: `%5Fchanges` or `_local%2F…` are documents to express and
    // would reach PouchDB as reserved ids.
    const methods = access.endpoints[first];
    if (!methods || rawFirst !== first || more.length > 0) {
      return refuse(403, 'endpoint not available');
    }
    return allowIf(
      methods,
      first === '_bulk_docs' ? { allow: true, write: { kind: 'bulk_docs' } } : ALLOW,
    );
  }
  if (more.length === 0) {
    return allowIf(
      access.doc,
      method === 'PUT' ? { allow: true, write: { kind: 'doc', docId: first } } : ALLOW,
    );
  }
  return allowIf(access.attachment);
}

/** Query parameters a user's document write may carry (express-pouchdb reads `?id=` as the id). */
const DOC_WRITE_QUERY = new Set(['rev', 'new_edits', 'batch']);

/**
 * Checks a user's write before express-pouchdb sees it: only ordinary documents, never a design
 * or local document (`_local/_security` is the security object) named in the body or the query,
 * whatever the path says (express-pouchdb takes the id from the body, then from `?id=`, before
 * the path). `query` is the raw query string (without `?`). Returns a refusal reason or null.
 */
export function checkUserWrite(write: UserWrite, query: string, body: unknown): string | null {
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(body)) return 'body is not a JSON object';
  if (write.kind === 'doc') {
    for (const key of new URLSearchParams(query).keys()) {
      if (!DOC_WRITE_QUERY.has(key)) return `query parameter ${key} not allowed on a write`;
    }
    const id = body['_id'];
    return id === undefined || id === write.docId ? null : '_id differs from the document path';
  }
  const docs = body['docs'];
  if (!Array.isArray(docs)) return '_bulk_docs body without a docs array';
  for (const doc of docs) {
    if (!isObject(doc)) return 'document is not an object';
    const id = doc['_id'];
    if (id !== undefined && (typeof id !== 'string' || id.startsWith('_'))) {
      return 'reserved document id in write';
    }
  }
  return null;
}
