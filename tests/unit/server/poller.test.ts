import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FanoutEvent } from '../../../server/src/fanout/types.js';
import { createMetrics } from '../../../server/src/observability/metrics.js';
import type { Lease, LeaseData } from '../../../server/src/lease/lease.js';
import { createPoller, CURSOR_FIELD, eventsOf } from '../../../server/src/poller/poller.js';
import { createSqliteQueue } from '../../../server/src/queue/queue.sqlite.js';
import type { Queue } from '../../../server/src/queue/types.js';
import { createDemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import type { DemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import type { SorAdapter } from '../../../server/src/sor/types.js';
import { eventuallyValue } from '../../support/eventually.js';

/** A lease held in memory, that the test can take away and give back. */
function memoryLease() {
  let held = true;
  let data: LeaseData = {};
  const lease: Lease = {
    name: 'poller',
    isHeld: () => held,
    tick: () => Promise.resolve(held),
    data: () => data,
    update: (patch) => {
      data = { ...data, ...patch };
      return Promise.resolve();
    },
    start: () => undefined,
    stop: () => Promise.resolve(),
  };
  return {
    lease,
    take: () => (held = false),
    give: () => (held = true),
    /** Another instance held the lease meanwhile and moved the cursor. */
    moveCursor: (cursor: string) => (data = { ...data, [CURSOR_FIELD]: cursor }),
  };
}

describe('poller backpressure', () => {
  let dir: string;
  let sor: DemoSor;
  let queue: Queue<FanoutEvent>;
  let depthCalls: number;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-poller-'));
    sor = createDemoSor({ file: path.join(dir, 'sor.sqlite') });
    for (let n = 0; n < 40; n += 1) sor.create({ content: {}, recipients: [`user-${n}`] });
    const inner = createSqliteQueue<FanoutEvent>({
      file: path.join(dir, 'queue.sqlite'),
      name: 'fanout',
      visibilityMs: 60_000,
      retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 },
    });
    depthCalls = 0;
    queue = {
      ...inner,
      depth: () => {
        depthCalls += 1;
        return inner.depth();
      },
    };
  });

  afterEach(async () => {
    await queue.close();
    sor.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const poller = (lease: Lease) =>
    createPoller({
      sor,
      queue,
      lease,
      metrics: createMetrics({ queueDepth: () => queue.depth() }),
      intervalMs: 10,
      batchSize: 4,
      maxBackoffMs: 100,
      maxQueued: 10,
    });

  const drain = async (count: number) => {
    const claimed = await queue.claim({ max: count });
    await queue.ackMany(claimed);
  };

  it('asks the queue how full it is once per maxQueued events queued, not on every poll', async () => {
    const { lease } = memoryLease();
    const p = poller(lease);
    // ready 0: room for 10, so three pages of 4 go out on one look.
    expect([await p.pollOnce(), await p.pollOnce(), await p.pollOnce()]).toEqual([4, 4, 4]);
    expect(depthCalls).toBe(1);
    // 12 ready, at or past the limit: the poller looks, and reads nothing from the SOR.
    expect(await p.pollOnce()).toBe(0);
    expect(depthCalls).toBe(2);
    expect((await queue.depth()).ready).toBe(12);
    // The fan-out catches up: the next look finds room again.
    await drain(8);
    expect(await p.pollOnce()).toBe(4);
    expect(depthCalls).toBe(4); // the look above plus the test's own
  });

  it('looks at the queue again after it lost and regained the lease', async () => {
    const { lease, take, give } = memoryLease();
    const p = poller(lease);
    expect(await p.pollOnce()).toBe(4);
    expect(depthCalls).toBe(1);
    take();
    expect(await p.pollOnce()).toBe(0);
    give();
    // Another holder may have filled the queue meanwhile: the room seen before is forgotten.
    expect(await p.pollOnce()).toBe(4);
    expect(depthCalls).toBe(2);
  });

  it('looks at the queue again when another instance polled meanwhile, even unseen', async () => {
    const { lease, moveCursor } = memoryLease();
    const p = poller(lease);
    expect(await p.pollOnce()).toBe(4);
    expect(depthCalls).toBe(1);
    // The lease went to another instance and came back between two polls of this one, which
    // never saw it go; the other queued 8 events and moved the cursor past them.
    const page = await sor.listChanges(lease.data()[CURSOR_FIELD] as string, 8);
    await queue.enqueue(eventsOf(page));
    moveCursor(page.nextCursor);
    // 12 ready now: the poller must look, not trust the room it saw before (6 left).
    expect(await p.pollOnce()).toBe(0);
    expect(depthCalls).toBe(2);
  });
});

describe('poller woken by the SOR', () => {
  let dir: string;
  let sor: DemoSor;
  let queue: Queue<FanoutEvent>;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-poller-wake-'));
    sor = createDemoSor({ file: path.join(dir, 'sor.sqlite') });
    queue = createSqliteQueue<FanoutEvent>({
      file: path.join(dir, 'queue.sqlite'),
      name: 'fanout',
      visibilityMs: 60_000,
      retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 },
    });
  });

  afterEach(async () => {
    await queue.close();
    sor.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A poller on the demo SOR, with or without its "something changed". */
  const start = (options: {
    wake: boolean;
    intervalMs: number;
    maxQueued?: number;
    batchSize?: number;
  }) => {
    let polls = 0;
    let queued = 0;
    let depths = 0;
    const adapter: SorAdapter = {
      fetchDocument: (id) => sor.fetchDocument(id),
      fetchShareState: (id) => sor.fetchShareState(id),
      fetchShareHistory: (id, user) => sor.fetchShareHistory(id, user),
      writeReturn: (item) => sor.writeReturn(item),
      ping: () => sor.ping(),
      listChanges: (cursor, limit) => {
        polls += 1;
        return sor.listChanges(cursor, limit);
      },
      ...(options.wake
        ? {
            // As an SOR over the network answers: never within the same turn of the event loop.
            waitForChanges: async (cursor: string | null, ms: number, signal: AbortSignal) => {
              await new Promise((resolve) => setImmediate(resolve));
              return sor.waitForChanges(cursor, ms, signal);
            },
          }
        : {}),
    };
    const poller = createPoller({
      sor: adapter,
      queue: {
        ...queue,
        depth: () => {
          depths += 1;
          return queue.depth();
        },
      },
      lease: memoryLease().lease,
      metrics: createMetrics({ queueDepth: () => queue.depth() }),
      intervalMs: options.intervalMs,
      batchSize: options.batchSize ?? 100,
      maxBackoffMs: 60_000,
      onEnqueued: () => (queued += 1),
      ...(options.maxQueued === undefined ? {} : { maxQueued: options.maxQueued }),
    });
    poller.start();
    return { poller, polls: () => polls, queued: () => queued, depths: () => depths };
  };

  it('reads a share at once when the SOR says something changed, not at the next interval', async () => {
    // An interval far longer than the test: only a wake-up can explain a share read in time.
    const running = start({ wake: true, intervalMs: 60_000 });
    await until(() => running.polls() >= 1);
    sor.create({ content: {}, recipients: ['ann'] });
    await until(() => running.queued() === 1);
    await running.poller.stop();
  });

  it('waits its interval while the queue is full, though the SOR says more has changed', async () => {
    // Seen at volume on Apache CouchDB: the fan-out behind, the queue at its limit, and the SOR
    // answering "something changed" at once (the changes not yet read) woke the poller straight
    // back into another look at the queue, thousands of times a second, starving the process.
    for (let n = 0; n < 20; n += 1) sor.create({ content: {}, recipients: [`user-${n}`] });
    const running = start({ wake: true, intervalMs: 100, maxQueued: 10, batchSize: 4 });
    await until(() => running.queued() >= 3);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const looks = running.depths();
    await running.poller.stop();
    // About one look per interval (500 ms / 100 ms), not one per wake-up.
    expect(looks).toBeLessThanOrEqual(10);
    // Three pages of 4 went out before the queue was full; the rest waits in the SOR.
    expect((await queue.depth()).ready).toBe(12);
  });

  it('still reads shares on its interval when the SOR cannot say something changed', async () => {
    const running = start({ wake: false, intervalMs: 50 });
    await until(() => running.polls() >= 1);
    sor.create({ content: {}, recipients: ['ann'] });
    await until(() => running.queued() === 1);
    await running.poller.stop();
  });
});

function until(condition: () => boolean): Promise<true> {
  return eventuallyValue(condition, { timeout: 5_000, interval: 10 });
}
