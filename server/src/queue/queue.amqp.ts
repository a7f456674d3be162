// The queue on RabbitMQ (AMQP 0-9-1 through amqplib), behind the same contract as the SQLite
// queue. The facade over four parts: the names and headers (amqp-headers.ts), the connection,
// topology and confirmed publishing (amqp-link.amqp.ts), the lease table (amqp-leases.amqp.ts)
// and the dead letters (amqp-dead-letters.amqp.ts).
//
// Publishing always waits for publisher confirms (and `mandatory` returns), so an enqueue that
// resolved is on disk on the broker. Consumers ack manually, after the effect is durable.
// A redelivered message was not acked by its last holder: that counts as a failed attempt, which
// we record by republishing it with its attempt count raised (AMQP cannot update a message in
// place), so a message that keeps crashing its workers still ends in the dead-letter queue.
import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { createLogger, describeError } from '../observability/logger.js';
import { createSleeper } from '../timing/sleeper.js';
import {
  H_ATTEMPTS,
  H_ENQUEUED_AT,
  H_LAST_ERROR,
  cut,
  headerNumber,
  queueNames,
  retryStepMs,
  retrySteps,
} from './amqp-headers.js';
import { createDeadLetterBox } from './amqp-dead-letters.amqp.js';
import { createLeaseTable } from './amqp-leases.amqp.js';
import type { Lease } from './amqp-leases.amqp.js';
import { createAmqpLink } from './amqp-link.amqp.js';
import type { Link } from './amqp-link.amqp.js';
import type {
  AckOutcome,
  NackOutcome,
  Queue,
  QueueDepth,
  QueueMessage,
  RetryPolicy,
} from './types.js';

export { retryStepMs, retrySteps } from './amqp-headers.js';

const log = createLogger('queue-amqp');

export type AmqpQueueOptions = {
  /** amqp:// or amqps:// URL with credentials. Never logged. */
  readonly url: string;
  /** Name of the work queue; the other names derive from it. */
  readonly name: string;
  readonly queueType: 'quorum' | 'classic';
  readonly retry: RetryPolicy;
  readonly visibilityMs: number;
  /** Most un-acked deliveries the broker pushes to this consumer (at least the claim size). */
  readonly prefetch: number;
  /** How long an operation waits for a (re)connection before failing (default 10 s). */
  readonly connectWaitMs?: number;
  readonly now?: () => number;
};

