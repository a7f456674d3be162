// What a device may do through the broker: exactly what replication needs (pull briefings, push
// returns), nothing else. Pure, so every rule is unit-tested without a server.
import { BROKER_DB_PATHS } from '../../../src/shared/protocol.js';
import type { BrokerAlias } from './types.js';

export type RouteDecision =
  | {
      readonly allowed: true;
      readonly alias: BrokerAlias;
      /** Path inside the user's database, percent-encoded as received ('' for the db itself). */
      readonly dbPath: string;
    }
  | {
      readonly allowed: false;
      readonly status: 403 | 404;
      /** For the audit log only; the device gets a uniform body without it. */
      readonly reason: string;
      readonly alias?: BrokerAlias;
    };

const READ = ['GET', 'HEAD'];

function refuse(status: 403 | 404, reason: string, alias?: BrokerAlias): RouteDecision {
  return alias ? { allowed: false, status, reason, alias } : { allowed: false, status, reason };
}

/** Which alias a path belongs to, and the rest of the path after it. */
export function splitAlias(rawPath: string): { alias: BrokerAlias; rest: string } | null {
  for (const alias of Object.keys(BROKER_DB_PATHS) as BrokerAlias[]) {
    const prefix = BROKER_DB_PATHS[alias];
    if (rawPath === prefix || rawPath.startsWith(`${prefix}/`)) {
      return { alias, rest: rawPath.slice(prefix.length) };
    }
  }
  return null;
}

export function decideRoute(method: string, rawPath: string): RouteDecision {
  const split = splitAlias(rawPath);
  if (!split) return refuse(404, 'unknown path');
  const { alias, rest } = split;

  // Judge the decoded segments (what CouchDB will see), forward the raw ones.
  const rawSegments = rest.replace(/^\//, '').split('/');
  let segments: string[];
  try {
    segments = rawSegments.map((s) => decodeURIComponent(s));
  } catch {
    return refuse(404, 'malformed percent-encoding', alias);
  }
  if (segments.some((s) => s === '.' || s === '..' || s.includes('\\'))) {
    return refuse(404, 'dot or backslash segment', alias);
  }
  // `/db/briefings` and `/db/briefings/` both mean the database itself.
  if (segments.length === 1 && segments[0] === '') segments = [];
  const allow = (): RouteDecision => ({
    allowed: true,
    alias,
    dbPath: segments.length === 0 ? '' : `/${rawSegments.join('/')}`,
  });
  const methodNotAllowed = () => refuse(403, `${method} not allowed here`, alias);
  const [first, second] = segments;

  if (first === undefined) return READ.includes(method) ? allow() : methodNotAllowed();

  if (first.startsWith('_')) {
    switch (first) {
      case '_changes':
        if (segments.length !== 1) return refuse(404, 'unknown endpoint', alias);
        return [...READ, 'POST'].includes(method) ? allow() : methodNotAllowed();
      case '_all_docs':
        if (segments.length !== 1) return refuse(404, 'unknown endpoint', alias);
        return [...READ, 'POST'].includes(method) ? allow() : methodNotAllowed();
      case '_bulk_get':
      case '_revs_diff':
        if (segments.length !== 1) return refuse(404, 'unknown endpoint', alias);
        return method === 'POST' ? allow() : methodNotAllowed();
      case '_bulk_docs':
        if (segments.length !== 1) return refuse(404, 'unknown endpoint', alias);
        if (alias !== 'returns') return refuse(403, 'briefings are read-only', alias);
        return method === 'POST' ? allow() : methodNotAllowed();
      case '_local':
        // Replication checkpoints.
        if (segments.length !== 2 || !second) return refuse(404, 'bad _local path', alias);
        return [...READ, 'PUT', 'DELETE'].includes(method) ? allow() : methodNotAllowed();
      default:
        // _design, _security, _compact, _find, _purge, views...: not for devices.
        return refuse(404, `endpoint ${first} not available`, alias);
    }
  }

  if (segments.length === 1) {
    // A document.
    if (READ.includes(method)) return allow();
    if (method === 'PUT') {
      return alias === 'returns' ? allow() : refuse(403, 'briefings are read-only', alias);
    }
    return methodNotAllowed();
  }
  // An attachment of a document (names may contain '/'): read only.
  return READ.includes(method) ? allow() : methodNotAllowed();
}
