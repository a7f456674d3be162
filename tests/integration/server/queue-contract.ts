// The queue contract (server/src/queue/types.ts) as a test suite, run against every
// implementation: the embedded SQLite queue and RabbitMQ (classic and quorum queues). Real time,
// short delays, because RabbitMQ's TTLs cannot run on a fake clock.
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Queue, RetryPolicy } from '../../../server/src/queue/types.js';

export type Payload = { n: number };

export type QueueSettings = { readonly retry: RetryPolicy; readonly visibilityMs: number };

export type QueueFactory = {
  /** A new, empty queue (a unique name each call) with these settings. */
  create(settings: QueueSettings): Promise<QueueHandle>;
};

export type QueueHandle = {
  readonly queue: Queue<Payload>;
  /** Another consumer/producer of the same queue (another process, in production). */
  another(): Promise<Queue<Payload>>;
  /** Closes every handle and removes the queue. */
  dispose(): Promise<void>;
};

export const SETTINGS: QueueSettings = {
  retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 200 },
  // Long enough that a test machine busy with other test files does not expire a lease
  // between a claim and its ack; short enough for the expiry tests to stay quick.
  visibilityMs: 1_500,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Claims until `count` messages arrived or `timeoutMs` passed. */
async function claimAll(
  queue: Queue<Payload>,
  count: number,
  timeoutMs = 10_000,
  visibilityMs?: number,
) {
  const got = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count && Date.now() < deadline) {
    got.push(
      ...(await queue.claim({
        max: count - got.length,
        waitMs: 100,
        ...(visibilityMs === undefined ? {} : { visibilityMs }),
      })),
    );
    if (got.length < count) await sleep(20);
  }
  return got;
}

