// Front door of the embedded CouchDB-protocol server. express-pouchdb has gaps that CouchDB 3 does
// not: a non-admin `PUT /<newdb>` crashes the whole process (routes/db.js calls db.info on a
// rejected promise), anyone may list databases or sign up in `_users`. So every request that is
// not from the service admin must be a plain database-level request; server-level endpoints and
// database create/delete answer 403 before express-pouchdb sees them.
import type { IncomingMessage } from 'node:http';
import { secretsEqual } from '../config/secret-files.js';
import type { CouchCredentials } from './types.js';

const READ_METHODS = new Set(['GET', 'HEAD']);
/** Server-level endpoints harmless to anyone (they reveal no user data). */
const PUBLIC_SERVER_PATHS = new Set(['', '_session', '_up', '_uuids']);

/**
 * Is this request allowed for someone who is not the service admin? `rawPath` is the request
 * path as sent (percent-encoded); segments are judged decoded, because that is how
 * express-pouchdb reads them (`/%5Fusers` is `_users`).
 */
export function isAllowedForNonAdmin(method: string, rawPath: string): boolean {
  const trimmed = rawPath.replace(/^\/+/, '').replace(/\/+$/, '');
  let segments: string[];
  try {
    segments = trimmed.split('/').map((segment) => decodeURIComponent(segment));
  } catch {
    return false; // malformed percent-encoding
  }
  if (segments.some((segment) => segment === '.' || segment === '..')) return false;
  const [first = '', ...rest] = segments;
  if (rest.length === 0) {
    if (PUBLIC_SERVER_PATHS.has(first)) return READ_METHODS.has(method);
    // `/<db>`: info only. PUT/DELETE would create/delete databases; POST would create a
    // document with a server-chosen id, which no client of ours needs.
    return !first.startsWith('_') && READ_METHODS.has(method);
  }
  // `/<db>/...`: left to CouchDB's own checks (_security members, validate_doc_update).
  return !first.startsWith('_');
}

export function isServiceAdmin(req: IncomingMessage, admin: CouchCredentials): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both halves are always compared so the timing does not reveal which one was wrong.
  const nameOk = secretsEqual(decoded.slice(0, colon), admin.username);
  const passwordOk = secretsEqual(decoded.slice(colon + 1), admin.password);
  return nameOk && passwordOk;
}

export type GuardDecision = 'pass' | 'refuse';

export function guardRequest(req: IncomingMessage, admin: CouchCredentials): GuardDecision {
  if (isServiceAdmin(req, admin)) return 'pass';
  const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
  return isAllowedForNonAdmin(req.method ?? 'GET', rawPath) ? 'pass' : 'refuse';
}
