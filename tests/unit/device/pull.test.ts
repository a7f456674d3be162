// The device's own pull (sync/pull.ts) into the real encrypted store, from a CouchDB-protocol
// server on LevelDB standing in for the broker (couch-source.ts): it stores exactly what
// PouchDB's replication stores, in few requests, resumes from its checkpoint, takes the newest
// first, waits out 429s and misses nothing.
import { randomBytes } from 'node:crypto';
import PouchDB from 'pouchdb-node';
import { afterEach, describe, expect, it } from 'vitest';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import type { Logger } from '../../../src/main/logging/logger.js';
import type { PullTarget, ReplicationEvent, UserStore } from '../../../src/main/storage/types.js';
import { createBrokerTransport } from '../../../src/main/sync/broker-remote.pouch.js';
import type { PullTuning } from '../../../src/main/sync/pull.js';
import { startPull } from '../../../src/main/sync/pull.js';
import type { BrokerTransport } from '../../../src/main/sync/types.js';
import { createInMemoryKeychainTestDouble } from './auth-doubles.js';
import type { CouchSource } from './couch-source.js';
import { pullOnce, startCouchSource } from './couch-source.js';
import { briefing, memoryLogger, openLocalDb, tempDir } from './fixtures.js';

const USER = 'alex.morgan';

function pdf(bytes: number): { content_type: string; data: string } {
  return { content_type: 'application/pdf', data: randomBytes(bytes).toString('base64') };
}

/** Every revision leaf of every document the feed names, with history and attachments. */
async function everything(db: PouchDB.Database, ids: readonly string[]): Promise<unknown> {
  const result: Record<string, unknown> = {};
  for (const id of [...ids].sort()) {
    // open_revs with attachments: PouchDB's typings do not combine them.
    const get = db.get.bind(db) as unknown as (
      id: string,
      options: object,
    ) => Promise<{ ok?: Record<string, unknown> }[]>;
    const leaves = await get(id, { revs: true, open_revs: 'all', attachments: true });
    result[id] = leaves
      .map((leaf) => leaf.ok)
      .sort((a, b) => String(a?.['_rev']).localeCompare(String(b?.['_rev'])));
  }
  return result;
}

async function feedIds(db: PouchDB.Database): Promise<string[]> {
  return (await db.changes({ since: 0 })).results
    .map((change) => change.id)
    .filter((id) => !id.startsWith('_design/'));
}

const transportTo = (url: string): BrokerTransport =>
  createBrokerTransport({
    brokerUrl: url,
    authorization: () => Promise.resolve('Bearer test'),
    onRequest: () => undefined,
  });

/**
 * A stand-in for the broker's reserved-row filter (broker/reserved-row-filter.ts): design
 * documents' changes are taken out of every feed page, its last_seq left as it was.
 */
const withoutDesignDocuments = (plain: BrokerTransport): BrokerTransport => ({
  ...plain,
  request: async (database, path, init) => {
    const response = await plain.request(database, path, init);
    if (!path.startsWith('_changes?') || !response.ok) return response;
    const body = (await response.json()) as { results: { id: string }[] };
    body.results = body.results.filter((change) => !change.id.startsWith('_design/'));
    return Response.json(body);
  },
});

/** Runs a pull (newest first off) until it pauses with nothing to do; a failure rejects. */
function untilIdle(options: {
  transport: BrokerTransport;
  target: PullTarget;
  logger?: Logger;
  tuning: Partial<PullTuning>;
}): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const handle = startPull({
      transport: options.transport,
      target: options.target,
      logger: options.logger ?? memoryLogger().logger,
      backOff: () => 50,
      tuning: { newestFirst: 0, ...options.tuning },
      onEvent: (event) => {
        if (event.kind === 'paused' && event.error === null) void handle.cancel().then(resolve);
        else if (event.kind === 'paused' || (event.kind === 'stopped' && event.error)) {
          reject(event.error instanceof Error ? event.error : new Error('the pull failed'));
        }
      },
    });
  });
}

