// What a device may do through the broker: exactly what replication needs (pull briefings, push
// returns), nothing else. Pure, so every rule is unit-tested without a server. A refusal carries
// a reason for the audit trail only: the device always gets the same 403.
import { BROKER_DB_PATHS } from '../../../src/shared/protocol.js';
import type { BrokerAlias } from './types.js';

export type RouteDecision =
  | {
      readonly allowed: true;
      readonly alias: BrokerAlias;
      /** Path inside the user's database, percent-encoded as received ('' for the db itself). */
      readonly dbPath: string;
      /** Writes whose body the broker checks before forwarding (see checkWriteBody). */
      readonly write?: 'bulk_docs' | 'doc';
    }
  | {
      readonly allowed: false;
      /** For the audit log only; the device gets a uniform body without it. */
      readonly reason: string;
      readonly alias?: BrokerAlias;
    };

const READ = ['GET', 'HEAD'];

function refuse(reason: string, alias?: BrokerAlias): RouteDecision {
  return alias ? { allowed: false, reason, alias } : { allowed: false, reason };
}

/** Which alias a path belongs to, and the rest of the path after it. Exact, case-sensitive. */
export function splitAlias(rawPath: string): { alias: BrokerAlias; rest: string } | null {
  for (const alias of Object.keys(BROKER_DB_PATHS) as BrokerAlias[]) {
    const prefix = BROKER_DB_PATHS[alias];
    if (rawPath === prefix || rawPath.startsWith(`${prefix}/`)) {
      return { alias, rest: rawPath.slice(prefix.length) };
    }
  }
  return null;
}

/**
 * Segments that could mean something else to CouchDB or to a proxy in front of it: dot segments,
 * encoded slashes or backslashes (a normalising proxy could turn `..%2F` into a path step),
 * control characters.
 */
function unsafeSegment(segment: string): boolean {
  return (
    segment === '.' ||
    segment === '..' ||
    segment.includes('/') ||
    segment.includes('\\') ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f]/.test(segment)
  );
}

export function decideRoute(method: string, rawPath: string): RouteDecision {
  const split = splitAlias(rawPath);
  if (!split) return refuse('not a database alias');
  const { alias, rest } = split;

  // Judge the decoded segments (what CouchDB will see), forward the raw ones.
  // `/db/briefings` and `/db/briefings/` both mean the database itself.
  const rawSegments = rest === '' || rest === '/' ? [] : rest.slice(1).split('/');
  let segments: string[];
  try {
    segments = rawSegments.map((s) => decodeURIComponent(s));
  } catch {
    return refuse('malformed percent-encoding', alias);
  }
  if (segments.some((s) => s === '')) return refuse('empty path segment', alias);
  if (segments.some(unsafeSegment)) return refuse('unsafe path segment', alias);
  const allow = (write?: 'bulk_docs' | 'doc'): RouteDecision => ({
    allowed: true,
    alias,
    dbPath: segments.length === 0 ? '' : `/${rawSegments.join('/')}`,
    ...(write ? { write } : {}),
  });
  const methodNotAllowed = () => refuse(`${method} not allowed here`, alias);
  const [first, second] = segments;

  if (first === undefined) return READ.includes(method) ? allow() : methodNotAllowed();

  if (first.startsWith('_')) {
    const single = segments.length === 1;
    switch (first) {
      case '_changes':
      case '_all_docs':
        if (!single) return refuse('unknown endpoint', alias);
        return [...READ, 'POST'].includes(method) ? allow() : methodNotAllowed();
      case '_bulk_get':
      case '_revs_diff':
        if (!single) return refuse('unknown endpoint', alias);
        return method === 'POST' ? allow() : methodNotAllowed();
      case '_bulk_docs':
        if (!single) return refuse('unknown endpoint', alias);
        if (alias !== 'returns') return refuse('briefings are read-only', alias);
        return method === 'POST' ? allow('bulk_docs') : methodNotAllowed();
      case '_local':
        // Replication checkpoints.
        if (segments.length !== 2 || !second) return refuse('bad _local path', alias);
        return [...READ, 'PUT', 'DELETE'].includes(method) ? allow() : methodNotAllowed();
      default:
        // _design, _security, _compact, _find, _purge, _all_dbs, views...: not for devices.
        return refuse(`endpoint ${first} not available`, alias);
    }
  }

  if (segments.length === 1) {
    // A document.
    if (READ.includes(method)) return allow();
    if (method === 'PUT') {
      return alias === 'returns' ? allow('doc') : refuse('briefings are read-only', alias);
    }
    return methodNotAllowed();
  }
  // An attachment of a document (names may contain '/'): read only.
  return READ.includes(method) ? allow() : methodNotAllowed();
}

/**
 * Checks the body of a write to the returns database before it is forwarded: only ordinary
 * documents, never design (`_design/…`) or local documents smuggled inside `_bulk_docs`. CouchDB's
 * own rules (members cannot write design documents, validate_doc_update) stand behind this.
 * Returns a refusal reason, or null when the body may pass.
 */
export function checkWriteBody(kind: 'bulk_docs' | 'doc', body: Buffer): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return 'body is not JSON';
  }
  const docs =
    kind === 'doc'
      ? [parsed]
      : typeof parsed === 'object' &&
          parsed !== null &&
          Array.isArray((parsed as { docs?: unknown }).docs)
        ? (parsed as { docs: unknown[] }).docs
        : null;
  if (!docs) return '_bulk_docs body without a docs array';
  for (const doc of docs) {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
      return 'document is not an object';
    const id = (doc as { _id?: unknown })._id;
    if (id !== undefined && (typeof id !== 'string' || id.startsWith('_'))) {
      return 'reserved document id in write';
    }
  }
  return null;
}