export function queueContract(factory: QueueFactory): void {
  let handle: QueueHandle;
  let queue: Queue<Payload>;

  beforeEach(async () => {
    handle = await factory.create(SETTINGS);
    queue = handle.queue;
  });
  afterEach(async () => {
    await handle.dispose();
  });

  it('delivers every message once per lease and forgets it once acked', async () => {
    await queue.enqueue([{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    const claimed = await claimAll(queue, 2);
    expect(claimed.map((m) => m.payload.n).sort()).toEqual([1, 2]);
    expect(claimed.every((m) => m.attempts === 1)).toBe(true);
    expect(await queue.claim({ max: 10, waitMs: 200 })).toEqual([]); // both leased
    expect(await queue.ack(claimed[0]!.id, claimed[0]!.leaseToken)).toBe('acked');
    expect(await queue.ack(claimed[0]!.id, claimed[0]!.leaseToken)).toBe('lease-lost');
    expect(await queue.depth()).toMatchObject({ ready: 0, delayed: 0, leased: 1, dead: 0 });
    expect(
      await queue.ackMany([{ id: claimed[1]!.id, leaseToken: claimed[1]!.leaseToken }]),
    ).toEqual(['acked']);
    expect(await queue.depth()).toEqual({ ready: 0, delayed: 0, leased: 0, dead: 0 });
  });

  it('counts messages no worker has claimed as ready, even those a consumer has prefetched', async () => {
    await queue.enqueue([{ payload: { n: 1 } }, { payload: { n: 2 } }, { payload: { n: 3 } }]);
    const [first] = await claimAll(queue, 1);
    expect(first).toBeDefined();
    // RabbitMQ delivers the other two to this consumer's prefetch meanwhile; they are still
    // waiting to be processed, and a drained-looking queue here would be a lie.
    await sleep(300);
    expect(await queue.depth()).toMatchObject({ ready: 2, delayed: 0, leased: 1 });
    await queue.ack(first!.id, first!.leaseToken);
    expect(await queue.depth()).toMatchObject({ ready: 2, leased: 0 });
  });

  it('redelivers a message whose lease expired, with a new lease; the old holder can no longer ack', async () => {
    await queue.enqueue([{ payload: { n: 1 } }]);
    const [first] = await claimAll(queue, 1);
    const [second] = await claimAll(queue, 1, SETTINGS.visibilityMs + 3_000);
    expect(second?.id).toBe(first?.id);
    expect(second?.attempts).toBe(2);
    expect(second?.leaseToken).not.toBe(first?.leaseToken);
    expect(await queue.ack(first!.id, first!.leaseToken)).toBe('lease-lost');
    expect(await queue.nack(first!.id, first!.leaseToken, { reason: 'late' })).toBe('lease-lost');
    expect(await queue.ack(second!.id, second!.leaseToken)).toBe('acked');
  });

  it('redelivers the un-acked messages of a consumer that died', async () => {
    await queue.enqueue([{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    const dying = await handle.another();
    const held = await claimAll(dying, 2);
    expect(held).toHaveLength(2);
    await dying.close(); // the worker is gone without acking
    const again = await claimAll(queue, 2, SETTINGS.visibilityMs + 5_000);
    expect(again.map((m) => m.payload.n).sort()).toEqual([1, 2]);
    expect(again.every((m) => m.attempts === 2)).toBe(true);
    expect(await queue.ackMany(again)).toEqual(['acked', 'acked']);
  });

  it('retries a nacked message after a capped exponential backoff', async () => {
    await queue.enqueue([{ payload: { n: 1 } }]);
    const [m1] = await claimAll(queue, 1);
    const failedAt = Date.now();
    expect(await queue.nack(m1!.id, m1!.leaseToken, { reason: 'couch down' })).toBe(
      'retry-scheduled',
    );
    expect((await queue.depth()).delayed).toBe(1);
    const [m2] = await claimAll(queue, 1);
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(SETTINGS.retry.baseDelayMs / 2);
    expect(m2).toMatchObject({ id: m1!.id, attempts: 2, payload: { n: 1 } });
    await queue.nack(m2!.id, m2!.leaseToken, { reason: 'couch down' });
    const [m3] = await claimAll(queue, 1);
    expect(m3?.attempts).toBe(3);
    await queue.ack(m3!.id, m3!.leaseToken);
  });

  it('dead-letters with the reason after the last attempt, and keeps the payload', async () => {
    await queue.enqueue([{ payload: { n: 7 } }]);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const [m] = await claimAll(queue, 1);
      expect(m?.attempts).toBe(attempt);
      const outcome = await queue.nack(m!.id, m!.leaseToken, { reason: `failure ${attempt}` });
      expect(outcome).toBe(attempt < 3 ? 'retry-scheduled' : 'dead-lettered');
    }
    expect(await queue.claim({ max: 1, waitMs: 500 })).toEqual([]);
    const dead = await queue.deadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({
      payload: { n: 7 },
      attempts: 3,
      reason: 'Gave up after 3 attempts. Last error: failure 3',
    });
    expect((await queue.depth()).dead).toBe(1);
  });

  it('dead-letters a permanent failure at once, and the next message still flows', async () => {
    await queue.enqueue([{ payload: { n: 1 } }]);
    await queue.enqueue([{ payload: { n: 2 } }]);
    const [bad] = await claimAll(queue, 1);
    expect(bad?.payload.n).toBe(1);
    expect(
      await queue.nack(bad!.id, bad!.leaseToken, { reason: 'title missing', permanent: true }),
    ).toBe('dead-lettered');
    const [good] = await claimAll(queue, 1);
    expect(good?.payload).toEqual({ n: 2 });
    expect((await queue.deadLetters())[0]).toMatchObject({
      id: bad!.id,
      payload: { n: 1 },
      attempts: 1,
      reason: 'title missing',
    });
  });

  it('dead-letters a message whose every lease expired (a poison message that kills workers)', async () => {
    await queue.enqueue([{ payload: { n: 9 } }]);
    for (let i = 0; i < 3; i += 1) {
      const [m] = await claimAll(queue, 1, SETTINGS.visibilityMs + 5_000);
      expect(m?.attempts).toBe(i + 1);
      // no ack, no nack: the lease runs out
    }
    const dead = await (async () => {
      const deadline = Date.now() + SETTINGS.visibilityMs + 5_000;
      for (;;) {
        // Claiming is what notices the third expired delivery.
        const extra = await queue.claim({ max: 1, waitMs: 100 });
        expect(extra).toEqual([]);
        const list = await queue.deadLetters();
        if (list.length > 0 || Date.now() > deadline) return list;
        await sleep(50);
      }
    })();
    expect(dead[0]?.reason).toMatch(/^Lease expired after 3 deliveries without an ack/);
    expect(dead[0]?.payload).toEqual({ n: 9 });
  });

  it('settles a nacked message once, even when its lease runs out during the nack', async () => {
    await queue.enqueue([{ payload: { n: 1 } }]);
    // A lease shorter than the nack takes (RabbitMQ: publishing the dead letter and waiting for
    // the broker's confirm): it runs out while the nack is under way.
    const [m] = await claimAll(queue, 1, 10_000, 1);
    const outcome = await queue.nack(m!.id, m!.leaseToken, { reason: 'bad', permanent: true });
    const dead = (await queue.deadLetters()).map((d) => d.id);
    const redelivered = (await claimAll(queue, 1, 1_000)).map((r) => r.id);
    // Either the nack won (dead-lettered, not redelivered) or the expiry did (redelivered, not
    // dead-lettered); never both.
    if (outcome === 'dead-lettered') {
      expect({ dead, redelivered }).toEqual({ dead: [m!.id], redelivered: [] });
    } else {
      expect(outcome).toBe('lease-lost');
      expect({ dead, redelivered }).toEqual({ dead: [], redelivered: [m!.id] });
    }
  });

  it('replays dead letters with a fresh attempt count, only those asked for', async () => {
    await queue.enqueue([{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    // Leases that a busy machine cannot outlast between the claim and the nacks: lease expiry
    // has tests of its own, and an expired lease here would keep a message out of the DLQ.
    const claimed = await claimAll(queue, 2, 10_000, 60_000);
    expect(claimed).toHaveLength(2);
    for (const m of claimed) {
      expect(await queue.nack(m.id, m.leaseToken, { reason: 'bad', permanent: true })).toBe(
        'dead-lettered',
      );
    }
    const dead = await queue.deadLetters();
    expect(dead).toHaveLength(2);
    const one = dead.find((d) => d.payload.n === 1)!;
    expect(await queue.replayDeadLetters([one.id])).toBe(1);
    const [replayed] = await claimAll(queue, 1);
    expect(replayed).toMatchObject({ id: one.id, payload: { n: 1 }, attempts: 1 });
    expect((await queue.deadLetters()).map((d) => d.payload.n)).toEqual([2]);
    expect(await queue.replayDeadLetters()).toBe(1);
    expect((await claimAll(queue, 1))[0]?.payload).toEqual({ n: 2 });
    expect((await queue.depth()).dead).toBe(0);
  });

  it('keeps enqueued messages when every handle closes (durable)', async () => {
    await queue.enqueue([{ payload: { n: 1 } }]);
    await queue.close();
    queue = await handle.another();
    expect((await claimAll(queue, 1))[0]?.payload).toEqual({ n: 1 });
  });

  it('enqueues nothing from a batch that cannot be encoded', async () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    await expect(
      queue.enqueue([{ payload: { n: 1 } }, { payload: circular as unknown as Payload }]),
    ).rejects.toThrow();
    expect((await queue.depth()).ready).toBe(0);
    expect(await queue.claim({ max: 5, waitMs: 200 })).toEqual([]);
  });

  it('lets competing consumers share the work without leasing one message twice', async () => {
    const other = await handle.another();
    await queue.enqueue(Array.from({ length: 60 }, (_, n) => ({ payload: { n } })));
    const seen = new Map<number, number>();
    const deadline = Date.now() + 10_000;
    const work = async (q: Queue<Payload>) => {
      let mine = 0;
      while (seen.size < 60 && Date.now() < deadline) {
        const batch = await q.claim({ max: 4, waitMs: 50 });
        for (const m of batch) {
          seen.set(m.payload.n, (seen.get(m.payload.n) ?? 0) + 1);
          mine += 1;
        }
        expect(await q.ackMany(batch)).toEqual(batch.map(() => 'acked'));
        await sleep(5); // give the other consumer a chance
      }
      return mine;
    };
    const [a, b] = await Promise.all([work(queue), work(other)]);
    expect(seen.size).toBe(60);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    await other.close();
  });
}