describe("the device's own pull", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  });

  async function setup(): Promise<{
    couch: CouchSource;
    store: UserStore;
    reopen: () => Promise<UserStore>;
    local: () => Promise<PouchDB.Database>;
    dir: string;
  }> {
    const dir = await tempDir('pull');
    const keychain = createInMemoryKeychainTestDouble();
    const { logger } = memoryLogger();
    const couch = await startCouchSource(`${dir.path}/server`);
    let store = await openUserStore({ dataDir: dir.path, userId: USER, keychain, logger });
    cleanups.push(async () => {
      await store.close();
      await couch.close();
      await dir.remove();
    });
    return {
      couch,
      store,
      dir: dir.path,
      reopen: async () => {
        await store.close();
        store = await openUserStore({ dataDir: dir.path, userId: USER, keychain, logger });
        return store;
      },
      // The store's briefings database read directly (the store closed first).
      local: async () => {
        await store.close();
        const db = await openLocalDb(dir.path, USER, keychain, 'briefings');
        cleanups.push(() => db.close());
        return db;
      },
    };
  }

  it('stores exactly what PouchDB replication stores: revisions, deletions, conflicts, attachments', async () => {
    const { couch, store, local, dir } = await setup();
    const source = couch.db('briefings');
    await source.bulkDocs(
      Array.from({ length: 30 }, (_, i) => ({
        ...briefing(`b${i}`),
        ...(i % 3 === 0 ? { _attachments: { 'paper.pdf': pdf(2_000) } } : {}),
      })),
    );
    // Updated (a new revision, its PDF unchanged and then changed), unshared (deleted), and a
    // conflict (two leaves), as a server's history can hold them.
    const b0 = await source.get('briefing:b0');
    await source.put({ ...b0, title: 'Revised' });
    const b3 = await source.get('briefing:b3', { attachments: true });
    await source.put({ ...b3, _attachments: { 'paper.pdf': pdf(3_000) } });
    await source.remove(await source.get('briefing:b1'));
    await source.bulkDocs(
      [{ ...briefing('b2'), title: 'Other branch', _rev: '2-0123456789abcdef0123456789abcdef' }],
      { new_edits: false },
    );

    await pullOnce(store, couch.url);
    // Further changes after the first sync arrive too.
    await source.remove(await source.get('briefing:b6'));
    await source.put({ ...briefing('late'), _attachments: { 'late.pdf': pdf(1_000) } });
    await pullOnce(store, couch.url);

    const replicated = new PouchDB(`${dir}/plain-replica`);
    cleanups.push(() => replicated.close());
    await PouchDB.replicate(new PouchDB(`${couch.url}/db/briefings`), replicated);
    const ids = await feedIds(source);
    expect(ids).toHaveLength(31);
    const mine = await local();
    expect(await everything(mine, ids)).toEqual(await everything(replicated, ids));
    // And the same content as the server (PouchDB's own writes renumber an attachment's revpos
    // to the revision that brought its bytes; replication does so too).
    const withoutRevpos = (value: unknown): unknown =>
      JSON.parse(
        JSON.stringify(value, (key, field: unknown) => (key === 'revpos' ? undefined : field)),
      );
    expect(withoutRevpos(await everything(mine, ids))).toEqual(
      withoutRevpos(await everything(source, ids)),
    );
  }, 60_000);

  it('fetches attachments inline with a few bounded requests, never one per attachment', async () => {
    const { couch, store } = await setup();
    await couch.db('briefings').bulkDocs(
      Array.from({ length: 300 }, (_, i) => ({
        ...briefing(`p${i}`),
        _attachments: { 'paper.pdf': pdf(64 * 1024) },
      })),
    );
    await pullOnce(store, couch.url, { tuning: { inFlight: 4, batchSize: 50 } });
    expect(await store.listBriefingDocs()).toHaveLength(300);
    const briefingsRequests = couch.requests.filter((r) => r.includes('/db/briefings'));
    // No GET of a document or an attachment, no database-info request: _changes and _bulk_get.
    expect(briefingsRequests.filter((r) => !/\/_changes\?|\/_bulk_get\?/.test(r))).toEqual([]);
    // 300 briefings in batches of 50 (the 50 newest first, split over the 4 in flight); a
    // handful of feed reads.
    expect(briefingsRequests.filter((r) => r.includes('_bulk_get')).length).toBeLessThanOrEqual(10);
    expect(briefingsRequests.length).toBeLessThanOrEqual(15);
    expect(couch.peakOpen()).toBeLessThanOrEqual(5);
    const stored = await store.getBriefingAttachment('briefing:p7', 'paper.pdf');
    expect(stored?.data.length).toBe(64 * 1024);
  }, 60_000);

  it('takes the newest briefings first on a first sync', async () => {
    const { couch, store } = await setup();
    const count = 400;
    await couch
      .db('briefings')
      .bulkDocs(
        Array.from({ length: count }, (_, i) => briefing(`n${String(i).padStart(4, '0')}`)),
      );
    const events: ReplicationEvent[] = [];
    await pullOnce(store, couch.url, { tuning: { newestFirst: 50, batchSize: 50 }, events });
    // The first writes, as many as the requests in flight, hold the 50 newest.
    const firstWrites = events
      .filter((event) => event.kind === 'change')
      .slice(0, 4)
      .flatMap((event) => (event.kind === 'change' ? event.ids : []));
    const newest = Array.from(
      { length: 50 },
      (_, i) => `briefing:n${String(count - 1 - i).padStart(4, '0')}`,
    );
    expect(firstWrites.sort()).toEqual(newest.sort());
    expect(await store.listBriefingDocs()).toHaveLength(count);
  }, 60_000);

  it('waits out 429 answers (back-pressure) and still stores everything, reporting no failure', async () => {
    const { couch, store } = await setup();
    await couch.db('briefings').bulkDocs(Array.from({ length: 200 }, (_, i) => briefing(`t${i}`)));
    couch.refuseEvery(2);
    const events: ReplicationEvent[] = [];
    await pullOnce(store, couch.url, { tuning: { batchSize: 20 }, events });
    expect(couch.requests.length).toBeGreaterThan(10);
    expect(events.filter((event) => event.kind === 'paused' && event.error !== null)).toEqual([]);
    expect(await store.listBriefingDocs()).toHaveLength(200);
  }, 60_000);

  it('resumes from its checkpoint after an interruption, fetching nothing twice', async () => {
    const { couch, store, reopen } = await setup();
    await couch.db('briefings').bulkDocs(Array.from({ length: 300 }, (_, i) => briefing(`r${i}`)));
    // Interrupted once the first page (100 changes) is written and checkpointed.
    const firstRun: ReplicationEvent[] = [];
    await new Promise<void>((resolve, reject) => {
      const handle = startPull({
        transport: transportTo(couch.url),
        target: store.pullTarget,
        logger: memoryLogger().logger,
        backOff: () => 50,
        tuning: { pageSize: 100, newestFirst: 0 },
        onEvent: (event) => {
          firstRun.push(event);
          if (event.kind === 'checkpoint') void handle.cancel().then(resolve, reject);
        },
      });
    });
    const before = couch.requests.length;
    const reopened = await reopen();
    const secondRun: ReplicationEvent[] = [];
    await pullOnce(reopened, couch.url, {
      tuning: { pageSize: 100, newestFirst: 0 },
      events: secondRun,
    });
    const written = (events: ReplicationEvent[]) =>
      events.flatMap((event) => (event.kind === 'change' ? event.ids : []));
    // Every briefing written exactly once over both runs.
    expect([...written(firstRun), ...written(secondRun)].sort()).toEqual(
      Array.from({ length: 300 }, (_, i) => `briefing:r${i}`).sort(),
    );
    // The second run's pages of the feed start at the checkpoint, not at the beginning (the
    // whole feed it reads beside them is for the final pass, and fetches nothing by itself).
    const resumed = couch.requests
      .slice(before)
      .find((r) => r.includes('/_changes?') && r.includes('limit='));
    expect(resumed).toMatch(/since=100&/);
    expect(await reopened.listBriefingDocs()).toHaveLength(300);
  }, 60_000);

  /** A transport whose `_bulk_get` requests pass through `around` (with the ids they ask for). */
  const watched = (
    url: string,
    around: (ids: readonly string[], send: () => Promise<Response>) => Promise<Response>,
  ): BrokerTransport => {
    const plain = transportTo(url);
    return {
      ...plain,
      request: (database, path, init) => {
        const send = () => plain.request(database, path, init);
        if (!path.startsWith('_bulk_get')) return send();
        const body = init?.body as { docs: { id: string }[] };
        return around(
          body.docs.map((doc) => doc.id),
          send,
        );
      },
    };
  };

  it('starts fetching the next page while the last requests of a page are in flight', async () => {
    const { couch, store } = await setup();
    await couch.db('briefings').bulkDocs(Array.from({ length: 60 }, (_, i) => briefing(`o${i}`)));
    // The request holding the last briefing of the first page (of 20) is slow; a pull that
    // waited for a whole page before the next would leave three of its four requests idle.
    let slowOpen = false;
    let nextPageWhileSlow = false;
    const transport = watched(couch.url, async (ids, send) => {
      if (ids.some((id) => /^briefing:o(2\d|3\d)$/.test(id)) && slowOpen) nextPageWhileSlow = true;
      if (!ids.includes('briefing:o19')) return send();
      slowOpen = true;
      await new Promise((resolve) => setTimeout(resolve, 300));
      try {
        return await send();
      } finally {
        slowOpen = false;
      }
    });
    await untilIdle({
      transport,
      target: store.pullTarget,
      tuning: { pageSize: 20, batchSize: 5 },
    });
    expect(nextPageWhileSlow).toBe(true);
    expect(await store.listBriefingDocs()).toHaveLength(60);
  }, 60_000);

  it('checkpoints pages in order, never past one not wholly written, and leaves nothing running after a failure', async () => {
    const { couch, store } = await setup();
    await couch.db('briefings').bulkDocs(Array.from({ length: 60 }, (_, i) => briefing(`f${i}`)));
    // The first request for a briefing of the second page fails, while the third page's may
    // already be in flight.
    let failed = false;
    const transport = watched(couch.url, async (ids, send) => {
      if (!failed && ids.includes('briefing:f27')) {
        failed = true;
        await new Promise((resolve) => setTimeout(resolve, 100));
        return new Response('{"error":"unavailable"}', { status: 503 });
      }
      return send();
    });
    const events: ReplicationEvent[] = [];
    await new Promise<void>((resolve, reject) => {
      const handle = startPull({
        transport,
        target: store.pullTarget,
        logger: memoryLogger().logger,
        backOff: () => 50,
        tuning: { pageSize: 20, batchSize: 5, newestFirst: 0 },
        onEvent: (event) => {
          events.push(event);
          if (event.kind === 'paused' && event.error === null) void handle.cancel().then(resolve);
          if (event.kind === 'stopped' && event.error)
            reject(event.error instanceof Error ? event.error : new Error('the pull stopped'));
        },
      });
    });
    const failure = events.findIndex((event) => event.kind === 'paused' && event.error !== null);
    expect(failure).toBeGreaterThan(0);
    // Between the failure and the next attempt, nothing is written.
    const retry = events.findIndex((event, i) => i > failure && event.kind === 'active');
    expect(events.slice(failure + 1, retry).filter((event) => event.kind === 'change')).toEqual([]);
    // Checkpoints only grow, and none covers the second page before f27 is written.
    const seqs = events.flatMap((event) =>
      event.kind === 'checkpoint' ? [Number(event.seq)] : [],
    );
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const f27 = events.findIndex(
      (event) => event.kind === 'change' && event.ids.includes('briefing:f27'),
    );
    const past = events.findIndex(
      (event) => event.kind === 'checkpoint' && Number(event.seq) >= 40,
    );
    expect(f27).toBeGreaterThan(failure);
    expect(past).toBeGreaterThan(f27);
    expect(await store.listBriefingDocs()).toHaveLength(60);
    expect(await store.pullTarget.readCheckpoint()).toEqual({ since: 60, verified: true });
  }, 60_000);

  it('ends a first sync complete even when its checkpoint passed changes it never stored', async () => {
    const { couch, store } = await setup();
    await couch.db('briefings').bulkDocs(Array.from({ length: 120 }, (_, i) => briefing(`m${i}`)));
    // As if an earlier run had moved the checkpoint past 60 changes it never wrote.
    await store.pullTarget.writeCheckpoint({ since: 60, verified: false });
    await pullOnce(store, couch.url, { tuning: { newestFirst: 0 } });
    expect(await store.listBriefingDocs()).toHaveLength(120);
    expect(await store.pullTarget.readCheckpoint()).toEqual({ since: 120, verified: true });
  }, 60_000);

  it('takes over a store the previous release synced with PouchDB replication, fetching nothing again', async () => {
    const { couch, dir } = await setup();
    const source = couch.db('briefings');
    await source.bulkDocs(
      Array.from({ length: 40 }, (_, i) => ({
        ...briefing(`old${i}`),
        _attachments: { 'paper.pdf': pdf(4_000) },
      })),
    );
    // The previous release: PouchDB's replicator into the encrypted store, its checkpoint kept
    // on the device ('target').
    const keychain = createInMemoryKeychainTestDouble();
    const old = await openLocalDb(`${dir}/old`, USER, keychain, 'briefings');
    await PouchDB.replicate(new PouchDB(`${couch.url}/db/briefings`), old, {
      checkpoint: 'target',
      batch_size: 50,
    });
    await old.close();
    const { logger } = memoryLogger();
    const store = await openUserStore({ dataDir: `${dir}/old`, userId: USER, keychain, logger });
    cleanups.push(() => store.close());
    expect(await store.listBriefingDocs()).toHaveLength(40);
    const before = couch.requests.length;
    const events: ReplicationEvent[] = [];
    await pullOnce(store, couch.url, { events });
    // Its feed is read again (a new checkpoint), but nothing is fetched or written twice.
    expect(couch.requests.slice(before).filter((r) => r.includes('_bulk_get'))).toEqual([]);
    expect(events.filter((event) => event.kind === 'change')).toEqual([]);
    await source.put({ ...briefing('new') });
    await pullOnce(store, couch.url);
    expect(await store.listBriefingDocs()).toHaveLength(41);
  }, 60_000);

  it('reads the whole feed in the first pass when the broker leaves design documents out of its pages', async () => {
    const { couch, store } = await setup();
    const source = couch.db('briefings');
    await source.put({ _id: '_design/attache', validate_doc_update: 'function () {}' });
    await source.bulkDocs(Array.from({ length: 250 }, (_, i) => briefing(`d${i}`)));
    // The design document's change is taken out, so the first page holds 99 of the 100 asked for.
    const transport = withoutDesignDocuments(transportTo(couch.url));
    const log = memoryLogger();
    await untilIdle({
      transport,
      target: store.pullTarget,
      logger: log.logger,
      tuning: { pageSize: 100 },
    });
    expect(await store.listBriefingDocs()).toHaveLength(250);
    // The final pass found nothing to fetch, and the checkpoint is at the end of the feed.
    expect(log.records.filter((record) => record.message.includes('final pass'))).toEqual([]);
    expect(await store.pullTarget.readCheckpoint()).toEqual({ since: 251, verified: true });
  }, 60_000);

  it('moves past changes the broker takes out of the feed, and never asks the live feed from behind them', async () => {
    const { couch, store } = await setup();
    const source = couch.db('briefings');
    await source.bulkDocs(Array.from({ length: 3 }, (_, i) => briefing(`m${i}`)));
    // The last changes of the feed are all ones the broker leaves out: its pages come back
    // empty with a last_seq that moved. A live feed asked from before them is answered at once,
    // empty, every time (before: about 270 requests a second until the rate limit refused them).
    await source.put({ _id: '_design/attache', validate_doc_update: 'function () {}' });
    await source.put({ _id: '_design/other', views: {} });
    const transport = withoutDesignDocuments(transportTo(couch.url));
    const paused = new Promise<void>((resolve, reject) => {
      const handle = startPull({
        transport,
        target: store.pullTarget,
        logger: memoryLogger().logger,
        backOff: () => 50,
        tuning: { newestFirst: 0, longPollMs: 5_000, pageSize: 3 },
        onEvent: (event) => {
          if (event.kind === 'paused' && event.error === null) {
            // Live: give a tight loop time to show itself, then stop.
            setTimeout(() => void handle.cancel().then(resolve), 500);
          } else if (event.kind === 'paused' || (event.kind === 'stopped' && event.error)) {
            reject(event.error instanceof Error ? event.error : new Error('the pull failed'));
          }
        },
      });
    });
    await paused;
    expect(await store.listBriefingDocs()).toHaveLength(3);
    expect(await store.pullTarget.readCheckpoint()).toEqual({ since: 5, verified: true });
    const live = couch.requests.filter((request) => request.includes('feed=longpoll'));
    expect(live.length).toBeLessThanOrEqual(2);
    expect(live.every((request) => request.includes('since=5'))).toBe(true);
  }, 60_000);

  it('on a first sync asks the store only about what it does not already hold', async () => {
    const { couch, store } = await setup();
    const source = couch.db('briefings');
    await source.bulkDocs(Array.from({ length: 200 }, (_, i) => briefing(`h${i}`)));
    // The store holds all 200; then 120 change on the server and 20 are added, and the store
    // is told to sync from the start (as after a change of the rule deciding what it holds).
    await pullOnce(store, couch.url, { tuning: { newestFirst: 0 } });
    const changed = await source.allDocs({
      keys: Array.from({ length: 120 }, (_, i) => `briefing:h${80 + i}`),
      include_docs: true,
    });
    await source.bulkDocs(
      changed.rows.flatMap((row) =>
        'doc' in row && row.doc ? [{ ...row.doc, title: 'Revised' }] : [],
      ),
    );
    await store.pullTarget.writeCheckpoint({ since: 0, verified: false });
    await source.bulkDocs(Array.from({ length: 20 }, (_, i) => briefing(`n${i}`)));
    const asked: string[] = [];
    const target = {
      ...store.pullTarget,
      missingRevisions: (revisions: Readonly<Record<string, readonly string[]>>) => {
        asked.push(...Object.keys(revisions));
        return store.pullTarget.missingRevisions(revisions);
      },
    };
    await untilIdle({ transport: transportTo(couch.url), target, tuning: { pageSize: 50 } });
    // The 80 held at their server revision are never asked about; the 120 the store holds at
    // an older revision are, once each; the 20 it does not hold at all are fetched without
    // asking (only the pull writes into the briefings).
    expect(asked.filter((id) => /^briefing:h([0-9]|[1-7][0-9])$/.test(id))).toEqual([]);
    expect(asked.filter((id) => id.startsWith('briefing:n'))).toEqual([]);
    expect(new Set(asked).size).toBe(120);
    expect(asked).toHaveLength(120);
    expect(await store.listBriefingDocs()).toHaveLength(220);
    // Where the device writes too (the returns), what the pull does not hold is asked about.
    await store.pullTarget.writeCheckpoint({ since: 0, verified: false });
    await source.bulkDocs(Array.from({ length: 5 }, (_, i) => briefing(`s${i}`)));
    asked.length = 0;
    await untilIdle({
      transport: transportTo(couch.url),
      target: { ...target, soleWriter: false },
      tuning: { pageSize: 50 },
    });
    expect(asked.filter((id) => id.startsWith('briefing:s')).sort()).toEqual(
      Array.from({ length: 5 }, (_, i) => `briefing:s${i}`),
    );
    expect(await store.listBriefingDocs()).toHaveLength(225);
  }, 60_000);

  it('proves a first sync complete from the store itself, not from what the pull believes it wrote', async () => {
    const { couch, store } = await setup();
    await couch.db('briefings').bulkDocs(Array.from({ length: 150 }, (_, i) => briefing(`p${i}`)));
    // A target that reports one briefing written the first time without writing it.
    let dropped = false;
    const target = {
      ...store.pullTarget,
      writeReplicated: async (docs: Parameters<typeof store.pullTarget.writeReplicated>[0]) => {
        const lost = dropped ? undefined : docs.find((doc) => doc._id === 'briefing:p42');
        if (!lost) return store.pullTarget.writeReplicated(docs);
        dropped = true;
        const ids = await store.pullTarget.writeReplicated(docs.filter((doc) => doc !== lost));
        return [...ids, lost._id];
      },
    };
    const log = memoryLogger();
    const requests: string[] = [];
    const plain = transportTo(couch.url);
    await untilIdle({
      transport: {
        ...plain,
        request: (database, path, init) => {
          requests.push(path);
          return plain.request(database, path, init);
        },
      },
      target,
      logger: log.logger,
      tuning: { pageSize: 50 },
    });
    expect(dropped).toBe(true);
    expect(await store.getBriefingDoc('briefing:p42')).not.toBeNull();
    expect(await store.listBriefingDocs()).toHaveLength(150);
    expect(log.records.map((record) => record.message)).toContain(
      'the final pass of the first sync fetched missed briefings',
    );
    // The whole feed is read once, as the first sync begins, beside the fill's pages; not again
    // at its end.
    const whole = requests.filter((path) => /^_changes\?style=all_docs&since=0$/.test(path));
    expect(whole).toHaveLength(1);
    expect(requests.indexOf(whole[0] ?? '')).toBeLessThan(
      requests.findIndex((path) => path.startsWith('_bulk_get')),
    );
  }, 60_000);
});
