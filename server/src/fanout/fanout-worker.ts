// The fan-out worker: claims batches of share/unshare events and reconciles each recipient's
// briefings database with the SOR's current truth (batch-reconciler.ts). It never trusts an
// event's kind alone (events may be replayed, reordered or coalesced): it asks the SOR whether
// the document is shared with that recipient right now, and writes or deletes accordingly.
// Events are acked only after the CouchDB write returned; several workers (in this process or
// others) may run on one queue. A recipient whose briefing was removed gets a compaction of their
// database requested (compactions.ts) before the event is acked, so the content also leaves the
// disk.
import type { AuditLog } from '../audit/types.js';
import type { CouchClient } from '../couch/types.js';
import { createLogger, describeError } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Queue, QueueMessage } from '../queue/types.js';
import { backoffDelayMs } from '../timing/backoff.js';
import { createSleeper } from '../timing/sleeper.js';
import type { Classification } from '../../../src/shared/briefing.js';
import type { SorAdapter, SorDeliveryNotices } from '../sor/types.js';
import { SorUnavailableError } from '../sor/types.js';
import {
  PermanentFailure,
  createRevisionCache,
  pairKey,
  reconcilePairs,
} from './batch-reconciler.js';
import type { Effect, Pair, PairResult } from './batch-reconciler.js';
import type { CompactionRequests } from './compactions.js';
import { fanoutEventSchema } from './types.js';
import type { Fanout, FanoutEvent, FanoutOutcome, ShareEvent } from './types.js';
import { userIdProblem } from '../user-dbs/user-dbs.js';
import type { UserDbs } from '../user-dbs/user-dbs.js';
import type { ReturnsWithdrawals } from '../returns/withdrawals.js';

const log = createLogger('fanout');

export type FanoutDeps = {
  readonly queue: Queue<FanoutEvent>;
  readonly sor: SorAdapter;
  readonly couch: CouchClient;
  readonly userDbs: UserDbs;
  readonly metrics: Metrics;
  readonly audit: AuditLog;
  /** User databases written in parallel. */
  readonly concurrency: number;
  /** Events claimed at once. */
  readonly batchSize: number;
  /**
   * Batches in flight at once (default 2): while one waits for CouchDB, the next is read from
   * the SOR and transformed, so the worker's CPU and CouchDB's work overlap.
   */
  readonly parallelBatches?: number;
  readonly idleMs: number;
  readonly now?: () => number;
  /** The organisation-wide ceiling and where the SOR hears what was withheld. */
  readonly ceiling?: { readonly highest: Classification; readonly notices: SorDeliveryNotices };
  /** Where removals ask for their recipient's database to be compacted; none: not asked. */
  readonly compactions?: CompactionRequests;
  /** Where the briefings removed from people are recorded, so their returns follow them. */
  readonly withdrawals?: ReturnsWithdrawals;
};

type Parsed =
  | { readonly message: QueueMessage<FanoutEvent>; readonly event: ShareEvent }
  | { readonly message: QueueMessage<FanoutEvent>; readonly failure: PermanentFailure };

