// The returns integrator: reads every user's returns database (read receipts, and whatever
// return types the device may write) through `_changes`, and writes each return to the SOR.
//
// Nothing is taken on trust: a return goes to the SOR only when it has the exact shape of its
// type (the same rules as the database's validation, for documents that did not pass it: the
// service's own, or written under an older release) and when the SOR says its briefing was
// shared with its author when it was written (share-check.ts). A refused return is audited,
// counted, and passed over: the checkpoint moves on, so nothing is retried forever.
//
// Exactly once in effect: each return goes to the SOR with an idempotency key derived from the
// user and the return document's id, and the database's checkpoint moves only after the SOR
// stored it. A crash between the two sends the same return again, which the SOR recognises as a
// duplicate. Checkpoints live in the control database (not in the user's own database, where the
// user's device could move them). Only the holder of the "returns" lease works, so several
// instances do not send everything several times.
//
// Driven by activity, not by the number of people: it follows CouchDB's `_db_updates` feed (the
// embedded server answers it too, db-updates.ts) and reads only the returns databases written
// since. Every database is read once when it starts (or takes the lease), after any failure
// (the feed may have moved on without it, or the embedded server restarted and no longer knows
// its position), and every `sweepIntervalMs` in case an update was missed; the feed's position is
// taken before such a pass, so a write during it is read again, which sends nothing twice.
import pMap from 'p-map';
import type { ReturnType } from '../../../src/shared/briefing.js';
import type { AuditLog } from '../audit/types.js';
import type { CouchClient, CouchDoc } from '../couch/types.js';
import { CONTROL_DB } from '../couch/control-db.js';
import { CouchError } from '../couch/types.js';
import { createLogger, describeError } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Lease } from '../lease/lease.js';
import { backoffDelayMs } from '../timing/backoff.js';
import { createSleeper } from '../timing/sleeper.js';
import type { SorAdapter, SorShareHistory } from '../sor/types.js';
import { SorRecordError } from '../sor/types.js';
import { RETURN_SHAPES } from './shapes/return-shapes.js';
import { returnProblem } from './shapes/returns-validate.js';
import { judgeShare } from './share-check.js';
import type { ReturnsWithdrawals } from './withdrawals.js';
import { removeWithdrawnReturns } from './withdrawals.js';
import { returnsDbsOf } from './returns-dbs.js';

const log = createLogger('returns');

const DEFAULT_SWEEP_INTERVAL_MS = 15 * 60_000;
const DEFAULT_FEED_WAIT_MS = 25_000;
/** Databases named per read of `_db_updates`. */
const FEED_LIMIT = 1_000;

/** The idempotency key of a return: scoped to its author, so that ids never collide across users. */
export function returnIdempotencyKey(userId: string, docId: string): string {
  return `${userId}:${docId}`;
}

export type { ReturnsCheckpoints } from './checkpoints.js';
export { createCouchCheckpoints } from './checkpoints.js';
import type { ReturnsCheckpoints } from './checkpoints.js';

export type ReturnsIntegratorDeps = {
  readonly couch: CouchClient;
  readonly sor: SorAdapter;
  readonly lease: Lease;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly checkpoints: ReturnsCheckpoints;
  /** How long it waits before looking again while another instance holds the lease. */
  readonly intervalMs: number;
  /** How often it reads every returns database even without an update (default 15 minutes). */
  readonly sweepIntervalMs?: number;
  /** How long one long poll of `_db_updates` waits for an update (default 25 s). */
  readonly feedWaitMs?: number;
  /**
   * Briefings withdrawn from people (withdrawals.ts): their returns are deleted once the SOR has
   * them, and `compactReturns` asked for, so nothing quoting them stays on the server's disk.
   */
  readonly withdrawals?: ReturnsWithdrawals;
  readonly compactReturns?: (userId: string) => Promise<void>;
  readonly maxBackoffMs: number;
  /** Changes read per request. */
  readonly pageSize?: number;
  /** Returns databases worked on in parallel. */
  readonly concurrency?: number;
  /** How far a device's clock may be off (see share-check.ts). */
  readonly clockSkewMs: number;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
};

export type ReturnsIntegrator = {
  start(): void;
  stop(): Promise<void>;
  /** One pass over every returns database (when holding the lease); returns how many were sent. */
  runOnce(): Promise<number>;
  /** Passes over every returns database so far (the start's, failures', sweeps'). */
  sweeps(): number;
};

function payloadOf(doc: CouchDoc): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (!key.startsWith('_')) payload[key] = value;
  }
  return payload;
}

