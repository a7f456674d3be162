// One active poller across instances: the lease is a CouchDB document (compare-and-swap on its
// _rev) in the control database of a real CouchDB-protocol server. Two pollers race for it; only
// the holder polls; when the holder goes silent the other takes over after the TTL and continues
// from the shared cursor; a holder that lost the lease cannot move the cursor any more.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureControlDb } from '../../../server/src/couch/control-db.js';
import { createCouchClient } from '../../../server/src/couch/couch-client.js';
import {
  EMBEDDED_COUCH_ORIGIN,
  startEmbeddedCouchProcess,
} from '../../../server/src/couch/embedded-couch-process.js';
import type { EmbeddedCouchProcess } from '../../../server/src/couch/embedded-couch-process.js';
import { CouchError } from '../../../server/src/couch/types.js';
import type { CouchClient } from '../../../server/src/couch/types.js';
import type { FanoutEvent } from '../../../server/src/fanout/types.js';
import { setLogLevel } from '../../../server/src/observability/logger.js';
import type { LogLevel } from '../../../server/src/observability/logger.js';
import { createMetrics } from '../../../server/src/observability/metrics.js';
import { LeaseLostError, createCouchLease } from '../../../server/src/lease/lease.js';
import type { Lease } from '../../../server/src/lease/lease.js';
import { CURSOR_FIELD, createPoller } from '../../../server/src/poller/poller.js';
import type { Poller } from '../../../server/src/poller/types.js';
import { createSqliteQueue } from '../../../server/src/queue/queue.sqlite.js';
import type { Queue } from '../../../server/src/queue/types.js';
import { createDemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import type { DemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import type { SorAdapter } from '../../../server/src/sor/types.js';
import { SorUnavailableError } from '../../../server/src/sor/types.js';
import { eventuallyValue } from '../../support/eventually.js';

setLogLevel((process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent') as LogLevel);

const ADMIN = { username: 'attache-service', password: 'test-password-0123456789' };
const TTL = 1_500;
let dir: string;
let couch: EmbeddedCouchProcess;
let client: CouchClient & { close(): Promise<void> };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-lease-'));
  couch = await startEmbeddedCouchProcess({ dataDir: dir, admin: ADMIN, logLevel: 'silent' });
  client = createCouchClient({
    url: EMBEDDED_COUCH_ORIGIN,
    socketPath: couch.socketPath,
    credentials: ADMIN,
  });
  await ensureControlDb(client, ADMIN.username);
});
afterAll(async () => {
  await client.close();
  await couch.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  await eventuallyValue(check, { what, timeout: timeoutMs, interval: 25 });
}

/** A lease write as sent, on the lease's own clock (performance.now()). */
type Write = { readonly sentAt: number; ok: boolean };

/**
 * A CouchDB client that can be cut off, as if its process froze or the network split. It records
 * every write that got through, so that tests can check timing against what the lease did rather
 * than against when the test happened to look.
 */
function cuttable(inner: CouchClient) {
  let cut = false;
  const writes: Write[] = [];
  const fail = () => Promise.reject(new CouchError('unavailable', 0, 'cut off', 'test'));
  const wrapped = new Proxy(inner, {
    get(target, key: keyof CouchClient) {
      const value: unknown = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (cut) return fail();
        const call = () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (key !== 'putDoc') return call();
        const write: Write = { sentAt: performance.now(), ok: false };
        writes.push(write);
        return call().then((result) => {
          write.ok = true;
          return result;
        });
      };
    },
  });
  return {
    client: wrapped,
    cut: () => (cut = true),
    heal: () => (cut = false),
    writes: (): readonly Write[] => writes,
  };
}

type Instance = {
  name: string;
  lease: Lease;
  poller: Poller;
  polls: () => number;
  link: ReturnType<typeof cuttable>;
};

describe('poller lease', () => {
  let sor: DemoSor;
  let queue: Queue<FanoutEvent>;
  const instances: Instance[] = [];
  const leaseName = () => `poller-test-${Math.random().toString(36).slice(2)}`;
  let name: string;

  /** An instance whose polls are timed (performance.now() as each poll of the SOR starts). */
  function instance(label: string): Instance & { pollTimes: () => readonly number[] } {
    const pollTimes: number[] = [];
    const counting: SorAdapter = {
      ...sor,
      listChanges: (cursor, limit) => {
        pollTimes.push(performance.now());
        return sor.listChanges(cursor, limit);
      },
    };
    const link = cuttable(client);
    const lease = createCouchLease({ couch: link.client, name, instanceId: label, ttlMs: TTL });
    const poller = createPoller({
      sor: counting,
      queue,
      lease,
      metrics: createMetrics({ queueDepth: () => queue.depth() }),
      intervalMs: 50,
      batchSize: 3,
      maxBackoffMs: 200,
    });
    const made = {
      name: label,
      lease,
      poller,
      polls: () => pollTimes.length,
      pollTimes: () => pollTimes,
      link,
    };
    instances.push(made);
    return made;
  }

  async function queued(): Promise<string[]> {
    const messages = await queue.claim({ max: 1000, visibilityMs: 60_000 });
    await queue.ackMany(messages);
    return messages.map((m) => {
      const e = m.payload as { sorId: string; recipient: string };
      return `${e.sorId}/${e.recipient}`;
    });
  }

  beforeEach(() => {
    name = leaseName();
    sor = createDemoSor({ file: path.join(dir, `${name}.sor.sqlite`) });
    queue = createSqliteQueue<FanoutEvent>({
      file: path.join(dir, `${name}.queue.sqlite`),
      name: 'fanout',
      visibilityMs: 60_000,
      retry: { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 100 },
    });
  });
  afterEach(async () => {
    for (const i of instances.splice(0)) {
      i.link.heal();
      await i.poller.stop();
      await i.lease.stop();
    }
    await queue.close();
    sor.close();
  });

  it('lets exactly one of two instances poll, and queues every change exactly once', async () => {
    for (let n = 0; n < 7; n += 1) sor.create({ content: {}, recipients: [`user-${n}`] });
    const a = instance('instance-a');
    const b = instance('instance-b');
    for (const i of [a, b]) {
      i.lease.start();
      i.poller.start();
    }
    await until('one holder', () => a.lease.isHeld() !== b.lease.isHeld());
    const [leader, other] = a.lease.isHeld() ? [a, b] : [b, a];
    // Page by page, the leader queues the changes and then moves the cursor: once the cursor is
    // past the last change, every change is queued (a busy machine may take a while to get there).
    await until('the cursor past every change', () => leader.lease.data()[CURSOR_FIELD] === '7');
    await sleep(600); // both keep running meanwhile
    expect(leader.lease.isHeld()).toBe(true);
    expect(leader.polls()).toBeGreaterThan(1);
    expect(other.polls()).toBe(0);
    expect(other.lease.isHeld()).toBe(false);
    const events = await queued();
    expect(events.sort()).toEqual(
      Array.from({ length: 7 }, (_, n) => `BRF-00000${n + 1}/user-${n}`),
    );
  });

  it('moves to the other instance when the holder goes silent, which continues from the shared cursor', async () => {
    for (let n = 0; n < 4; n += 1) sor.create({ content: {}, recipients: [`early-${n}`] });
    const a = instance('instance-a');
    a.lease.start();
    a.poller.start();
    await until('a holds the lease', () => a.lease.isHeld());
    await until('a queued the first changes', () => a.lease.data()[CURSOR_FIELD] === '4');
    const b = instance('instance-b');
    b.lease.start();
    b.poller.start();
    await sleep(TTL);
    expect(b.polls()).toBe(0); // a renews in time: b never polls

    a.link.cut(); // a freezes: no renewal, no CouchDB
    for (let n = 0; n < 4; n += 1) sor.create({ content: {}, recipients: [`late-${n}`] });
    await until('b takes over', () => b.lease.isHeld(), 4 * TTL);
    // The TTL runs from a's last renewal, not from the cut: a renews every third of the TTL, so
    // its last renewal can precede the cut by that much. b must not write the lease as its own
    // until that renewal is a whole TTL old, and a must have stopped polling by then. Both are
    // timestamps taken as the writes and polls happened, on the clock the lease itself uses.
    const renewals = a.link.writes().filter((w) => w.ok);
    const lastRenewal = renewals[renewals.length - 1]!.sentAt;
    const takeover = b.link.writes()[0]!; // b wrote nothing before: it never held the lease
    expect(takeover.ok).toBe(true);
    expect(takeover.sentAt - lastRenewal).toBeGreaterThanOrEqual(TTL);
    expect(Math.max(...a.pollTimes())).toBeLessThan(takeover.sentAt);
    expect(a.lease.isHeld()).toBe(false); // a stopped acting on its own (its renewals fail)
    await until('b queued the late changes', () => b.lease.data()[CURSOR_FIELD] === '8');
    expect(b.pollTimes()[0]).toBeGreaterThan(takeover.sentAt);
    const events = await queued();
    expect(events.filter((e) => e.includes('late-')).sort()).toEqual(
      [5, 6, 7, 8].map((n) => `BRF-00000${n}/late-${n - 5}`),
    );
    // b continued after a's cursor: the early changes were queued once, by a.
    expect(events.filter((e) => e.includes('early-'))).toHaveLength(4);

    // a comes back: it cannot move the cursor (fencing), and does not take the lease back.
    a.link.heal();
    await expect(a.lease.update({ [CURSOR_FIELD]: '1' })).rejects.toBeInstanceOf(LeaseLostError);
    await sleep(TTL);
    expect(a.lease.isHeld()).toBe(false);
    expect(b.lease.isHeld()).toBe(true);
  });

  it('hands over at once when the holder stops cleanly', async () => {
    const a = instance('instance-a');
    const b = instance('instance-b');
    a.lease.start();
    await until('a holds the lease', () => a.lease.isHeld());
    b.lease.start();
    await sleep(200);
    expect(b.lease.isHeld()).toBe(false);
    const stoppedAt = Date.now();
    await a.lease.stop();
    await until('b takes over', () => b.lease.isHeld(), TTL);
    expect(Date.now() - stoppedAt).toBeLessThan(TTL); // no need to wait out the TTL
  });

  it('takes its own lease back at once after a restart of the same instance', async () => {
    const first = instance('instance-a');
    first.lease.start();
    await until('held', () => first.lease.isHeld());
    first.link.cut(); // the process dies without releasing
    const again = instance('instance-a');
    const startedAt = Date.now();
    again.lease.start();
    await until('held again', () => again.lease.isHeld(), TTL);
    expect(Date.now() - startedAt).toBeLessThan(TTL);
  });

  it('keeps the cursor while the SOR is down, backs off, and resumes where it stopped', async () => {
    for (let n = 0; n < 3; n += 1) sor.create({ content: {}, recipients: [`u-${n}`] });
    let down = true;
    const calls: number[] = [];
    const flaky: SorAdapter = {
      ...sor,
      listChanges: (cursor, limit) => {
        calls.push(Date.now());
        return down
          ? Promise.reject(new SorUnavailableError('connection refused'))
          : sor.listChanges(cursor, limit);
      },
    };
    const link = cuttable(client);
    const lease = createCouchLease({ couch: link.client, name, instanceId: 'solo', ttlMs: TTL });
    const metrics = createMetrics({ queueDepth: () => queue.depth() });
    const poller = createPoller({
      sor: flaky,
      queue,
      lease,
      metrics,
      intervalMs: 40,
      batchSize: 10,
      maxBackoffMs: 400,
    });
    instances.push({ name: 'solo', lease, poller, polls: () => calls.length, link });
    lease.start();
    poller.start();
    await until('several failed polls', () => calls.length >= 6, 10_000);
    const gaps = calls.slice(1).map((t, i) => t - calls[i]!);
    // Exponential (jittered down by at most half), capped at 400 ms.
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(160);
    expect(Math.max(...gaps)).toBeLessThan(400 + 150);
    expect(lease.data()[CURSOR_FIELD]).toBeUndefined(); // nothing moved while failing
    expect(await metrics.registry.getSingleMetricAsString('attache_poller_errors_total')).toMatch(
      /attache_poller_errors_total [1-9]/,
    );
    down = false;
    await until('resumed', () => lease.data()[CURSOR_FIELD] === '3');
    expect((await queued()).sort()).toEqual(['BRF-000001/u-0', 'BRF-000002/u-1', 'BRF-000003/u-2']);
  });

  it('moves the cursor only after the page is durably queued', async () => {
    for (let n = 0; n < 3; n += 1) sor.create({ content: {}, recipients: [`q-${n}`] });
    let queueDown = true;
    const failing: Queue<FanoutEvent> = {
      ...queue,
      enqueue: (items) =>
        queueDown ? Promise.reject(new Error('queue unavailable')) : queue.enqueue(items),
    };
    const link = cuttable(client);
    const lease = createCouchLease({ couch: link.client, name, instanceId: 'solo', ttlMs: TTL });
    const poller = createPoller({
      sor,
      queue: failing,
      lease,
      metrics: createMetrics({ queueDepth: () => queue.depth() }),
      intervalMs: 40,
      batchSize: 10,
      maxBackoffMs: 100,
    });
    instances.push({ name: 'solo', lease, poller, polls: () => 0, link });
    lease.start();
    poller.start();
    await until('held', () => lease.isHeld());
    await sleep(400);
    expect(lease.data()[CURSOR_FIELD]).toBeUndefined();
    queueDown = false;
    await until('queued and moved', () => lease.data()[CURSOR_FIELD] === '3');
    expect(await queued()).toHaveLength(3);
  });
});
