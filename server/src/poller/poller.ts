// The poller: reads SOR changes after its durable cursor and puts them on the queue, at least
// once. Only the holder of the poller lease polls, however many instances run; the cursor lives
// in the lease document, so it is where every instance can see it, and moving it is a
// compare-and-swap that fails for an instance that lost the lease.
//
// Order per page: read the page, enqueue it (resolves once durable), then move the cursor. A
// crash in between replays the page; the fan-out is idempotent, so a replay changes nothing.
// While the SOR (or the queue) fails, it backs off exponentially (capped) and says so: once per
// outage at warn level, every tenth failure again, and once when it recovers.
// Between polls it waits on the SOR's "something changed" (waitForChanges) when the SOR has one,
// so a share is read at once instead of at the next interval; the interval stays the fallback.
import type { FanoutEvent } from '../fanout/types.js';
import { createLogger, describeError } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { backoffDelayMs } from '../timing/backoff.js';
import { createSleeper } from '../timing/sleeper.js';
import type { EnqueueItem, Queue } from '../queue/types.js';
import type { SorAdapter, SorChangePage } from '../sor/types.js';
import type { Lease } from '../lease/lease.js';
import { LeaseLostError } from '../lease/lease.js';
import type { Poller } from './types.js';

const log = createLogger('poller');

/** Field of the lease data holding the SOR cursor. */
export const CURSOR_FIELD = 'sorCursor';

export type PollerDeps = {
  readonly sor: SorAdapter;
  readonly queue: Queue<FanoutEvent>;
  readonly lease: Lease;
  readonly metrics: Metrics;
  readonly intervalMs: number;
  readonly batchSize: number;
  readonly maxBackoffMs: number;
  /** Called after events were queued (wakes a fan-out in this process). */
  readonly onEnqueued?: () => void;
  /**
   * Stop reading the SOR while this many events are ready on the queue (default: no limit). The
   * SOR keeps everything not yet read, so holding back loses nothing, and a bounded backlog keeps
   * the queue (RabbitMQ quorum queues especially) in memory instead of paging to disk. A soft
   * limit: a page may take the backlog past it, by less than batchSize (plus retries due).
   */
  readonly maxQueued?: number;
};

export function eventsOf(page: SorChangePage): EnqueueItem<FanoutEvent>[] {
  const items: EnqueueItem<FanoutEvent>[] = page.changes.map((change) => ({
    payload: {
      kind: change.kind,
      sorId: change.sorId,
      recipient: change.recipient,
      version: change.version,
      approvedAt: change.approvedAt,
      seq: change.seq,
    },
    // Events for one (document, recipient) may coalesce while waiting: the fan-out reconciles
    // with the SOR's current state, so only the latest one matters.
    dedupeKey: JSON.stringify([change.sorId, change.recipient]),
  }));
  // Unreadable entries travel too, so that they end in the dead-letter queue with the reason
  // instead of vanishing with the page.
  for (const bad of page.malformed ?? []) {
    items.push({ payload: { kind: 'malformed', reason: bad.reason, record: bad.record } });
  }
  return items;
}

function readCursor(lease: Lease): string | null {
  const value = lease.data()[CURSOR_FIELD];
  return typeof value === 'string' ? value : null;
}

export function createPoller(deps: PollerDeps): Poller {
  let running = false;
  let loop: Promise<void> | null = null;
  const sleeper = createSleeper();

  // Events this poller may still queue before it must ask the queue how many are ready. Between
  // two looks, the ready count grows only by what this poller (the lease holder) queues, plus
  // retries coming due, so after seeing `ready` it can add `maxQueued - ready` without asking
  // again. Asking on every poll cost RabbitMQ a channel and a declare per queue each time.
  let headroom = 0;
  // The cursor as this poller left it. Any other value means another instance held the lease and
  // polled meanwhile (the lease can be lost and taken back between two polls, unseen here): it
  // may have filled the queue, so the room seen before is forgotten.
  let ownCursor: string | null | undefined;
  /** The last poll stopped because the queue was full, not because the SOR had nothing new. */
  let queueFull = false;

  async function pollOnce(): Promise<number> {
    if (!deps.lease.isHeld()) {
      headroom = 0;
      return 0;
    }
    const cursor = readCursor(deps.lease);
    if (cursor !== ownCursor) headroom = 0;
    queueFull = false;
    if (deps.maxQueued !== undefined && headroom <= 0) {
      const { ready } = await deps.queue.depth();
      if (ready >= deps.maxQueued) {
        queueFull = true;
        return 0; // the fan-out is behind: let it catch up first
      }
      headroom = deps.maxQueued - ready;
    }
    const page = await deps.sor.listChanges(cursor, deps.batchSize);
    const items = eventsOf(page);
    if (items.length > 0) {
      headroom -= items.length; // before enqueueing: a failed enqueue may have queued some
      await deps.queue.enqueue(items);
      deps.metrics.sorChangesQueued(items.length);
    }
    if (page.nextCursor !== cursor) {
      await deps.lease.update({ [CURSOR_FIELD]: page.nextCursor });
      log.debug({ count: items.length, cursor: page.nextCursor }, 'queued SOR changes');
    }
    ownCursor = page.nextCursor;
    if (items.length > 0) deps.onEnqueued?.();
    return items.length;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (running) {
      let delay = deps.intervalMs;
      try {
        if (!deps.lease.isHeld()) {
          headroom = 0;
          // The lease renews in the background; look again soon.
          if (running) await sleeper.sleep(Math.min(deps.intervalMs, 1_000));
          continue;
        }
        const count = await pollOnce();
        if (failures > 0) log.info({ failures }, 'SOR and queue reachable again; polling resumed');
        failures = 0;
        if (count >= deps.batchSize) delay = 0; // more is waiting
      } catch (error) {
        if (error instanceof LeaseLostError) {
          headroom = 0;
          log.warn('another instance took the poller lease; this one stops polling');
          continue;
        }
        failures += 1;
        deps.metrics.pollerFailed();
        delay = backoffDelayMs(failures, {
          baseDelayMs: deps.intervalMs,
          maxDelayMs: deps.maxBackoffMs,
        });
        const details = { err: describeError(error), failures, retryInMs: delay };
        if (failures === 1) log.warn(details, 'polling failed; backing off');
        else if (failures % 10 === 0) log.warn(details, 'polling is still failing');
        else log.debug(details, 'polling failed again');
      }
      // While the queue is full the SOR's "something changed" is true and says nothing new:
      // listening to it would wake the poller straight back into another look at the queue.
      if (running && delay > 0) await idle(delay, failures === 0 && !queueFull);
    }
  }

  /** Sleeps `ms`, or less when the SOR says something changed meanwhile. */
  async function idle(ms: number, listen: boolean): Promise<void> {
    const wait = deps.sor.waitForChanges?.bind(deps.sor);
    if (!listen || !wait || !deps.lease.isHeld()) {
      await sleeper.sleep(ms);
      return;
    }
    const abort = new AbortController();
    let over = false;
    const slept = sleeper.sleep(ms);
    wait(readCursor(deps.lease), ms, abort.signal).then(
      (changed) => {
        if (changed && !over) sleeper.wake();
      },
      (error: unknown) => {
        // Polling on the interval covers it; the next idle period listens again.
        if (!over) log.debug({ err: describeError(error) }, 'waiting for SOR changes failed');
      },
    );
    await slept;
    over = true;
    abort.abort();
  }

  return {
    pollOnce,
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      sleeper.wake();
      await loop;
      loop = null;
    },
  };
}
