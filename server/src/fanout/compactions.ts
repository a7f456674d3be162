// Unshared content leaves the server's disk: after an unshare the fan-out asks for a compaction
// of the recipient's briefings database, and one instance (the holder of the "compaction"
// lease) runs them: batched per database, one at a time, and no more often than a set interval
// across all users, so that a mass unshare does not swamp CouchDB.
//
// A request is a marker document in the control database (`compaction:<db>`), written before the
// fan-out acknowledges the unshare, so no crash loses it. Its `firstAt` and `lastAt` say when
// the first and the latest unshare asked; a database is due once no unshare has asked for a
// quiet period, or a longest delay after the first one (dueCompactions, pure). The marker is
// removed with the revision read before the compaction started: an unshare that came during the
// compaction updated it, so the removal fails and the database is compacted again (CouchDB's
// compaction may already have copied the briefing that unshare removed).
import type { AuditLog } from '../audit/types.js';
import { CONTROL_DB } from '../couch/control-db.js';
import type { CouchClient, CouchDoc } from '../couch/types.js';
import { CouchError } from '../couch/types.js';
import { createLogger, describeError } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Lease } from '../lease/lease.js';
import { backoffDelayMs } from '../timing/backoff.js';
import { createSleeper } from '../timing/sleeper.js';
import { userDbNames } from '../user-dbs/user-dbs.js';

const log = createLogger('compaction');

const MARKER_PREFIX = 'compaction:';
/** Markers read per pass; the rest wait for the next pass. */
const MARKERS_PER_PASS = 1_000;

export type CompactionMarker = {
  readonly db: string;
  readonly user: string;
  /** Milliseconds since the epoch. */
  readonly firstAt: number;
  readonly lastAt: number;
  /** Briefings removed from the database since its last compaction. */
  readonly requests: number;
  readonly rev: string;
};

export type CompactionPolicy = {
  /** How long no further unshare must ask before the database is compacted. */
  readonly quietMs: number;
  /** Compacted this long after the first request at the latest, however many follow. */
  readonly maxDelayMs: number;
};

/** The markers due now, the longest waiting first. */
export function dueCompactions(
  markers: readonly CompactionMarker[],
  now: number,
  policy: CompactionPolicy,
): CompactionMarker[] {
  return markers
    .filter((m) => now - m.lastAt >= policy.quietMs || now - m.firstAt >= policy.maxDelayMs)
    .sort((a, b) => a.firstAt - b.firstAt);
}

const markerId = (db: string) => `${MARKER_PREFIX}${db}`;

function toMarker(doc: CouchDoc): CompactionMarker | null {
  const { db, user, firstAt, lastAt, requests } = doc as Record<string, unknown>;
  if (typeof db !== 'string' || typeof user !== 'string' || !doc._rev) return null;
  if (typeof firstAt !== 'number' || typeof lastAt !== 'number') return null;
  return {
    db,
    user,
    firstAt,
    lastAt,
    requests: typeof requests === 'number' ? requests : 1,
    rev: doc._rev,
  };
}

export type CompactionRequests = {
  /**
   * Records that briefings were removed from these users' databases, one entry per briefing
   * removed (resolves once durable).
   */
  request(users: readonly string[]): Promise<void>;
  /** Records that returns were deleted from this person's returns database. */
  requestReturns(user: string): Promise<void>;
};

export function createCompactionRequests(deps: {
  couch: CouchClient;
  now?: () => number;
}): CompactionRequests {
  const now = deps.now ?? Date.now;

  async function requestOne(
    user: string,
    removed: number,
    kind: 'briefings' | 'returns' = 'briefings',
  ): Promise<void> {
    const db = userDbNames(user)[kind];
    const id = markerId(db);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const at = now();
      const existing = await deps.couch.getDoc(CONTROL_DB, id);
      const previous = existing ? toMarker(existing) : null;
      try {
        await deps.couch.putDoc(CONTROL_DB, {
          _id: id,
          ...(existing?._rev ? { _rev: existing._rev } : {}),
          db,
          user,
          firstAt: previous?.firstAt ?? at,
          lastAt: at,
          requests: (previous?.requests ?? 0) + removed,
        });
        return;
      } catch (error) {
        // Another worker asked for the same database meanwhile: read it again.
        if (!(error instanceof CouchError && error.code === 'conflict')) throw error;
      }
    }
    throw new Error(`Could not record the compaction wanted for ${db}.`);
  }

  return {
    async request(users) {
      const removed = new Map<string, number>();
      for (const user of users) removed.set(user, (removed.get(user) ?? 0) + 1);
      for (const [user, count] of removed) await requestOne(user, count);
    },
    requestReturns: (user) => requestOne(user, 1, 'returns'),
  };
}

