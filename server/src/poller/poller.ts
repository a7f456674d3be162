// The poller: reads SOR changes after its durable cursor and puts them on the queue. The cursor
// lives in the queue's own store and moves in the same transaction as the enqueue, so it can
// never run ahead of what is durably queued (a crash in between replays a page; the fan-out is
// idempotent). While the SOR fails, it backs off exponentially (capped) and says so, once per
// outage (and every tenth failure) at warn level, not on every attempt.
import type { FanoutEvent } from '../fanout/types.js';
import { createLogger, describeError } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { backoffDelayMs } from '../queue/backoff.js';
import type { Queue } from '../queue/types.js';
import type { SorAdapter } from '../sor/types.js';
import type { Poller } from './types.js';

const log = createLogger('poller');

export const SOR_CURSOR = 'sor-changes';

export type PollerDeps = {
  readonly sor: SorAdapter;
  readonly queue: Queue<FanoutEvent>;
  readonly metrics: Metrics;
  readonly intervalMs: number;
  readonly batchSize: number;
  readonly maxBackoffMs: number;
  /** Called after events were queued (wakes the fan-out). */
  readonly onEnqueued?: () => void;
};

export function createPoller(deps: PollerDeps): Poller {
  let running = false;
  let loop: Promise<void> | null = null;
  let cancelSleep: (() => void) | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        cancelSleep = null;
        resolve();
      }
      cancelSleep = done;
    });

  async function pollOnce(): Promise<number> {
    const cursor = await deps.queue.readCursor(SOR_CURSOR);
    const page = await deps.sor.listChanges(cursor, deps.batchSize);
    if (page.changes.length === 0) return 0;
    await deps.queue.enqueue(
      page.changes.map((change) => ({
        payload: {
          kind: change.kind,
          sorId: change.sorId,
          recipient: change.recipient,
          version: change.version,
          approvedAt: change.approvedAt,
          seq: change.seq,
        },
        // Events for one (document, recipient) coalesce while waiting: the fan-out reconciles
        // with the SOR's current state, so only the latest one matters.
        dedupeKey: JSON.stringify([change.sorId, change.recipient]),
      })),
      { cursor: { name: SOR_CURSOR, value: page.nextCursor } },
    );
    log.debug({ count: page.changes.length, cursor: page.nextCursor }, 'queued SOR changes');
    deps.onEnqueued?.();
    return page.changes.length;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (running) {
      let delay = deps.intervalMs;
      try {
        const count = await pollOnce();
        if (failures > 0) log.info({ failures }, 'SOR reachable again; polling resumed');
        failures = 0;
        if (count >= deps.batchSize) delay = 0; // more is waiting
      } catch (error) {
        failures += 1;
        deps.metrics.pollerFailed();
        delay = backoffDelayMs(failures, {
          baseDelayMs: deps.intervalMs,
          maxDelayMs: deps.maxBackoffMs,
        });
        const details = { err: describeError(error), failures, retryInMs: delay };
        if (failures === 1) log.warn(details, 'polling the SOR failed; backing off');
        else if (failures % 10 === 0) log.warn(details, 'the SOR is still failing');
        else log.debug(details, 'polling the SOR failed again');
      }
      if (running && delay > 0) await sleep(delay);
    }
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
      cancelSleep?.();
      await loop;
      loop = null;
    },
  };
}
