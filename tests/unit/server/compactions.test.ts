// Compactions after unshares: when a database is due (pure), and how the compactor runs them:
// one at a time, spaced out, again when an unshare came during one, and past a failing one.
// CouchDB is faked here (an in-memory control database with revisions, compact() as a hook); the
// real thing runs in tests/integration/server/unshare-compaction.test.ts.
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../server/src/audit/types.js';
import { CONTROL_DB } from '../../../server/src/couch/control-db.js';
import type { CouchClient, CouchDoc } from '../../../server/src/couch/types.js';
import { CouchError } from '../../../server/src/couch/types.js';
import {
  createCompactionRequests,
  createCompactor,
  dueCompactions,
} from '../../../server/src/fanout/compactions.js';
import type { CompactionMarker } from '../../../server/src/fanout/compactions.js';
import { userDbNames } from '../../../server/src/user-dbs/user-dbs.js';
import { createMetrics } from '../../../server/src/observability/metrics.js';
import type { Lease } from '../../../server/src/lease/lease.js';

const marker = (db: string, firstAt: number, lastAt: number): CompactionMarker => ({
  db,
  user: db,
  firstAt,
  lastAt,
  requests: 1,
  rev: '1-a',
});

describe('when a database is due for compaction', () => {
  const policy = { quietMs: 30_000, maxDelayMs: 300_000 };

  it('waits for a quiet period after the latest unshare', () => {
    const m = marker('a', 0, 10_000);
    expect(dueCompactions([m], 39_999, policy)).toEqual([]);
    expect(dueCompactions([m], 40_000, policy)).toEqual([m]);
  });

  it('does not wait longer than the longest delay while unshares keep coming', () => {
    const m = marker('a', 0, 299_000);
    expect(dueCompactions([m], 299_999, policy)).toEqual([]);
    expect(dueCompactions([m], 300_000, policy)).toEqual([m]);
  });

  it('takes the longest waiting first', () => {
    const late = marker('late', 50_000, 50_000);
    const early = marker('early', 10_000, 20_000);
    expect(dueCompactions([late, early], 400_000, policy)).toEqual([early, late]);
  });
});

/** A fake CouchDB: the control database in memory, `compact` calling a hook. */
function fakeCouch(onCompact: (db: string) => Promise<void>) {
  const docs = new Map<string, CouchDoc>();
  let revs = 0;
  const compacted: { db: string; at: number }[] = [];
  const notUsed = () => Promise.reject(new Error('not used here'));
  const client: CouchClient = {
    url: 'fake://couch',
    ping: () => Promise.resolve(true),
    createDb: () => Promise.resolve('exists'),
    getDoc: (db, id) => Promise.resolve(db === CONTROL_DB ? (docs.get(id) ?? null) : null),
    putDoc: (_db, doc) => {
      const current = docs.get(doc._id);
      if ((current?._rev ?? undefined) !== doc._rev) {
        return Promise.reject(new CouchError('conflict', 409, 'Document update conflict.', 'put'));
      }
      revs += 1;
      const rev = `${revs}-x`;
      docs.set(doc._id, { ...doc, _rev: rev });
      return Promise.resolve({ rev });
    },
    deleteDoc: (_db, id, rev) => {
      const current = docs.get(id);
      if (!current) return Promise.reject(new CouchError('not_found', 404, 'missing', 'delete'));
      if (current._rev !== rev) {
        return Promise.reject(new CouchError('conflict', 409, 'Document update conflict.', 'del'));
      }
      docs.delete(id);
      return Promise.resolve();
    },
    docsWithPrefix: (_db, prefix) =>
      Promise.resolve(
        [...docs.values()]
          .filter((d) => d._id.startsWith(prefix))
          .sort((a, b) => a._id.localeCompare(b._id)),
      ),
    compact: async (db) => {
      compacted.push({ db, at: performance.now() });
      await onCompact(db);
    },
    bulkDocs: notUsed,
    allDocs: notUsed,
    changes: notUsed,
    allDbs: notUsed,
    dbUpdates: notUsed,
    getSecurity: notUsed,
    putSecurity: notUsed,
    authenticate: notUsed,
    sessionName: notUsed,
  };
  return { client, docs, compacted };
}

const heldLease: Lease = {
  name: 'compaction',
  isHeld: () => true,
  tick: () => Promise.resolve(true),
  data: () => ({}),
  update: () => Promise.resolve(),
  start: () => undefined,
  stop: () => Promise.resolve(),
};