export function createReturnsIntegrator(deps: ReturnsIntegratorDeps): ReturnsIntegrator {
  const pageSize = deps.pageSize ?? 200;
  const now = deps.now ?? Date.now;
  const sweepIntervalMs = deps.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  const feedWaitMs = deps.feedWaitMs ?? DEFAULT_FEED_WAIT_MS;
  let running = false;
  let loop: Promise<void> | null = null;
  let stopping = new AbortController();
  let sweeps = 0;
  const sleeper = createSleeper();

  function refuse(
    db: string,
    userId: string,
    doc: CouchDoc,
    reason: 'invalid' | 'no_briefing' | 'not_shared' | 'sor_refused',
    detail: string,
  ): false {
    deps.metrics.returnsProcessed('rejected');
    deps.metrics.returnsRefused('integrator', reason);
    deps.audit.record({
      action: 'returns.rejected',
      user: userId,
      decision: 'refused',
      reason: detail,
      refusal: reason,
      docId: doc._id,
    });
    log.warn({ db, docId: doc._id, refusal: reason, detail }, 'return not sent to the SOR');
    return false;
  }

  /** Share histories read during one pass over one database, by briefing. */
  type Histories = Map<string, Promise<SorShareHistory | null>>;

  async function sendOne(
    db: string,
    userId: string,
    doc: CouchDoc,
    histories: Histories,
  ): Promise<boolean> {
    const problem = returnProblem(doc, userId);
    if (problem) return refuse(db, userId, doc, 'invalid', problem);
    const type = doc['type'] as ReturnType;
    const sorId = doc['sorId'] as string;
    let history = histories.get(sorId);
    if (!history) {
      history = deps.sor.fetchShareHistory(sorId, userId);
      histories.set(sorId, history);
    }
    let verdict;
    try {
      verdict = judgeShare({
        history: await history,
        sorId,
        userId,
        claimedAt: doc[RETURN_SHAPES[type].writtenAt],
        seenAt: now(),
        skewMs: deps.clockSkewMs,
      });
    } catch (error) {
      // The SOR cannot answer now (retried with the whole pass) or answered something unusable
      // (refused, like a return the SOR itself refuses).
      if (!(error instanceof SorRecordError)) {
        histories.delete(sorId);
        throw error;
      }
      return refuse(db, userId, doc, 'sor_refused', error.message);
    }
    if (!verdict.ok) return refuse(db, userId, doc, verdict.reason, verdict.detail);
    try {
      const outcome = await deps.sor.writeReturn({
        idempotencyKey: returnIdempotencyKey(userId, doc._id),
        userId,
        type,
        sorId,
        payload: payloadOf(doc),
      });
      deps.metrics.returnsProcessed(outcome);
      deps.audit.record({
        action: 'returns.write',
        user: userId,
        decision: 'allowed',
        reason: outcome,
        type,
        sorId,
        docId: doc._id,
        timeJudged: verdict.basis,
      });
      return outcome === 'stored';
    } catch (error) {
      if (!(error instanceof SorRecordError)) throw error;
      // The SOR refuses this return for good; it stays in the user's database, audited.
      return refuse(db, userId, doc, 'sor_refused', error.message);
    }
  }

  async function processDb(db: string, userId: string): Promise<number> {
    let saved = (await deps.checkpoints.read(db)) ?? '0';
    let since = saved;
    let sent = 0;
    const histories: Histories = new Map();
    const checkpoint = async () => {
      if (since === saved) return;
      await deps.checkpoints.save(db, since);
      saved = since;
    };
    try {
      for (;;) {
        let page;
        try {
          page = await deps.couch.changes(db, { since, limit: pageSize, includeDocs: true });
        } catch (error) {
          if (error instanceof CouchError && error.code === 'not_found') return sent;
          throw error;
        }
        for (const change of page.results) {
          const doc = change.doc;
          if (doc && !change.deleted && !doc._id.startsWith('_design/')) {
            if (await sendOne(db, userId, doc, histories)) sent += 1;
          }
          since = String(change.seq);
        }
        since = page.lastSeq;
        // After the SOR has every return of the page, never before.
        await checkpoint();
        if (page.results.length < pageSize) break;
      }
    } catch (error) {
      // Keep the progress made before the failure (best effort: a return sent again is only
      // recognised as a duplicate).
      await checkpoint().catch(() => undefined);
      throw error;
    }
    await withdraw(db, userId, since, histories);
    return sent;
  }

  /** Deletes the returns of briefings withdrawn from this person once the SOR has them. */
  async function withdraw(
    db: string,
    userId: string,
    readUpTo: string,
    histories: Histories,
  ): Promise<void> {
    if (!deps.withdrawals) return;
    const removed = await removeWithdrawnReturns({
      couch: deps.couch,
      withdrawals: deps.withdrawals,
      db,
      pageSize,
      readUpTo,
      historyOf: (sorId) => {
        let history = histories.get(sorId);
        if (!history) {
          history = deps.sor.fetchShareHistory(sorId, userId);
          histories.set(sorId, history);
        }
        return history;
      },
    });
    if (removed.count === 0) return;
    await deps.compactReturns?.(userId);
    deps.audit.record({
      action: 'returns.withdrawn',
      user: userId,
      decision: 'allowed',
      reason: 'briefing no longer shared',
      count: removed.count,
      sorIds: removed.sorIds,
    });
    log.info({ db, count: removed.count }, 'removed the returns of unshared briefings');
  }

  /** Sends what these databases hold beyond their checkpoints; returns how many were sent. */
  async function processDbs(dbs: readonly { db: string; userId: string }[]): Promise<number> {
    let sent = 0;
    const errors: unknown[] = [];
    await pMap(
      dbs,
      async ({ db, userId }) => {
        try {
          const count = await processDb(db, userId);
          sent += count; // not `sent += await ...`: that reads `sent` before the await
        } catch (error) {
          errors.push(error);
        }
      },
      { concurrency: Math.max(1, deps.concurrency ?? 4) },
    );
    // Other users' returns went on; the first failure reports (and backs off) for all.
    if (errors.length > 0) {
      throw errors[0] instanceof Error ? errors[0] : new Error(String(errors[0]));
    }
    return sent;
  }

  async function runOnce(): Promise<number> {
    if (!deps.lease.isHeld()) return 0;
    sweeps += 1;
    return processDbs(returnsDbsOf(await deps.couch.allDbs()));
  }

  /**
   * One step: a pass over every database when `position` is null or a sweep is due, else what the
   * feed names after `position`. Returns the feed's position after it and how many were sent.
   */
  async function step(
    position: string | null,
    lastSweep: number,
  ): Promise<{ position: string; sent: number; swept: boolean }> {
    if (position === null || now() - lastSweep >= sweepIntervalMs) {
      // Taken before the pass: whatever is written during it is named by the feed after it.
      const { lastSeq } = await deps.couch.dbUpdates({ since: 'now', limit: 1, waitMs: 0 });
      return { position: lastSeq, sent: await runOnce(), swept: true };
    }
    const { dbNames, lastSeq } = await deps.couch.dbUpdates({
      since: position,
      limit: FEED_LIMIT,
      waitMs: Math.min(feedWaitMs, Math.max(0, lastSweep + sweepIntervalMs - now())),
      signal: stopping.signal,
    });
    if (!running) return { position, sent: 0, swept: false };
    const names = new Set(dbNames);
    // The fan-out records a withdrawal in the control database: the returns databases it names
    // are read now, though nobody wrote to them.
    if (deps.withdrawals && names.has(CONTROL_DB)) {
      for (const db of await deps.withdrawals.pending(FEED_LIMIT)) names.add(db);
    }
    return { position: lastSeq, sent: await processDbs(returnsDbsOf([...names])), swept: false };
  }

  async function run(): Promise<void> {
    let failures = 0;
    // Where the feed was read to; null: every database must be read (again).
    let position: string | null = null;
    let lastSweep = 0;
    while (running) {
      let delay = 0;
      if (!deps.lease.isHeld()) {
        // Whoever held the lease meanwhile moved the checkpoints: read everything on return.
        position = null;
        delay = deps.intervalMs;
      } else {
        try {
          const next = await step(position, lastSweep);
          position = next.position;
          if (next.swept) lastSweep = now();
          if (failures > 0) log.info({ failures }, 'returns flow to the SOR again');
          failures = 0;
          if (next.sent > 0) log.debug({ sent: next.sent }, 'returns sent to the SOR');
        } catch (error) {
          if (!running) break;
          position = null;
          failures += 1;
          delay = backoffDelayMs(failures, {
            baseDelayMs: deps.intervalMs,
            maxDelayMs: deps.maxBackoffMs,
          });
          const details = { err: describeError(error), failures, retryInMs: delay };
          if (failures === 1) log.warn(details, 'sending returns failed; backing off');
          else if (failures % 10 === 0) log.warn(details, 'sending returns is still failing');
        }
      }
      if (running && delay > 0) await sleeper.sleep(delay);
    }
  }

  return {
    runOnce,
    sweeps: () => sweeps,
    start() {
      if (running) return;
      running = true;
      stopping = new AbortController();
      loop = run();
    },
    async stop() {
      running = false;
      stopping.abort();
      sleeper.wake();
      await loop;
      loop = null;
    },
  };
}
