import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../../server/src/timing/backoff.js';
import { createSqliteQueue } from '../../../server/src/queue/queue.sqlite.js';
import type { Queue } from '../../../server/src/queue/types.js';

type Payload = { n: number };

describe('backoff', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 5_000 };

  it('doubles with each attempt (before jitter)', () => {
    const top = (attempt: number) => backoffDelayMs(attempt, policy, () => 1);
    expect([1, 2, 3, 4].map(top)).toEqual([100, 200, 400, 800]);
  });

  it('never exceeds the cap, however many attempts', () => {
    for (const attempt of [7, 10, 50, 1_000, Number.MAX_SAFE_INTEGER]) {
      expect(backoffDelayMs(attempt, policy, () => 1)).toBe(5_000);
      expect(backoffDelayMs(attempt, policy, Math.random)).toBeLessThanOrEqual(5_000);
    }
  });

  it('jitters down by at most half', () => {
    expect(backoffDelayMs(3, policy, () => 0)).toBe(200);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(300);
  });
});

describe('SQLite queue', () => {
  let dir: string;
  let clock: number;
  let queue: Queue<Payload>;
  const open = (file = path.join(dir, 'queue.sqlite')) =>
    createSqliteQueue<Payload>({
      file,
      name: 'test',
      visibilityMs: 1_000,
      retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 250 },
      now: () => clock,
      random: () => 1,
    });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-queue-'));
    clock = 1_000_000;
    queue = open();
  });
  afterEach(async () => {
    await queue.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('delivers in order, once per lease, and forgets a message once acked', async () => {
    await queue.enqueue([{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    const [first] = await queue.claim();
    const [second] = await queue.claim();
    expect(first?.payload).toEqual({ n: 1 });
    expect(second?.payload).toEqual({ n: 2 });
    expect(await queue.claim()).toEqual([]); // both leased
    expect(await queue.ack(first!.id, first!.leaseToken)).toBe('acked');
    expect(await queue.depth()).toEqual({ ready: 0, delayed: 0, leased: 1, dead: 0 });
  });

  it('redelivers a message whose lease expired (the worker crashed), with a new lease', async () => {
    await queue.enqueue([{ payload: { n: 1 } }]);
    const [lease1] = await queue.claim({ visibilityMs: 500 });
    clock += 499;
    expect(await queue.claim()).toEqual([]);
    clock += 1;
    const [lease2] = await queue.claim();
    expect(lease2?.id).toBe(lease1?.id);
    expect(lease2?.attempts).toBe(2);
    expect(lease2?.leaseToken).not.toBe(lease1?.leaseToken);
  });

  it('lets only the current lease holder ack or nack', async () => {
    await queue.enqueue([{ payload: { n: 1 } }]);
    const [stale] = await queue.claim();
    clock += 1_000; // lease expires; another worker takes the message
    const [current] = await queue.claim();
    expect(await queue.ack(stale!.id, stale!.leaseToken)).toBe('lease-lost');
    expect(await queue.ack(stale!.id, 'forged-token')).toBe('lease-lost');
    expect(await queue.nack(stale!.id, stale!.leaseToken, { reason: 'x' })).toBe('lease-lost');
    expect((await queue.depth()).leased).toBe(1); // untouched by the stale holder
    expect(await queue.ack(current!.id, current!.leaseToken)).toBe('acked');
    expect(await queue.depth()).toEqual({ ready: 0, delayed: 0, leased: 0, dead: 0 });
  });

  it('retries a nacked message after capped exponential backoff', async () => {
    await queue.enqueue([{ payload: { n: 1 } }]);
    const [m1] = await queue.claim();
    expect(await queue.nack(m1!.id, m1!.leaseToken, { reason: 'couch down' })).toBe(
      'retry-scheduled',
    );
    expect(await queue.depth()).toMatchObject({ ready: 0, delayed: 1 });
    clock += 99;
    expect(await queue.claim()).toEqual([]);
    clock += 1; // first retry after base delay (100 ms)
    const [m2] = await queue.claim();
    expect(m2?.attempts).toBe(2);
    await queue.nack(m2!.id, m2!.leaseToken, { reason: 'couch down' });
    clock += 199;
    expect(await queue.claim()).toEqual([]);
    clock += 1; // second retry after 200 ms
    expect(await queue.claim()).toHaveLength(1);
  });

  it('caps the retry delay', async () => {
    const capped = createSqliteQueue<Payload>({
      file: path.join(dir, 'capped.sqlite'),
      name: 'test',
      visibilityMs: 1_000,
      retry: { maxAttempts: 20, baseDelayMs: 100, maxDelayMs: 250 },
      now: () => clock,
      random: () => 1,
    });
    await capped.enqueue([{ payload: { n: 1 } }]);
    for (let i = 0; i < 6; i += 1) {
      const [m] = await capped.claim();
      expect(m).toBeDefined();
      await capped.nack(m!.id, m!.leaseToken, { reason: 'still down' });
      clock += 250; // never more than the cap
    }
    expect(await capped.claim()).toHaveLength(1);
    await capped.close();
  });

  it('dead-letters with the reason after the last attempt', async () => {
    await queue.enqueue([{ payload: { n: 7 } }]);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const [m] = await queue.claim();
      const outcome = await queue.nack(m!.id, m!.leaseToken, { reason: `failure ${attempt}` });
      expect(outcome).toBe(attempt < 3 ? 'retry-scheduled' : 'dead-lettered');
      clock += 10_000;
    }
    expect(await queue.claim()).toEqual([]);
    const [dead] = await queue.deadLetters();
    expect(dead).toMatchObject({
      payload: { n: 7 },
      attempts: 3,
      reason: 'Gave up after 3 attempts. Last error: failure 3',
    });
    expect((await queue.depth()).dead).toBe(1);
  });

  it('dead-letters a permanent failure at once, and the next message still flows', async () => {
    await queue.enqueue([{ payload: { n: 1 } }, { payload: { n: 2 } }]);
    const [bad] = await queue.claim();
    expect(
      await queue.nack(bad!.id, bad!.leaseToken, { reason: 'title missing', permanent: true }),
    ).toBe('dead-lettered');
    const [good] = await queue.claim();
    expect(good?.payload).toEqual({ n: 2 });
    expect((await queue.deadLetters())[0]).toMatchObject({
      payload: { n: 1 },
      attempts: 1,
      reason: 'title missing',
    });
  });

  it('dead-letters a message whose every lease expired (a poison message that crashes workers)', async () => {
    await queue.enqueue([{ payload: { n: 9 } }]);
    for (let i = 0; i < 3; i += 1) {
      expect(await queue.claim()).toHaveLength(1);
      clock += 1_000; // lease expires without ack or nack
    }
    expect(await queue.claim()).toEqual([]);
    expect((await queue.deadLetters())[0]?.reason).toMatch(/Lease expired after 3 deliveries/);
  });

  it('enqueues a batch atomically: a failing batch leaves the queue unchanged', async () => {
    await queue.enqueue([{ payload: { n: 1 } }]);
    const circular: Record<string, unknown> = {};
    circular['self'] = circular; // JSON.stringify throws halfway through the batch
    await expect(
      queue.enqueue([{ payload: { n: 2 } }, { payload: circular as unknown as Payload }]),
    ).rejects.toThrow();
    expect((await queue.depth()).ready).toBe(1);
  });

  it('keeps messages across a reopen (durable file)', async () => {
    await queue.enqueue([{ payload: { n: 1 } }]);
    await queue.close();
    queue = open();
    expect((await queue.claim())[0]?.payload).toEqual({ n: 1 });
  });

  it('coalesces waiting messages with the same dedupe key, but not leased ones', async () => {
    await queue.enqueue([{ payload: { n: 1 }, dedupeKey: 'k' }]);
    await queue.enqueue([{ payload: { n: 2 }, dedupeKey: 'k' }]);
    expect((await queue.depth()).ready).toBe(1);
    const [m] = await queue.claim();
    expect(m?.payload).toEqual({ n: 2 });
    await queue.enqueue([{ payload: { n: 3 }, dedupeKey: 'k' }]); // m is leased: a new message
    expect(await queue.claim()).toHaveLength(1);
  });

  it('hands a message to a claimer waiting for one as soon as it is enqueued', async () => {
    const started = performance.now();
    const waiting = queue.claim({ waitMs: 10_000 });
    setTimeout(() => void queue.enqueue([{ payload: { n: 7 } }]), 50);
    const [message] = await waiting;
    expect(message?.payload).toEqual({ n: 7 });
    // Woken by the enqueue, not by the end of the wait.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('answers an empty claim once the wait is over, or at once when the queue closes', async () => {
    expect(await queue.claim({ waitMs: 30 })).toEqual([]);
    const started = performance.now();
    const waiting = queue.claim({ waitMs: 10_000 });
    setTimeout(() => void queue.close(), 20);
    expect(await waiting).toEqual([]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('never leases one message to two claimers sharing the file', async () => {
    const other = open();
    await queue.enqueue(Array.from({ length: 50 }, (_, n) => ({ payload: { n } })));
    const seen = new Set<string>();
    for (let i = 0; i < 30; i += 1) {
      for (const m of [...(await queue.claim({ max: 2 })), ...(await other.claim({ max: 2 }))]) {
        expect(seen.has(m.id)).toBe(false);
        seen.add(m.id);
      }
    }
    expect(seen.size).toBe(50);
    await other.close();
  });
});
