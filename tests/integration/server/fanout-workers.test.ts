// Several fan-out workers on one queue (competing consumers), with the SQLite queue and with
// RabbitMQ: every worker takes part, and the users' databases end exactly as the SOR says, even
// with events for the same briefing processed by different workers at once (shares racing
// unshares and new versions).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCouchClient } from '../../../server/src/couch/couch-client.js';
import {
  EMBEDDED_COUCH_ORIGIN,
  startEmbeddedCouchProcess,
} from '../../../server/src/couch/embedded-couch-process.js';
import type { EmbeddedCouchProcess } from '../../../server/src/couch/embedded-couch-process.js';
import type { CouchClient } from '../../../server/src/couch/types.js';
import { pairKey, reconcilePairs } from '../../../server/src/fanout/batch-reconciler.js';
import { createFanout } from '../../../server/src/fanout/fanout-worker.js';
import type { FanoutEvent } from '../../../server/src/fanout/types.js';
import { createBasicUserAuth } from '../../../server/src/couch/user-auth.js';
import { createUserDbs, userDbNames } from '../../../server/src/user-dbs/user-dbs.js';
import { setLogLevel } from '../../../server/src/observability/logger.js';
import type { LogLevel } from '../../../server/src/observability/logger.js';
import { createMetrics } from '../../../server/src/observability/metrics.js';
import { eventsOf } from '../../../server/src/poller/poller.js';
import { createAmqpQueue, retrySteps } from '../../../server/src/queue/queue.amqp.js';
import { createSqliteQueue } from '../../../server/src/queue/queue.sqlite.js';
import type { Queue, RetryPolicy } from '../../../server/src/queue/types.js';
import { createDemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import type { DemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import type { SorAdapter } from '../../../server/src/sor/types.js';
import { SorUnavailableError } from '../../../server/src/sor/types.js';
import { eventually } from '../../support/eventually.js';
import { checkUserDatabases } from './pipeline-oracle.js';
import { RABBITMQ_URL, deleteTopology, rabbitmqSkipReason, shareRabbitmq } from './rabbitmq.js';

setLogLevel((process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent') as LogLevel);

const ADMIN = { username: 'attache-service', password: 'test-password-0123456789' };
const RETRY: RetryPolicy = { maxAttempts: 10, baseDelayMs: 50, maxDelayMs: 500 };
const WORKERS = 3;

let dir: string;
let couch: EmbeddedCouchProcess;
let client: CouchClient & { close(): Promise<void> };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-workers-'));
  couch = await startEmbeddedCouchProcess({ dataDir: dir, admin: ADMIN, logLevel: 'silent' });
  client = createCouchClient({
    url: EMBEDDED_COUCH_ORIGIN,
    socketPath: couch.socketPath,
    credentials: ADMIN,
  });
});
afterAll(async () => {
  await client.close();
  await couch.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const content = (title: string) => ({
  title,
  summary: '',
  bodyHtml: `<p>${title}</p>`,
  classification: 'OFFICIAL',
  priority: 'routine',
  sender: { name: 'Unit', role: 'Dept' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

/** Shares, new versions, unshares and re-shares, in a fixed pseudo-random order, step by step. */
function* workload(sor: DemoSor, users: readonly string[]): Generator<void> {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = () => users[Math.floor(rnd() * users.length)]!;
  const ids: string[] = [];
  for (let i = 0; i < 40; i += 1) {
    ids.push(sor.create({ content: content(`B${i}`), recipients: [pick(), pick(), pick()] }).sorId);
    yield;
  }
  for (let step = 0; step < 80; step += 1) {
    const id = ids[Math.floor(rnd() * ids.length)]!;
    const roll = rnd();
    if (roll < 0.35) sor.update(id, { content: content(`${id} v${step}`) });
    else if (roll < 0.7) sor.unshare(id, [pick()]);
    else sor.share(id, [pick()]);
    yield;
  }
}

async function runWorkers(
  label: string,
  openQueue: () => Queue<FanoutEvent>,
): Promise<{ perWorker: number[]; dead: number }> {
  const sor = createDemoSor({ file: path.join(dir, `${label}.sor.sqlite`) });
  const userDbs = createUserDbs({
    couch: client,
    auth: createBasicUserAuth(`secret-${label}-0123456789abcdef0123456789`),
    serviceAdminName: ADMIN.username,
  });
  // Users of their own per run: the runs share one CouchDB server.
  const users = Array.from({ length: 12 }, (_, i) => `${label}.user-${i}`);
  const producer = openQueue();
  let cursor: string | null = null;
  // The poller's part: the change log since the last page, as events.
  const poll = async () => {
    for (;;) {
      const page = await sor.listChanges(cursor, 50);
      if (page.changes.length === 0) return;
      await producer.enqueue(eventsOf(page));
      cursor = page.nextCursor;
    }
  };

  const perWorker = Array.from({ length: WORKERS }, () => 0);
  const queues: Queue<FanoutEvent>[] = [];
  const workers = perWorker.map((_, index) => {
    const queue = openQueue();
    queues.push(queue);
    const counting: Queue<FanoutEvent> = {
      ...queue,
      claim: async (options) => {
        const got = await queue.claim(options);
        perWorker[index]! += got.length;
        return got;
      },
    };
    return createFanout({
      queue: counting,
      sor,
      couch: client,
      userDbs,
      metrics: createMetrics({ queueDepth: () => queue.depth() }),
      audit: { record: () => undefined, close: () => Promise.resolve() },
      concurrency: 2,
      batchSize: 8,
      idleMs: 50,
    });
  });
  for (const w of workers) w.start();
  // The SOR keeps changing while the workers run, so that shares race unshares and new versions.
  let done = 0;
  for (const _ of workload(sor, users)) {
    done += 1;
    if (done % 4 === 0) {
      await poll();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  await poll();
  await eventually(
    async () => {
      const depth = await producer.depth();
      const leased = (await Promise.all(queues.map((q) => q.depth()))).map((d) => d.leased);
      expect({ ...depth, leased }).toMatchObject({
        ready: 0,
        delayed: 0,
        leased: leased.map(() => 0),
      });
    },
    { what: `${label}: the queue drained`, timeout: 60_000, interval: 100 },
  );
  for (const w of workers) await w.stop();
  const dead = (await producer.depth()).dead;
  const report = await checkUserDatabases(sor, client, users);
  for (const q of queues) await q.close();
  await producer.close();
  sor.close();
  expect(report.problems).toEqual([]);
  expect(report.briefings).toBeGreaterThan(50);
  return { perWorker, dead };
}

const skip = await rabbitmqSkipReason();

describe('several fan-out workers on one queue', () => {
  it('share the work on the SQLite queue and leave every database exactly as the SOR says', async () => {
    const file = path.join(dir, 'workers.queue.sqlite');
    const { perWorker, dead } = await runWorkers('sqlite', () =>
      createSqliteQueue<FanoutEvent>({ file, name: 'fanout', visibilityMs: 30_000, retry: RETRY }),
    );
    expect(perWorker.every((n) => n > 0)).toBe(true);
    expect(dead).toBe(0);
  }, 90_000);

  (skip ? it.skip : it)(
    `share the work on RabbitMQ and leave every database exactly as the SOR says${skip ? ` (skipped: ${skip})` : ''}`,
    async () => {
      const name = `attache-test.workers.${randomBytes(4).toString('hex')}`;
      const release = await shareRabbitmq(); // no broker restart (fault test) meanwhile
      try {
        const { perWorker, dead } = await runWorkers('amqp', () =>
          createAmqpQueue<FanoutEvent>({
            url: RABBITMQ_URL,
            name,
            queueType: 'classic',
            retry: RETRY,
            visibilityMs: 30_000,
            prefetch: 8,
          }),
        );
        expect(perWorker.every((n) => n > 0)).toBe(true);
        expect(dead).toBe(0);
      } finally {
        await deleteTopology(name, retrySteps(RETRY));
        release();
      }
    },
    300_000, // includes waiting out a broker restart by the fault-injection test
  );
});

describe('a share racing an unshare', () => {
  it('ends deleted when the unshare is handled while another worker is still writing the share', async () => {
    const sor = createDemoSor({ file: path.join(dir, 'race.sor.sqlite') });
    const userDbs = createUserDbs({
      couch: client,
      auth: createBasicUserAuth('secret-race-0123456789abcdef0123456789'),
      serviceAdminName: ADMIN.username,
    });
    const recipient = 'race.user';
    const { sorId } = sor.create({ content: content('Race'), recipients: [recipient] });
    const pair = { sorId, recipient };

    // Worker A reads "shared" from the SOR, then stalls before writing.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let fetched!: () => void;
    const fetchedOnce = new Promise<void>((resolve) => (fetched = resolve));
    const stalling: SorAdapter = {
      ...sor,
      fetchDocument: async (id) => {
        const doc = await sor.fetchDocument(id);
        fetched();
        await gate;
        return doc;
      },
    };
    const workerA = reconcilePairs({ sor: stalling, couch: client, userDbs, concurrency: 1 }, [
      pair,
    ]);
    await fetchedOnce;

    // Meanwhile the SOR unshares it, and worker B handles that event: nothing to delete yet.
    sor.unshare(sorId, [recipient]);
    const b = await reconcilePairs({ sor, couch: client, userDbs, concurrency: 1 }, [pair]);
    expect(b.results.get(pairKey(pair))).toMatchObject({ ok: true, outcome: 'absent' });

    // A resumes and writes the stale share; its re-check sees the unshare and deletes it.
    release();
    const a = await workerA;
    expect(a.effects.map((e) => e.outcome)).toEqual(['written', 'deleted']);
    expect(await client.getDoc(userDbNames(recipient).briefings, `briefing:${sorId}`)).toBeNull();
    sor.close();
  });
});

describe('a SOR outage', () => {
  it('pauses the fan-out instead of spending the events’ attempts, and resumes when the SOR answers', async () => {
    const sor = createDemoSor({ file: path.join(dir, 'outage.sor.sqlite') });
    const userDbs = createUserDbs({
      couch: client,
      auth: createBasicUserAuth('secret-outage-0123456789abcdef0123456789'),
      serviceAdminName: ADMIN.username,
    });
    const users = ['outage.user-0', 'outage.user-1'];
    for (let i = 0; i < 6; i += 1) sor.create({ content: content(`O${i}`), recipients: users });
    let down = true;
    let fetches = 0;
    let pings = 0;
    const flaky: SorAdapter = {
      ...sor,
      fetchDocument: (id) => {
        fetches += 1;
        return down
          ? Promise.reject(new SorUnavailableError('connection refused'))
          : sor.fetchDocument(id);
      },
      ping: () => {
        pings += 1;
        return Promise.resolve(!down);
      },
    };
    // Quick retries and few attempts: without the pause, the outage would dead-letter them all.
    const queue = createSqliteQueue<FanoutEvent>({
      file: path.join(dir, 'outage.queue.sqlite'),
      name: 'fanout',
      visibilityMs: 30_000,
      retry: { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 40 },
    });
    await queue.enqueue(eventsOf(await sor.listChanges(null, 100)));
    const fanout = createFanout({
      queue,
      sor: flaky,
      couch: client,
      userDbs,
      metrics: createMetrics({ queueDepth: () => queue.depth() }),
      audit: { record: () => undefined, close: () => Promise.resolve() },
      concurrency: 2,
      batchSize: 50,
      idleMs: 20,
    });
    fanout.start();
    // Counted in the fan-out's own ticks, not in time: three probes of the SOR mean it paused
    // (a fan-out that kept claiming would never probe) and stayed paused through three backoff
    // steps, long past the ~100 ms the retries would need to dead-letter every event.
    await eventually(() => expect(pings).toBeGreaterThanOrEqual(3), {
      what: 'the paused fan-out probing the SOR',
      timeout: 30_000,
    });
    expect((await queue.depth()).dead).toBe(0);
    expect(fetches).toBeLessThanOrEqual(12); // one failed round per batch loop, then the pause
    down = false;
    await eventually(
      async () => expect(await queue.depth()).toMatchObject({ ready: 0, delayed: 0, leased: 0 }),
      { what: 'the queue drained', timeout: 30_000, interval: 100 },
    );
    await fanout.stop();
    expect((await queue.depth()).dead).toBe(0);
    const report = await checkUserDatabases(sor, client, users);
    expect(report.problems).toEqual([]);
    expect(report.briefings).toBe(12);
    await queue.close();
    sor.close();
  });
});

describe('compaction after an unshare', () => {
  it('is asked for before the unshare is acked, and asked again when the first request failed', async () => {
    const sor = createDemoSor({ file: path.join(dir, 'compaction.sor.sqlite') });
    const userDbs = createUserDbs({
      couch: client,
      auth: createBasicUserAuth('secret-compaction-0123456789abcdef0123456789'),
      serviceAdminName: ADMIN.username,
    });
    const recipient = 'compaction.user';
    const { sorId } = sor.create({ content: content('Withdrawn'), recipients: [recipient] });
    const queue = createSqliteQueue<FanoutEvent>({
      file: path.join(dir, 'compaction.queue.sqlite'),
      name: 'fanout',
      visibilityMs: 30_000,
      retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 40 },
    });
    const asked: string[][] = [];
    let failNext = false;
    const fanout = createFanout({
      queue,
      sor,
      couch: client,
      userDbs,
      metrics: createMetrics({ queueDepth: () => queue.depth() }),
      audit: { record: () => undefined, close: () => Promise.resolve() },
      concurrency: 1,
      batchSize: 10,
      idleMs: 20,
      compactions: {
        request: (users) => {
          asked.push([...users]);
          if (!failNext) return Promise.resolve();
          failNext = false;
          return Promise.reject(new Error('control database unreachable'));
        },
        requestReturns: () => Promise.resolve(),
      },
    });
    const drained = () =>
      eventually(
        async () => {
          const depth = await queue.depth();
          expect(depth).toMatchObject({ ready: 0, delayed: 0, leased: 0 });
          return depth;
        },
        { what: 'the queue drained', timeout: 15_000 },
      );
    fanout.start();
    try {
      await queue.enqueue(eventsOf(await sor.listChanges(null, 100)));
      await drained();
      expect(asked).toEqual([]); // a share removes nothing

      const cursor = String((await sor.listChanges(null, 100)).nextCursor);
      sor.unshare(sorId, [recipient]);
      failNext = true;
      await queue.enqueue(eventsOf(await sor.listChanges(cursor, 100)));
      const depth = await drained();
      // First delivery: deleted, but the request failed, so the event was not acked. Its retry
      // finds the briefing gone and asks again.
      expect(asked).toEqual([[recipient], [recipient]]);
      expect(depth.dead).toBe(0);
      expect(await client.getDoc(userDbNames(recipient).briefings, `briefing:${sorId}`)).toBeNull();
    } finally {
      await fanout.stop();
      await queue.close();
      sor.close();
    }
  });
});