/** Checks one message; anything that can never be processed becomes a PermanentFailure. */
export function parseMessage(message: QueueMessage<FanoutEvent>): Parsed {
  const parsed = fanoutEventSchema.safeParse(message.payload);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`)
      .join('; ');
    return { message, failure: new PermanentFailure(`Event is malformed: ${problems}`) };
  }
  const event = parsed.data;
  if (event.kind === 'malformed') return { message, failure: new PermanentFailure(event.reason) };
  const problem = userIdProblem(event.recipient);
  if (problem) {
    return {
      message,
      failure: new PermanentFailure(
        `Recipient ${JSON.stringify(event.recipient)} of ${event.sorId} is not a valid user id: it ${problem}.`,
      ),
    };
  }
  return { message, event };
}

export function createFanout(deps: FanoutDeps): Fanout {
  const now = deps.now ?? Date.now;
  const revisions = createRevisionCache();
  let running = false;
  let loop: Promise<void> | null = null;
  // A wake-up that came while no loop slept skips the next sleep: work announced between two
  // sleeps must not wait out a whole idle interval.
  const sleeper = createSleeper({ latch: true });
  let sorDown = false;
  let sorProbe: Promise<void> | null = null;
  const wakeAll = () => sleeper.wake();

  async function fail(message: QueueMessage<FanoutEvent>, error: unknown): Promise<void> {
    const permanent = error instanceof PermanentFailure;
    const reason = describeError(error).message;
    const payload = message.payload as Partial<ShareEvent>;
    const context = { messageId: message.id, sorId: payload.sorId, attempt: message.attempts };
    const result = await deps.queue.nack(message.id, message.leaseToken, { reason, permanent });
    if (result === 'dead-lettered') {
      deps.metrics.fanoutFailed('dead_letter');
      deps.audit.record({
        action: 'fanout.dead_letter',
        user: typeof payload.recipient === 'string' ? payload.recipient : null,
        decision: 'refused',
        reason,
        sorId: payload.sorId ?? null,
        messageId: message.id,
      });
      log.error({ ...context, reason }, 'event dead-lettered');
    } else {
      deps.metrics.fanoutFailed('retry');
      log.warn({ ...context, reason, result }, 'event failed; will retry');
    }
  }

  function auditEffect(effect: Effect, how: 'written' | 'confirmed'): void {
    deps.audit.record({
      action: effect.outcome === 'written' ? 'fanout.share' : 'fanout.unshare',
      user: effect.pair.recipient,
      decision: 'allowed',
      // 'confirmed': a redelivered event found its effect already in place. The delivery that
      // made it may have died before recording it, so it is recorded now (at least once).
      reason: how === 'written' ? effect.outcome : `${effect.outcome} (confirmed on redelivery)`,
      sorId: effect.pair.sorId,
      ...(effect.version ? { version: effect.version } : {}),
    });
  }

  function account(group: readonly Parsed[], result: PairResult, latest: ShareEvent): void {
    if (!result.ok) return;
    const redelivered = group.some((item) => item.message.attempts > 1);
    if (redelivered && (result.outcome === 'unchanged' || result.outcome === 'absent')) {
      const pair = { sorId: latest.sorId, recipient: latest.recipient };
      auditEffect(
        {
          pair,
          outcome: result.outcome === 'unchanged' ? 'written' : 'deleted',
          ...(result.version ? { version: result.version } : {}),
        },
        'confirmed',
      );
    }
    // The first event of a pair carries the effect; duplicates in the same batch were no-ops.
    const repeat: FanoutOutcome =
      result.outcome === 'deleted' || result.outcome === 'absent' ? 'absent' : 'unchanged';
    deps.metrics.fanoutProcessed(result.outcome);
    if (group.length > 1) deps.metrics.fanoutProcessed(repeat, group.length - 1);
    if (result.outcome === 'written' && latest.kind === 'share') {
      const approved = Date.parse(latest.approvedAt);
      if (Number.isFinite(approved)) deps.metrics.approvalLag((now() - approved) / 1000);
    }
  }

  /**
   * Asks for the compaction of every database a briefing was removed from: by this delivery, or
   * by an earlier one of the same events that died before its request was recorded (found
   * absent now). Until the request is durable the events are not acked (retried instead).
   */
  async function requestCompactions(
    groups: ReadonlyMap<string, { pair: Pair; items: Parsed[] }>,
    results: Map<string, PairResult>,
  ): Promise<void> {
    if (!deps.compactions) return;
    const removed = [...groups].filter(([key, group]) => {
      const result = results.get(key);
      if (!result?.ok) return false;
      const redelivered = group.items.some((item) => item.message.attempts > 1);
      return result.outcome === 'deleted' || (result.outcome === 'absent' && redelivered);
    });
    if (removed.length === 0) return;
    try {
      await deps.compactions.request(removed.map(([, group]) => group.pair.recipient));
      await deps.withdrawals?.record(removed.map(([, group]) => group.pair));
    } catch (error) {
      for (const [key] of removed) results.set(key, { ok: false, error });
    }
  }

  async function processBatch(messages: readonly QueueMessage<FanoutEvent>[]): Promise<void> {
    const groups = new Map<string, { pair: Pair; items: Parsed[]; latest: ShareEvent }>();
    const failures: { message: QueueMessage<FanoutEvent>; error: unknown }[] = [];
    for (const message of messages) {
      const parsed = parseMessage(message);
      if ('failure' in parsed) {
        failures.push({ message, error: parsed.failure });
        continue;
      }
      const pair = { sorId: parsed.event.sorId, recipient: parsed.event.recipient };
      const key = pairKey(pair);
      const group = groups.get(key);
      if (!group) groups.set(key, { pair, items: [parsed], latest: parsed.event });
      else {
        group.items.push(parsed);
        if (parsed.event.seq > group.latest.seq) group.latest = parsed.event;
      }
    }

    let results = new Map<string, PairResult>();
    if (groups.size > 0) {
      try {
        const outcome = await reconcilePairs(
          {
            ...deps,
            revisions,
            onEffect: (effect) => auditEffect(effect, 'written'),
            ...(deps.ceiling
              ? {
                  ceiling: {
                    ...deps.ceiling,
                    onWithheld: (withheld) => {
                      deps.audit.record({
                        action: 'fanout.withheld',
                        user: withheld.pair.recipient,
                        decision: 'refused',
                        reason: withheld.reason,
                        sorId: withheld.pair.sorId,
                        version: withheld.version,
                      });
                      log.warn(
                        { sorId: withheld.pair.sorId, classification: withheld.classification },
                        'withheld a briefing above the classification ceiling',
                      );
                    },
                  },
                }
              : {}),
          },
          [...groups.values()].map((g) => g.pair),
        );
        results = outcome.results;
      } catch (error) {
        for (const group of groups.values()) {
          results.set(pairKey(group.pair), { ok: false, error });
        }
      }
    }

    await requestCompactions(groups, results);

    const acks: QueueMessage<FanoutEvent>[] = [];
    for (const [key, group] of groups) {
      const result = results.get(key) ?? { ok: false, error: new Error('not processed') };
      if (result.ok) {
        acks.push(...group.items.map((item) => item.message));
        account(group.items, result, group.latest);
      } else {
        for (const item of group.items)
          failures.push({ message: item.message, error: result.error });
      }
    }
    const acked = await deps.queue.ackMany(acks);
    const lost = acked.filter((a) => a === 'lease-lost').length;
    if (lost > 0) {
      log.warn(
        { lost },
        'leases expired before the ack; another delivery will repeat this (idempotent) work',
      );
    }
    if (failures.some((f) => f.error instanceof SorUnavailableError)) sorDown = true;
    for (const { message, error } of failures) {
      await fail(message, error).catch((queueError: unknown) => {
        // The queue itself failed: the lease will expire and the event be redelivered.
        log.error({ messageId: message.id, err: describeError(queueError) }, 'nack failed');
      });
    }
    log.debug(
      { events: messages.length, pairs: groups.size, failed: failures.length },
      'batch done',
    );
  }

  /**
   * While the SOR is unreachable, claiming more events would only spend their attempts (and
   * end them in the dead-letter queue after a long outage): pause, probe the SOR with backoff,
   * and resume when it answers. The events that failed wait in the queue for their retry.
   */
  async function waitForSor(): Promise<void> {
    if (!sorProbe) {
      sorProbe = (async () => {
        log.warn('the SOR is unreachable; fan-out pauses until it answers');
        for (let attempt = 1; running; attempt += 1) {
          await sleeper.sleep(backoffDelayMs(attempt, { baseDelayMs: 250, maxDelayMs: 15_000 }));
          if (!running || (await deps.sor.ping().catch(() => false))) break;
        }
        if (running) log.info('the SOR answers again; fan-out resumes');
        sorDown = false;
      })().finally(() => {
        sorProbe = null;
      });
    }
    await sorProbe;
  }

  async function run(): Promise<void> {
    while (running) {
      if (sorDown) await waitForSor();
      let messages: QueueMessage<FanoutEvent>[] = [];
      const started = now();
      try {
        messages = await deps.queue.claim({ max: deps.batchSize, waitMs: deps.idleMs });
      } catch (error) {
        log.error({ err: describeError(error) }, 'claiming from the queue failed');
      }
      if (messages.length === 0) {
        // A queue that waited for messages (RabbitMQ) already idled; one that cannot wait did not.
        const waited = now() - started;
        await sleeper.sleep(Math.max(deps.idleMs - waited, 10));
        continue;
      }
      try {
        await processBatch(messages);
      } catch (error) {
        log.error({ err: describeError(error) }, 'batch failed; its events will be redelivered');
      }
    }
  }

  function runAll(): Promise<void> {
    const loops = Array.from({ length: Math.max(1, deps.parallelBatches ?? 2) }, () => run());
    return Promise.all(loops).then(() => undefined);
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = runAll().catch((error: unknown) => {
        log.fatal({ err: describeError(error) }, 'fan-out loop crashed');
      });
    },
    async stop() {
      running = false;
      wakeAll();
      await loop;
      loop = null;
    },
    wake: wakeAll,
  };
}
