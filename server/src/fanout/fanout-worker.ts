// The fan-out worker: claims share/unshare events and reconciles each recipient's briefings
// database with the SOR's current truth. It never trusts the event's kind alone (events may be
// replayed, reordered or coalesced): it asks the SOR whether the document is shared with that
// recipient right now, and writes or deletes accordingly. An event is acked only after the
// CouchDB write returned; several workers may run on one queue.
import { briefingDocId } from '../../../src/shared/briefing.js';
import type { CouchClient } from '../couch/types.js';
import { CouchError } from '../couch/types.js';
import { createLogger, describeError } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Queue, QueueMessage } from '../queue/types.js';
import type { SorAdapter } from '../sor/types.js';
import { removeBriefing, upsertBriefing } from './briefing-writer.js';
import { MalformedSorDocumentError, transformSorDocument } from './transform.js';
import { fanoutEventSchema } from './types.js';
import type { Fanout, FanoutEvent, FanoutOutcome } from './types.js';
import { userDbNames, userIdProblem } from './user-dbs.js';
import type { UserDbs } from './user-dbs.js';

const log = createLogger('fanout');

/** A failure no retry can fix: the event goes to the dead-letter queue with this reason. */
class PermanentFailure extends Error {}

export type FanoutDeps = {
  readonly queue: Queue<FanoutEvent>;
  readonly sor: SorAdapter;
  readonly couch: CouchClient;
  readonly userDbs: UserDbs;
  readonly metrics: Metrics;
  readonly concurrency: number;
  readonly idleMs: number;
  readonly now?: () => number;
};

/** Reconciles one event; throws PermanentFailure or a transient error. */
export async function reconcileEvent(
  deps: Pick<FanoutDeps, 'sor' | 'couch' | 'userDbs'>,
  payload: unknown,
): Promise<FanoutOutcome> {
  const parsed = fanoutEventSchema.safeParse(payload);
  if (!parsed.success) {
    throw new PermanentFailure(
      `Event is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const event = parsed.data;
  const problem = userIdProblem(event.recipient);
  if (problem) {
    throw new PermanentFailure(
      `Recipient ${JSON.stringify(event.recipient)} of ${event.sorId} is not a valid user id: it ${problem}.`,
    );
  }
  const document = await deps.sor.fetchDocument(event.sorId);
  if (document && document.recipients.includes(event.recipient)) {
    let briefing;
    try {
      briefing = transformSorDocument(document);
    } catch (error) {
      if (error instanceof MalformedSorDocumentError) throw new PermanentFailure(error.message);
      throw error;
    }
    const names = await deps.userDbs.ensure(event.recipient);
    return upsertBriefing(deps.couch, names.briefings, briefing);
  }
  // Not shared with this recipient (any more), or gone from the SOR: make sure it is not there.
  // The database is not created for this: if it does not exist, there is nothing to remove.
  return removeBriefing(
    deps.couch,
    userDbNames(event.recipient).briefings,
    briefingDocId(event.sorId),
  );
}

function isPermanent(error: unknown): boolean {
  if (error instanceof PermanentFailure) return true;
  // A document CouchDB refuses as too large or invalid will be refused again.
  return (
    error instanceof CouchError && (error.code === 'too_large' || error.code === 'bad_request')
  );
}

export function createFanout(deps: FanoutDeps): Fanout {
  const now = deps.now ?? Date.now;
  let running = false;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  let woken = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken) {
        woken = false;
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });

  async function handle(message: QueueMessage<FanoutEvent>): Promise<void> {
    const event = message.payload;
    const context = {
      messageId: message.id,
      sorId: event.sorId,
      kind: event.kind,
      attempt: message.attempts,
    };
    try {
      const outcome = await reconcileEvent(deps, event);
      const acked = await deps.queue.ack(message.id, message.leaseToken);
      deps.metrics.fanoutProcessed(outcome);
      if (outcome === 'written' && event.kind === 'share') {
        deps.metrics.approvalLag((now() - Date.parse(event.approvedAt)) / 1000);
      }
      if (acked === 'lease-lost') {
        log.warn(
          context,
          'lease expired before the ack; another delivery will repeat this (idempotent) work',
        );
      }
      log.debug({ ...context, outcome }, 'event reconciled');
    } catch (error) {
      const permanent = isPermanent(error);
      const reason = describeError(error).message;
      const result = await deps.queue.nack(message.id, message.leaseToken, { reason, permanent });
      if (result === 'dead-lettered') {
        deps.metrics.fanoutFailed('dead_letter');
        log.error({ ...context, reason }, 'event dead-lettered');
      } else {
        deps.metrics.fanoutFailed('retry');
        log.warn({ ...context, reason, result }, 'event failed; will retry');
      }
    }
  }

  async function run(): Promise<void> {
    while (running) {
      let messages: QueueMessage<FanoutEvent>[] = [];
      try {
        messages = await deps.queue.claim({ max: deps.concurrency });
      } catch (error) {
        log.error({ err: describeError(error) }, 'claiming from the queue failed');
      }
      if (messages.length === 0) {
        await sleep(deps.idleMs);
        continue;
      }
      await Promise.all(
        messages.map((message) =>
          handle(message).catch((error: unknown) => {
            // The queue itself failed (ack/nack): the lease will expire and the event be redelivered.
            log.error({ messageId: message.id, err: describeError(error) }, 'queue update failed');
          }),
        ),
      );
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run().catch((error: unknown) => {
        log.fatal({ err: describeError(error) }, 'fan-out loop crashed');
      });
    },
    async stop() {
      running = false;
      wakeUp?.();
      await loop;
      loop = null;
    },
    wake() {
      if (wakeUp) wakeUp();
      else woken = true;
    },
  };
}
