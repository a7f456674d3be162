// RabbitMQ queue: acks of several batches held at once. ackMany settles a run of the oldest
// deliveries with one `allUpTo` ack; these tests prove that it never settles a delivery another
// batch still holds. The evidence is what the broker redelivers once the holder is gone: exactly
// the messages nobody acked.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setLogLevel } from '../../../server/src/observability/logger.js';
import type { LogLevel } from '../../../server/src/observability/logger.js';
import { createAmqpQueue, retrySteps } from '../../../server/src/queue/queue.amqp.js';
import type { Queue, QueueMessage } from '../../../server/src/queue/types.js';
import { RABBITMQ_URL, deleteTopology, rabbitmqSkipReason, shareRabbitmq } from './rabbitmq.js';

setLogLevel((process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent') as LogLevel);

type Payload = { n: number };
const RETRY = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 400 };

async function claimExactly(
  queue: Queue<Payload>,
  count: number,
  timeoutMs = 10_000,
): Promise<QueueMessage<Payload>[]> {
  const got: QueueMessage<Payload>[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count && Date.now() < deadline) {
    got.push(...(await queue.claim({ max: count - got.length, waitMs: 200 })));
  }
  return got;
}

const numbers = (messages: readonly QueueMessage<Payload>[]) =>
  messages.map((m) => m.payload.n).sort((a, b) => a - b);

function suite(queueType: 'classic' | 'quorum') {
  let name: string;
  let handles: Queue<Payload>[];
  const open = () => {
    const queue = createAmqpQueue<Payload>({
      url: RABBITMQ_URL,
      name,
      queueType,
      retry: RETRY,
      visibilityMs: 60_000, // no lease runs out during a test: only acks settle
      prefetch: 20,
      connectWaitMs: 5_000,
    });
    handles.push(queue);
    return queue;
  };

  /** Closes `holder` without acking what it still holds; returns what another handle gets. */
  async function redeliveredAfterClosing(holder: Queue<Payload>, expected: number) {
    // amqplib writes the acks out a turn or two of the event loop later: let them go before the
    // connection closes (closing at once would drop them, and the broker redeliver those too).
    await new Promise((resolve) => setTimeout(resolve, 100));
    await holder.close();
    const next = open();
    const again = await claimExactly(next, expected);
    // Nothing more comes: every other message was settled.
    expect(await next.claim({ max: 10, waitMs: 500 })).toEqual([]);
    return again;
  }

  afterEach(async () => {
    for (const queue of handles) await queue.close();
    await deleteTopology(name, retrySteps(RETRY));
  });

  it('acking the newer of two held batches leaves the older one leased', async () => {
    name = `attache-test.ack.${queueType}.${randomBytes(4).toString('hex')}`;
    handles = [];
    const queue = open();
    await queue.enqueue([1, 2, 3, 4, 5, 6].map((n) => ({ payload: { n } })));
    const older = await claimExactly(queue, 3);
    const newer = await claimExactly(queue, 3);
    expect(await queue.ackMany(newer)).toEqual(['acked', 'acked', 'acked']);
    const again = await redeliveredAfterClosing(queue, 3);
    expect(numbers(again)).toEqual(numbers(older));
    expect(again.every((m) => m.attempts === 2)).toBe(true);
  });

  it('acking the older batch first settles all of it and none of the newer one', async () => {
    name = `attache-test.ack.${queueType}.${randomBytes(4).toString('hex')}`;
    handles = [];
    const queue = open();
    await queue.enqueue([1, 2, 3, 4, 5, 6].map((n) => ({ payload: { n } })));
    const older = await claimExactly(queue, 3);
    const newer = await claimExactly(queue, 3);
    expect(await queue.ackMany(older)).toEqual(['acked', 'acked', 'acked']);
    const again = await redeliveredAfterClosing(queue, 3);
    expect(numbers(again)).toEqual(numbers(newer));
  });

  it('stops the run of oldest deliveries at one left out of the ack', async () => {
    name = `attache-test.ack.${queueType}.${randomBytes(4).toString('hex')}`;
    handles = [];
    const queue = open();
    await queue.enqueue([1, 2, 3, 4, 5].map((n) => ({ payload: { n } })));
    const batch = await claimExactly(queue, 5);
    const byN = [...batch].sort((a, b) => a.payload.n - b.payload.n);
    const kept = byN[2]!;
    const acked = byN.filter((m) => m !== kept);
    expect(await queue.ackMany(acked)).toEqual(acked.map(() => 'acked'));
    expect(await queue.healthy()).toBe(true);
    // The one left out is still held by this handle: acking it later works, once.
    expect(await queue.ack(kept.id, kept.leaseToken)).toBe('acked');
    expect(await queue.ack(kept.id, kept.leaseToken)).toBe('lease-lost');
    const again = await redeliveredAfterClosing(queue, 0);
    expect(again).toEqual([]);
  });

  it('leaves the one left out leased when the holder dies', async () => {
    name = `attache-test.ack.${queueType}.${randomBytes(4).toString('hex')}`;
    handles = [];
    const queue = open();
    await queue.enqueue([1, 2, 3, 4, 5].map((n) => ({ payload: { n } })));
    const batch = await claimExactly(queue, 5);
    const byN = [...batch].sort((a, b) => a.payload.n - b.payload.n);
    const kept = byN[2]!;
    expect(await queue.ackMany(byN.filter((m) => m !== kept))).toEqual([
      'acked',
      'acked',
      'acked',
      'acked',
    ]);
    const again = await redeliveredAfterClosing(queue, 1);
    expect(numbers(again)).toEqual([kept.payload.n]);
  });
}

const skip = await rabbitmqSkipReason();
for (const type of ['classic', 'quorum'] as const) {
  if (skip) {
    describe.skip(`RabbitMQ ${type} queue acks (skipped: ${skip})`, () => suite(type));
  } else {
    describe(`RabbitMQ ${type} queue acks`, () => {
      let release: () => void = () => undefined;
      beforeAll(async () => {
        release = await shareRabbitmq();
      }, 300_000);
      afterAll(() => release());
      suite(type);
    });
  }
}
