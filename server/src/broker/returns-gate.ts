// The broker's gate for writes to a user's returns database: how many returns one person may
// send, per request and per hour, and a look at each one's shape.
//
// Volume: a bucket of `maxPerHour` documents per user, refilled at `maxPerHour` an hour, so a
// device back from a long flight sends its whole backlog at once and a runaway or hostile
// client is held to the hourly rate. A request is taken whole or refused whole (429 with
// Retry-After: when enough room will be back); the device keeps what it could not send and
// pushes it again later, so nothing is lost. A request with more documents than
// `maxPerRequest` can never pass, whatever the wait: 413 (the device sends 50 at a time).
// Buckets live in this process, like the request rate limit: behind N broker instances a user
// may send up to N times as much.
//
// Shape: the database's own validation refuses a malformed return (per document, so one bad
// return does not hold back the others); this gate only sees it first, so that the refusal is
// in the audit trail and the metrics, which a `_bulk_docs` answer of 201 would hide.
import { returnProblem } from '../returns/shapes/returns-validate.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Metrics } from '../observability/metrics.js';

export type ReturnsGateDecision =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly status: 413 | 429;
      /** For the audit trail. */
      readonly reason: string;
      readonly headers: Readonly<Record<string, string>>;
    };

export type ReturnsWrite = {
  readonly write: 'doc' | 'bulk_docs';
  /** Path inside the database as received (for a single document: `/<percent-encoded id>`). */
  readonly dbPath: string;
};

export type ReturnsGate = {
  /** Judges one write to `user`'s returns database, before it is forwarded. */
  check(user: string, write: ReturnsWrite, body: Buffer): ReturnsGateDecision;
};

export type ReturnsGateDeps = {
  readonly maxPerHour: number;
  readonly maxPerRequest: number;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  /** Milliseconds, monotonic. */
  readonly now?: () => number;
};

type Bucket = { room: number; at: number };

/** Buckets kept before full (idle) ones are dropped: a full bucket is the same as none. */
const SWEEP_ABOVE = 10_000;
const HOUR_MS = 3_600_000;

/** The documents a write carries, with the id each is written under; null when unreadable. */
function documentsOf(write: ReturnsWrite, body: Buffer): Record<string, unknown>[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (write.write === 'doc') {
    if (!isObject(parsed)) return null;
    let id: string;
    try {
      id = decodeURIComponent(write.dbPath.slice(1));
    } catch {
      return null;
    }
    return [{ ...parsed, _id: id }];
  }
  const docs = isObject(parsed) ? parsed['docs'] : undefined;
  return Array.isArray(docs) ? docs.map((doc) => (isObject(doc) ? doc : {})) : null;
}

export function createReturnsGate(deps: ReturnsGateDeps): ReturnsGate {
  const now = deps.now ?? (() => performance.now());
  const perMs = deps.maxPerHour / HOUR_MS;
  const buckets = new Map<string, Bucket>();

  const refill = (bucket: Bucket, t: number) => {
    bucket.room = Math.min(deps.maxPerHour, bucket.room + (t - bucket.at) * perMs);
    bucket.at = t;
  };
  const bucketOf = (user: string, t: number): Bucket => {
    let bucket = buckets.get(user);
    if (bucket) {
      refill(bucket, t);
      return bucket;
    }
    if (buckets.size >= SWEEP_ABOVE) {
      for (const [key, other] of buckets) {
        refill(other, t);
        if (other.room >= deps.maxPerHour) buckets.delete(key);
      }
    }
    bucket = { room: deps.maxPerHour, at: t };
    buckets.set(user, bucket);
    return bucket;
  };

  return {
    check(user, write, body): ReturnsGateDecision {
      // Unreadable bodies were refused by the route policy already; the database decides the rest.
      const docs = documentsOf(write, body);
      if (!docs) return { ok: true };
      if (docs.length > deps.maxPerRequest) {
        deps.metrics.returnsRefused('broker', 'request_limit');
        return {
          ok: false,
          status: 413,
          reason: `${docs.length} returns in one request, over the limit of ${deps.maxPerRequest}`,
          headers: {},
        };
      }
      const t = now();
      const bucket = bucketOf(user, t);
      if (bucket.room < docs.length) {
        deps.metrics.returnsRefused('broker', 'hourly_limit');
        const waitSec = Math.max(1, Math.ceil((docs.length - bucket.room) / perMs / 1000));
        return {
          ok: false,
          status: 429,
          reason: `returns volume: ${docs.length} more would exceed ${deps.maxPerHour} an hour`,
          headers: { 'retry-after': String(waitSec) },
        };
      }
      bucket.room -= docs.length;
      for (const doc of docs) {
        const problem = returnProblem(doc, user);
        if (!problem) continue;
        deps.metrics.returnsRefused('broker', 'invalid');
        deps.audit.record({
          action: 'returns.invalid',
          user,
          decision: 'refused',
          reason: problem,
          docId: typeof doc['_id'] === 'string' ? doc['_id'].slice(0, 200) : null,
        });
      }
      return { ok: true };
    },
  };
}