function setUp(onCompact: (db: string) => Promise<void> = () => Promise.resolve()) {
  let clock = 1_000_000;
  const couch = fakeCouch(onCompact);
  const audit: AuditEntry[] = [];
  const metrics = createMetrics({
    queueDepth: () => Promise.resolve({ ready: 0, leased: 0, dead: 0 }),
  });
  const requests = createCompactionRequests({ couch: couch.client, now: () => clock });
  const compactor = createCompactor({
    couch: couch.client,
    lease: heldLease,
    audit: { record: (entry) => audit.push(entry), close: () => Promise.resolve() },
    metrics,
    quietMs: 1_000,
    maxDelayMs: 10_000,
    minIntervalMs: 50,
    intervalMs: 100,
    now: () => clock,
  });
  return { couch, audit, requests, compactor, advance: (ms: number) => (clock += ms) };
}

describe('the compactor', () => {
  it('makes one compaction of several unshares in a row, once they have quietened', async () => {
    const { couch, audit, requests, compactor, advance } = setUp();
    await requests.request(['ann', 'ann']);
    advance(500);
    await requests.request(['ann', 'bob']);
    advance(500);
    // Ann's latest unshare was 500 ms ago: not yet; Bob's neither.
    expect(await compactor.runOnce()).toBe(0);
    advance(500);
    expect(await compactor.runOnce()).toBe(2);
    expect(couch.compacted.map((c) => c.db)).toEqual([
      userDbNames('ann').briefings,
      userDbNames('bob').briefings,
    ]);
    expect(audit).toEqual([
      expect.objectContaining({ action: 'fanout.compacted', user: 'ann', unshares: 3 }),
      expect.objectContaining({ action: 'fanout.compacted', user: 'bob', unshares: 1 }),
    ]);
    expect(couch.docs.size).toBe(0);
    expect(await compactor.runOnce()).toBe(0);
  });

  it('spaces compactions out, one at a time, however many are due', async () => {
    const { couch, requests, compactor, advance } = setUp();
    await requests.request(['a', 'b', 'c', 'd']);
    advance(1_000);
    expect(await compactor.runOnce()).toBe(4);
    const starts = couch.compacted.map((c) => c.at);
    for (let i = 1; i < starts.length; i += 1) {
      // 50 ms apart; Node may fire a timer a little early against the clock the test reads.
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(45);
    }
  });

  it('compacts again when an unshare came while it was compacting', async () => {
    let requestDuring: (() => Promise<void>) | null = null;
    const { couch, requests, compactor, advance } = setUp(async () => {
      const during = requestDuring;
      requestDuring = null;
      await during?.();
    });
    await requests.request(['ann']);
    advance(1_000);
    requestDuring = () => requests.request(['ann']);
    expect(await compactor.runOnce()).toBe(1);
    // The marker stayed (updated during the compaction): due again after its quiet period.
    expect(couch.docs.size).toBe(1);
    expect(await compactor.runOnce()).toBe(0);
    advance(1_000);
    expect(await compactor.runOnce()).toBe(1);
    expect(couch.docs.size).toBe(0);
  });

  it('goes on past a database whose compaction fails, and tries it again later', async () => {
    const failing = userDbNames('ann').briefings;
    let fail = true;
    const { couch, requests, compactor, advance } = setUp((db) =>
      fail && db === failing ? Promise.reject(new Error('disk full')) : Promise.resolve(),
    );
    await requests.request(['ann', 'bob']);
    advance(1_000);
    expect(await compactor.runOnce()).toBe(1);
    expect([...couch.docs.keys()]).toEqual([`compaction:${failing}`]);
    // Not again at once (backing off), then again once the back-off is over.
    expect(await compactor.runOnce()).toBe(0);
    fail = false;
    advance(60_000);
    expect(await compactor.runOnce()).toBe(1);
    expect(couch.docs.size).toBe(0);
  });

  it('does nothing without the lease', async () => {
    const couch = fakeCouch(() => Promise.resolve());
    const requests = createCompactionRequests({ couch: couch.client, now: () => 0 });
    await requests.request(['ann']);
    const compactor = createCompactor({
      couch: couch.client,
      lease: { ...heldLease, isHeld: () => false },
      audit: { record: () => undefined, close: () => Promise.resolve() },
      metrics: createMetrics({
        queueDepth: () => Promise.resolve({ ready: 0, leased: 0, dead: 0 }),
      }),
      quietMs: 0,
      maxDelayMs: 0,
      minIntervalMs: 0,
      intervalMs: 100,
      now: () => 1_000_000,
    });
    expect(await compactor.runOnce()).toBe(0);
    expect(couch.compacted).toEqual([]);
  });
});
