// What a device may do through the broker, decided by pure functions over the allow-list table
// (allow-list.ts): which endpoint a path names, whether the table lists it for that method,
// whether every query parameter is listed with an acceptable value, and whether the body has the
// shape the endpoint takes. A refusal carries a reason for the audit trail only: the device
// always gets the same answer per status.
import { BROKER_DB_PATHS } from '../../../src/shared/protocol.js';
import type { Endpoint, EndpointRule } from './allow-list.js';
import { ruleFor } from './allow-list.js';
import type { BodyRefusal } from './body-rules.js';
import type { BrokerAlias } from './types.js';

export type RouteDecision =
  | {
      readonly allowed: true;
      readonly alias: BrokerAlias;
      readonly endpoint: Endpoint;
      readonly rule: EndpointRule;
      /** Path inside the user's database, percent-encoded as received ('' for the db itself). */
      readonly dbPath: string;
      /** The document's segment as received, for document and attachment reads. */
      readonly docPath?: string;
      /** The same document id, decoded. */
      readonly docId?: string;
    }
  | {
      readonly allowed: false;
      /** For the audit log only; the device gets a uniform body without it. */
      readonly reason: string;
      readonly alias?: BrokerAlias;
    };

export type QueryDecision =
  | {
      readonly allowed: true;
      /** The parameters as judged (decoded), in the order received. */
      readonly params: ReadonlyMap<string, string>;
      /** What goes upstream: `?` and the judged values re-encoded, plus forced ones; or ''. */
      readonly upstream: string;
    }
  | { readonly allowed: false; readonly reason: string };

/** Longest query string judged at all; an `open_revs` list of 100 revisions fits easily. */
export const QUERY_MAX = 8192;

const ENDPOINT_SEGMENTS: Readonly<Record<string, Endpoint>> = {
  _changes: 'changes',
  _all_docs: 'all_docs',
  _bulk_get: 'bulk_get',
  _revs_diff: 'revs_diff',
  _bulk_docs: 'bulk_docs',
};

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

  const [first] = segments;
  let endpoint: Endpoint;
  if (first === undefined) endpoint = 'database';
  else if (first.startsWith('_')) {
    // _local, _design, _security, _compact, _find, _purge, _all_dbs, views…: not for devices.
    const named = ENDPOINT_SEGMENTS[first];
    if (!named || segments.length !== 1) return refuse(`endpoint ${first} not available`, alias);
    endpoint = named;
  } else endpoint = segments.length === 1 ? 'document' : 'attachment';

  const rule = ruleFor(alias, endpoint, method);
  if (!rule) {
    const readOnly = alias === 'briefings' && ruleFor('returns', endpoint, method) !== undefined;
    return refuse(readOnly ? 'briefings are read-only' : `${method} not allowed here`, alias);
  }
  return {
    allowed: true,
    alias,
    endpoint,
    rule,
    dbPath: segments.length === 0 ? '' : `/${rawSegments.join('/')}`,
    ...(first !== undefined && !first.startsWith('_')
      ? { docPath: `/${rawSegments[0]}`, docId: first }
      : {}),
  };
}

/** Query strings are form-encoded: `+` is a space to CouchDB and to express alike. */
function decodeQueryPart(part: string): string {
  return decodeURIComponent(part.replace(/\+/g, ' '));
}

/** A parameter name as it may appear in the audit trail: bounded, control characters escaped. */
const quoted = (name: string) => JSON.stringify(name.slice(0, 40));

/**
 * Judges a query string (without the `?`) against an endpoint's rule: every parameter listed,
 * once, with an acceptable value, and no two that exclude each other. What goes upstream is
 * rebuilt from the judged values, so no other parser can read something else into it.
 */
export function decideQuery(rule: EndpointRule, rawQuery: string): QueryDecision {
  const params = new Map<string, string>();
  if (rawQuery.length > QUERY_MAX) return { allowed: false, reason: 'query string too long' };
  for (const part of rawQuery === '' ? [] : rawQuery.split('&')) {
    const eq = part.indexOf('=');
    if (part === '' || eq <= 0)
      return { allowed: false, reason: 'parameter without a name or value' };
    let name: string;
    let value: string;
    try {
      name = decodeQueryPart(part.slice(0, eq));
      value = decodeQueryPart(part.slice(eq + 1));
    } catch {
      return { allowed: false, reason: 'malformed percent-encoding in the query' };
    }
    if (!Object.prototype.hasOwnProperty.call(rule.params, name)) {
      return { allowed: false, reason: `unknown parameter ${quoted(name)}` };
    }
    if (params.has(name)) return { allowed: false, reason: `repeated parameter ${quoted(name)}` };
    const problem = rule.params[name]?.check(value);
    if (problem) return { allowed: false, reason: `parameter ${quoted(name)}: ${problem}` };
    params.set(name, value);
  }
  for (const [a, b] of rule.exclusive ?? []) {
    if (params.has(a) && params.has(b)) {
      return { allowed: false, reason: `parameters ${quoted(a)} and ${quoted(b)} together` };
    }
  }
  const upstream = new Map(params);
  for (const forced of rule.forced ?? []) {
    if (forced.when === undefined || params.has(forced.when))
      upstream.set(forced.name, forced.value);
  }
  const query = [...upstream]
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
  return { allowed: true, params, upstream: query === '' ? '' : `?${query}` };
}

export type BodyDecision =
  | {
      readonly allowed: true;
      /** The parsed body, where the endpoint takes one. */ readonly json?: unknown;
    }
  | ({ readonly allowed: false } & BodyRefusal);

/**
 * Judges a request body against the endpoint's rule: JSON of the listed shape where the endpoint
 * takes one, nothing where it takes none.
 */
export function checkBody(rule: EndpointRule, body: Buffer): BodyDecision {
  if (!rule.body) {
    return body.byteLength === 0
      ? { allowed: true }
      : { allowed: false, status: 400, reason: 'a body where none is taken' };
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { allowed: false, status: 400, reason: 'body is not JSON' };
  }
  const refusal = rule.body.check(json);
  return refusal ? { allowed: false, ...refusal } : { allowed: true, json };
}