export type CompactorDeps = CompactionPolicy & {
  readonly couch: CouchClient;
  readonly lease: Lease;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  /** Least time between the starts of two compactions, over all users. */
  readonly minIntervalMs: number;
  /** How often the markers are read. */
  readonly intervalMs: number;
  /** Milliseconds since the epoch (marker times are wall-clock, shared by instances). */
  readonly now?: () => number;
};

export type Compactor = {
  start(): void;
  stop(): Promise<void>;
  /** One pass: compacts every database due (while holding the lease); returns how many. */
  runOnce(): Promise<number>;
};

export function createCompactor(deps: CompactorDeps): Compactor {
  const now = deps.now ?? Date.now;
  let running = false;
  let stopping = false;
  let loop: Promise<void> | null = null;
  const sleeper = createSleeper();
  let lastStart = -Infinity;
  /** Databases whose compaction failed: tried again after a back-off, others go first. */
  const failing = new Map<string, { failures: number; retryAt: number }>();

  async function compactOne(marker: CompactionMarker): Promise<void> {
    const started = performance.now();
    try {
      await deps.couch.compact(marker.db);
    } catch (error) {
      // A database that is not there holds nothing to remove.
      if (!(error instanceof CouchError && error.code === 'not_found')) throw error;
    }
    const seconds = (performance.now() - started) / 1000;
    deps.metrics.compaction('done', seconds);
    deps.audit.record({
      action: 'fanout.compacted',
      user: marker.user,
      decision: 'allowed',
      reason: 'unshared content removed from the database files',
      db: marker.db,
      unshares: marker.requests,
      seconds: Math.round(seconds * 1000) / 1000,
    });
    try {
      await deps.couch.deleteDoc(CONTROL_DB, markerId(marker.db), marker.rev);
    } catch (error) {
      // Updated by an unshare during the compaction: it stays, and is due again later.
      const stays = error instanceof CouchError && ['conflict', 'not_found'].includes(error.code);
      if (!stays) throw error;
    }
  }

  async function runOnce(): Promise<number> {
    if (!deps.lease.isHeld()) return 0;
    const markers = (await deps.couch.docsWithPrefix(CONTROL_DB, MARKER_PREFIX, MARKERS_PER_PASS))
      .map(toMarker)
      .filter((m): m is CompactionMarker => m !== null);
    const at = now();
    const due = dueCompactions(markers, at, deps).filter(
      (m) => (failing.get(m.db)?.retryAt ?? 0) <= at,
    );
    let done = 0;
    for (const marker of due) {
      const wait = lastStart + deps.minIntervalMs - performance.now();
      if (wait > 0) await sleeper.sleep(wait);
      if (stopping || !deps.lease.isHeld()) break;
      lastStart = performance.now();
      try {
        await compactOne(marker);
        failing.delete(marker.db);
        done += 1;
      } catch (error) {
        deps.metrics.compaction('failed');
        const failures = (failing.get(marker.db)?.failures ?? 0) + 1;
        const retryInMs = backoffDelayMs(failures, { baseDelayMs: 5_000, maxDelayMs: 3_600_000 });
        failing.set(marker.db, { failures, retryAt: now() + retryInMs });
        log.warn(
          { db: marker.db, failures, retryInMs, err: describeError(error) },
          'compacting a briefings database after unshares failed',
        );
      }
    }
    deps.metrics.compactionsPending(markers.length - done);
    return done;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (running) {
      let delay = deps.intervalMs;
      try {
        await runOnce();
        if (failures > 0) log.info({ failures }, 'compaction requests readable again');
        failures = 0;
      } catch (error) {
        failures += 1;
        delay = backoffDelayMs(failures, { baseDelayMs: deps.intervalMs, maxDelayMs: 60_000 });
        const details = { err: describeError(error), failures, retryInMs: delay };
        if (failures === 1) log.warn(details, 'reading compaction requests failed; backing off');
        else if (failures % 10 === 0) log.warn(details, 'reading compaction requests still fails');
      }
      if (running) await sleeper.sleep(delay);
    }
  }

  return {
    runOnce,
    start() {
      if (running) return;
      running = true;
      stopping = false;
      loop = run();
    },
    async stop() {
      running = false;
      stopping = true;
      sleeper.wake();
      await loop;
      loop = null;
    },
  };
}