export function createAmqpQueue<T>(options: AmqpQueueOptions): Queue<T> {
  const now = options.now ?? Date.now;
  const names = queueNames(options.name);
  const steps = retrySteps(options.retry);

  let consuming = false;
  // Deliveries pushed by the broker and not yet claimed, with the connection they came on.
  const buffer: { message: ConsumeMessage; generation: number }[] = [];
  // Claims waiting for a delivery; woken when one arrives, the connection drops or we close.
  const bufferWaiters = createSleeper();

  const link = createAmqpLink({
    url: options.url,
    names,
    steps,
    queueType: options.queueType,
    prefetch: options.prefetch,
    connectWaitMs: options.connectWaitMs ?? 10_000,
    onOpen: async (current) => {
      if (consuming) await startConsumer(current);
    },
    onDrop: () => {
      // Everything delivered on the old channel is void: the broker redelivers it.
      buffer.length = 0;
      leases.clear();
      bufferWaiters.wake();
    },
  });
  const leases = createLeaseTable(() => link.current());
  const deadLetters = createDeadLetterBox<T>(link, names, now);

  async function startConsumer(current: Link): Promise<void> {
    await current.sub.consume(
      names.work,
      (message) => {
        if (message === null) {
          // The broker cancelled us (queue deleted or a node went away): start over.
          link.drop(current, 'consumer cancelled by the broker');
          return;
        }
        current.unsettled.add(message.fields.deliveryTag);
        buffer.push({ message, generation: current.generation });
        bufferWaiters.wake();
      },
      { noAck: false },
    );
  }

  /** A redelivered message's last holder never acked: record that attempt, then redeliver. */
  async function recountRedelivery(current: Link, message: ConsumeMessage): Promise<void> {
    const headers = message.properties.headers ?? {};
    const attempts = headerNumber(headers[H_ATTEMPTS], 0) + 1;
    if (attempts >= options.retry.maxAttempts) {
      const last = headers[H_LAST_ERROR] ? ` Last error: ${String(headers[H_LAST_ERROR])}` : '';
      await deadLetters.bury(
        current,
        message,
        attempts,
        `Lease expired after ${attempts} deliveries without an ack.${last}`,
      );
    } else {
      await link.publish(current, names.work, '', message.content, {
        messageId: message.properties.messageId as string | undefined,
        headers: { ...headers, [H_ATTEMPTS]: attempts },
      });
    }
    current.sub.ack(message);
    current.unsettled.delete(message.fields.deliveryTag);
  }

  /**
   * Puts a delivery back on the queue when it could not be handled here, so that it neither
   * waits unacked until the channel closes nor blocks the allUpTo acks behind it.
   */
  function requeueUnhandled(current: Link, message: ConsumeMessage): void {
    if (link.current() !== current) return; // the channel is gone: the broker redelivers anyway
    try {
      current.sub.nack(message, false, true);
      current.unsettled.delete(message.fields.deliveryTag);
    } catch {
      /* the channel closed under us: the broker redelivers */
    }
  }

  async function waitForBuffer(ms: number): Promise<void> {
    if (buffer.length > 0 || ms <= 0) return;
    await bufferWaiters.sleep(ms);
  }

  return {
    async enqueue(items) {
      if (items.length === 0) return;
      // Serialise everything first: a payload that cannot be encoded fails the call before
      // anything is published.
      const at = now();
      const bodies = items.map((item) => Buffer.from(JSON.stringify(item.payload), 'utf8'));
      const current = await link.ready();
      await Promise.all(
        bodies.map((body) =>
          link.publish(current, names.work, '', body, {
            messageId: randomUUID(),
            headers: { [H_ATTEMPTS]: 0, [H_ENQUEUED_AT]: String(at) },
          }),
        ),
      );
    },

    async claim(claimOptions) {
      const max = Math.max(1, claimOptions?.max ?? 1);
      const visibilityMs = claimOptions?.visibilityMs ?? options.visibilityMs;
      const first = await link.ready();
      if (!consuming) {
        consuming = true;
        await startConsumer(first);
      }
      await waitForBuffer(claimOptions?.waitMs ?? 0);
      const current = link.current();
      if (!current) return [];
      const claimed: QueueMessage<T>[] = [];
      // A redelivery that could not be counted again, or a message that could not be
      // dead-lettered (the broker refused the publish): it goes back to the queue, and the claim
      // ends with what it has (or the error, when it has nothing).
      let failure: unknown = null;
      while (claimed.length < max && buffer.length > 0) {
        const next = buffer.shift()!;
        if (next.generation !== current.generation) continue;
        const { message } = next;
        if (message.fields.redelivered) {
          try {
            await recountRedelivery(current, message);
          } catch (error) {
            failure = error;
            requeueUnhandled(current, message);
            break;
          }
          continue;
        }
        const headers = message.properties.headers ?? {};
        const enqueuedAt = headerNumber(headers[H_ENQUEUED_AT], now());
        const attempts = headerNumber(headers[H_ATTEMPTS], 0) + 1;
        let payload: T;
        try {
          payload = JSON.parse(message.content.toString('utf8')) as T;
        } catch {
          try {
            await deadLetters.bury(current, message, attempts, 'The message body is not JSON.');
            current.sub.ack(message);
            current.unsettled.delete(message.fields.deliveryTag);
          } catch (error) {
            failure = error;
            requeueUnhandled(current, message);
            break;
          }
          continue;
        }
        const token = `${current.generation}:${message.fields.deliveryTag}`;
        const expiresAt = now() + visibilityMs;
        leases.grant(
          token,
          { message, generation: current.generation, attempts, enqueuedAt },
          visibilityMs,
        );
        claimed.push({
          id: String(message.properties.messageId),
          payload,
          attempts,
          leaseToken: token,
          leaseExpiresAt: expiresAt,
          enqueuedAt,
        });
      }
      if (failure !== null) {
        if (claimed.length === 0) {
          throw failure instanceof Error ? failure : new Error(describeError(failure).message);
        }
        log.warn({ err: describeError(failure).message }, 'a delivery went back to the queue');
      }
      return claimed;
    },

    ack(id, leaseToken) {
      const lease = leases.holding(id, leaseToken);
      if (!lease) return Promise.resolve<AckOutcome>('lease-lost');
      return Promise.resolve<AckOutcome>(
        leases.release(leaseToken, lease, 'ack') ? 'acked' : 'lease-lost',
      );
    },

    ackMany(items) {
      const current = link.current();
      const held = items.map(({ id, leaseToken }) => {
        const lease = leases.holding(id, leaseToken);
        if (lease) leases.take(leaseToken, lease);
        return lease;
      });
      const taken = held.filter((lease): lease is Lease => lease !== null);
      const acked = current !== null && leases.ackTaken(current, taken);
      return Promise.resolve(
        held.map((lease): AckOutcome => (lease && acked ? 'acked' : 'lease-lost')),
      );
    },

    async nack(id, leaseToken, failure): Promise<NackOutcome> {
      const lease = leases.holding(id, leaseToken);
      const current = link.current();
      if (!lease || !current) return 'lease-lost';
      const { message, attempts } = lease;
      // The holder asked in time, so this call settles the delivery: take it now, before the
      // copy is published. Were the lease to run out while the broker confirms that copy (a busy
      // broker takes a while), the expiry timer would requeue the delivery and the ack below
      // would settle it twice: the message both dead-lettered (or scheduled) and queued again.
      leases.take(leaseToken, lease);
      const dead = failure.permanent || attempts >= options.retry.maxAttempts;
      try {
        if (dead) {
          const reason = failure.permanent
            ? failure.reason
            : `Gave up after ${attempts} attempts. Last error: ${failure.reason}`;
          await deadLetters.bury(current, message, attempts, reason);
        } else {
          const delay = retryStepMs(attempts, options.retry);
          await link.publish(current, names.retry(delay), '', message.content, {
            messageId: message.properties.messageId as string | undefined,
            headers: {
              [H_ATTEMPTS]: attempts,
              [H_ENQUEUED_AT]: String(lease.enqueuedAt),
              [H_LAST_ERROR]: cut(failure.reason),
            },
          });
        }
      } catch (error) {
        // The failure could not be recorded: redeliver now, which counts as a failed attempt
        // (see recountRedelivery), as the expiry timer would have done later.
        leases.settle(lease, 'requeue');
        throw error;
      }
      if (!leases.settle(lease, 'ack')) return 'lease-lost';
      return dead ? 'dead-lettered' : 'retry-scheduled';
    },

    async depth(): Promise<QueueDepth> {
      const current = await link.ready();
      const ch = await current.model.createChannel();
      try {
        // Retry queues first: a message moving from one to the work queue between two looks is
        // then counted twice rather than not at all.
        let delayed = 0;
        for (const ms of steps) delayed += (await ch.checkQueue(names.retry(ms))).messageCount;
        const work = await ch.checkQueue(names.work);
        const dead = await ch.checkQueue(names.dead);
        // The broker counts only what it has not delivered yet. Deliveries this instance holds
        // unsettled without a lease (the prefetch buffer, redeliveries being counted again,
        // nacks on their way to a retry queue) are waiting just the same: without them a queue
        // looked empty while up to `prefetch` messages were still to be processed. Every leased
        // delivery is among the unsettled ones (a lease is removed before its delivery settles).
        const held = Math.max(0, current.unsettled.size - leases.size);
        return {
          ready: work.messageCount + held,
          delayed,
          leased: leases.size,
          dead: dead.messageCount,
        };
      } finally {
        await ch.close().catch(() => undefined);
      }
    },

    deadLetters: (limit = 100) => deadLetters.peek(limit),

    replayDeadLetters: (ids) => deadLetters.replay(ids),

    healthy: () => Promise.resolve(link.current() !== null),

    async close() {
      leases.clear();
      bufferWaiters.wake();
      await link.close();
    },
  };
}
