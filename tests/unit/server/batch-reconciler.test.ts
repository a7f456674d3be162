// The batched fan-out against an in-memory CouchDB that answers _bulk_docs out of request order
// (express-pouchdb does), with the revision cache: creates need no read, updates reuse the
// remembered revision, replays read and write nothing, and every answer lands on its own pair.
import { describe, expect, it } from 'vitest';
import {
  createRevisionCache,
  pairKey,
  reconcilePairs,
} from '../../../server/src/fanout/batch-reconciler.js';
import type { ReconcileDeps } from '../../../server/src/fanout/batch-reconciler.js';
import { userDbNames } from '../../../server/src/user-dbs/user-dbs.js';
import type { UserDbs } from '../../../server/src/user-dbs/user-dbs.js';
import type { BulkDocResult, CouchClient, CouchDoc } from '../../../server/src/couch/types.js';
import type {
  SorAdapter,
  SorDeliveryNotice,
  SorDeliveryNotices,
  SorDocument,
} from '../../../server/src/sor/types.js';

function memoryCouch() {
  const docs = new Map<string, CouchDoc>(); // key: db \0 id
  const calls: string[] = [];
  const key = (db: string, id: string) => `${db}\u0000${id}`;
  // Revisions name their document, so that an answer matched to the wrong one shows.
  const nextRev = (id: string, current?: string) =>
    `${current ? Number(current.split('-')[0]) + 1 : 1}-${id}`;
  const client: Partial<CouchClient> = {
    getDoc(db, id) {
      calls.push(`get ${id}`);
      return Promise.resolve(docs.get(key(db, id)) ?? null);
    },
    putDoc(db, doc) {
      calls.push(`put ${doc._id}`);
      const current = docs.get(key(db, doc._id));
      if (current?._rev !== doc._rev) return Promise.reject(new Error('conflict'));
      const rev = nextRev(doc._id, current?._rev);
      docs.set(key(db, doc._id), { ...doc, _rev: rev });
      return Promise.resolve({ rev });
    },
    allDocs(db, ids) {
      calls.push(`read ${ids.join(',')}`);
      return Promise.resolve(
        ids.map((id) => {
          const doc = docs.get(key(db, id));
          return doc
            ? { key: id, id, value: { rev: doc._rev! }, doc }
            : { key: id, error: 'not_found' };
        }),
      );
    },
    bulkDocs(db, batch) {
      calls.push(`bulk ${batch.map((d) => d._id).join(',')}`);
      const answers: BulkDocResult[] = batch.map((doc) => {
        const current = docs.get(key(db, doc._id));
        if ((current?._rev ?? undefined) !== doc._rev) {
          return { id: doc._id, error: 'conflict', reason: 'Document update conflict' };
        }
        const rev = nextRev(doc._id, current?._rev);
        docs.set(key(db, doc._id), { ...doc, _rev: rev });
        return { id: doc._id, ok: true, rev };
      });
      return Promise.resolve(answers.reverse()); // not in request order
    },
  };
  return {
    client: client as CouchClient,
    docs,
    calls,
    get: (db: string, id: string) => docs.get(key(db, id)),
  };
}

function sorWith(versions: Map<string, number>): SorAdapter {
  const doc = (sorId: string): SorDocument => ({
    sorId,
    version: versions.get(sorId)!,
    approvedAt: '2026-01-01T00:00:00.000Z',
    recipients: ['ann'],
    content: {
      title: `${sorId} v${versions.get(sorId)}`,
      summary: '',
      bodyHtml: '<p>x</p>',
      classification: 'OFFICIAL',
      priority: 'routine',
      sender: { name: 'A', role: 'B' },
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    },
    attachments: [],
  });
  return {
    listChanges: () => Promise.reject(new Error('unused')),
    fetchDocument: (sorId) => Promise.resolve(versions.has(sorId) ? doc(sorId) : null),
    fetchShareState: (sorId) =>
      Promise.resolve(
        versions.has(sorId) ? { sorId, version: versions.get(sorId)!, recipients: ['ann'] } : null,
      ),
    fetchShareHistory: () => Promise.reject(new Error('unused')),
    writeReturn: () => Promise.reject(new Error('unused')),
    ping: () => Promise.resolve(true),
  };
}

const userDbs: UserDbs = {
  ensure: (user) => Promise.resolve(userDbNames(user)),
  authorization: () => Promise.resolve('Basic eDp5'),
};

describe('batched fan-out', () => {
  it('matches every _bulk_docs answer to its own document, whatever order they come in', async () => {
    const couch = memoryCouch();
    const versions = new Map([
      ['BRF-1', 1],
      ['BRF-2', 1],
      ['BRF-3', 1],
    ]);
    const deps: ReconcileDeps = {
      sor: sorWith(versions),
      couch: couch.client,
      userDbs,
      concurrency: 1,
      revisions: createRevisionCache(),
    };
    const pairs = ['BRF-1', 'BRF-2', 'BRF-3'].map((sorId) => ({ sorId, recipient: 'ann' }));
    const db = userDbNames('ann').briefings;

    const first = await reconcilePairs(deps, pairs);
    expect(pairs.map((p) => first.results.get(pairKey(p)))).toEqual(
      pairs.map(() => ({ ok: true, outcome: 'written', version: 1 })),
    );
    expect(couch.calls).toEqual(['bulk briefing:BRF-1,briefing:BRF-2,briefing:BRF-3']); // no read

    // New versions: written with the remembered revisions, again without a read or a conflict.
    versions.set('BRF-1', 2);
    versions.set('BRF-3', 2);
    couch.calls.length = 0;
    const second = await reconcilePairs(deps, [pairs[0]!, pairs[2]!]);
    expect(second.effects.map((e) => [e.pair.sorId, e.outcome, e.version])).toEqual([
      ['BRF-1', 'written', 2],
      ['BRF-3', 'written', 2],
    ]);
    expect(couch.calls).toEqual(['bulk briefing:BRF-1,briefing:BRF-3']);
    expect(couch.get(db, 'briefing:BRF-1')).toMatchObject({
      _rev: '2-briefing:BRF-1',
      sourceVersion: 2,
    });
    expect(couch.get(db, 'briefing:BRF-2')).toMatchObject({
      _rev: '1-briefing:BRF-2',
      sourceVersion: 1,
    });

    // A replay reads and writes nothing new.
    couch.calls.length = 0;
    const replay = await reconcilePairs(deps, pairs);
    expect(
      pairs.map((p) => replay.results.get(pairKey(p))?.ok && replay.results.get(pairKey(p))),
    ).toEqual([
      { ok: true, outcome: 'unchanged', version: 2 },
      { ok: true, outcome: 'unchanged', version: 1 },
      { ok: true, outcome: 'unchanged', version: 2 },
    ]);
    expect(couch.calls.filter((c) => c.startsWith('bulk') || c.startsWith('put'))).toEqual([]);
  });

  it('falls back to reading when its memory is wrong (another worker wrote meanwhile)', async () => {
    const couch = memoryCouch();
    const versions = new Map([['BRF-9', 1]]);
    const deps: ReconcileDeps = {
      sor: sorWith(versions),
      couch: couch.client,
      userDbs,
      concurrency: 1,
      revisions: createRevisionCache(),
    };
    const pair = { sorId: 'BRF-9', recipient: 'ann' };
    await reconcilePairs(deps, [pair]);
    // Someone else updates the stored document behind this worker's back.
    const db = userDbNames('ann').briefings;
    const stored = couch.get(db, 'briefing:BRF-9')!;
    couch.docs.set(`${db}\u0000briefing:BRF-9`, { ...stored, _rev: '2-other' });
    versions.set('BRF-9', 2);
    couch.calls.length = 0;
    const result = await reconcilePairs(deps, [pair]);
    expect(result.results.get(pairKey(pair))).toEqual({ ok: true, outcome: 'written', version: 2 });
    expect(couch.calls).toEqual([
      'bulk briefing:BRF-9',
      'get briefing:BRF-9',
      'put briefing:BRF-9',
    ]);
    expect(couch.get(db, 'briefing:BRF-9')).toMatchObject({
      _rev: '3-briefing:BRF-9',
      sourceVersion: 2,
    });
  });
});

describe('the organisation-wide classification ceiling', () => {
  /** A SOR whose documents carry a marking; it records the delivery notices it is sent. */
  function markedSor(docs: Map<string, { version: number; classification: string }>) {
    const notices: SorDeliveryNotice[] = [];
    let failNotices = false;
    const base = sorWith(new Map([...docs].map(([id, d]) => [id, d.version])));
    const sor: SorAdapter & SorDeliveryNotices = {
      ...base,
      fetchDocument: async (sorId) => {
        const doc = await base.fetchDocument(sorId);
        const marking = docs.get(sorId)?.classification;
        return doc && marking
          ? { ...doc, content: { ...(doc.content as object), classification: marking } }
          : doc;
      },
      reportWithheld: (notice) => {
        if (failNotices) return Promise.reject(new Error('SOR down'));
        const seen = notices.some((n) => n.idempotencyKey === notice.idempotencyKey);
        if (!seen) notices.push(notice);
        return Promise.resolve(seen ? 'duplicate' : 'stored');
      },
    };
    return { sor, notices, failNext: (fail: boolean) => (failNotices = fail) };
  }

  it('publishes nothing above it, tells the SOR why once per version, and records each recipient', async () => {
    const couch = memoryCouch();
    const docs = new Map([
      ['BRF-1', { version: 1, classification: 'OFFICIAL' }],
      ['BRF-2', { version: 1, classification: 'SECRET' }],
    ]);
    const { sor, notices } = markedSor(docs);
    const withheld: unknown[] = [];
    const deps: ReconcileDeps = {
      sor,
      couch: couch.client,
      userDbs,
      concurrency: 1,
      ceiling: { highest: 'PROTECTED', notices: sor, onWithheld: (w) => withheld.push(w) },
    };
    const pairs = ['BRF-1', 'BRF-2'].map((sorId) => ({ sorId, recipient: 'ann' }));
    const db = userDbNames('ann').briefings;
    const first = await reconcilePairs(deps, pairs);
    expect(first.results.get(pairKey(pairs[0]!))).toMatchObject({ ok: true, outcome: 'written' });
    expect(first.results.get(pairKey(pairs[1]!))).toEqual({ ok: true, outcome: 'absent' });
    expect(couch.get(db, 'briefing:BRF-2')).toBeUndefined();
    expect(notices).toEqual([
      {
        idempotencyKey: 'withheld:BRF-2:1',
        sorId: 'BRF-2',
        version: 1,
        classification: 'SECRET',
        reason:
          "marked SECRET, above the organisation's ceiling for devices (PROTECTED): not delivered",
      },
    ]);
    expect(withheld).toEqual([
      expect.objectContaining({ pair: pairs[1], version: 1, classification: 'SECRET' }),
    ]);

    // A new version raised above the ceiling takes the delivered one away.
    docs.set('BRF-1', { version: 2, classification: 'TOP SECRET' });
    const again = markedSor(docs);
    const second = await reconcilePairs(
      { ...deps, sor: again.sor, ceiling: { highest: 'PROTECTED', notices: again.sor } },
      [pairs[0]!],
    );
    expect(second.results.get(pairKey(pairs[0]!))).toEqual({ ok: true, outcome: 'deleted' });
    expect(couch.get(db, 'briefing:BRF-1')).toMatchObject({ _deleted: true });
    expect(again.notices.map((n) => n.idempotencyKey)).toEqual(['withheld:BRF-1:2']);
  });

  it('retries (does not ack) when the SOR cannot be told', async () => {
    const couch = memoryCouch();
    const { sor, failNext } = markedSor(
      new Map([['BRF-9', { version: 1, classification: 'TOP SECRET' }]]),
    );
    failNext(true);
    const pair = { sorId: 'BRF-9', recipient: 'ann' };
    const result = await reconcilePairs(
      {
        sor,
        couch: couch.client,
        userDbs,
        concurrency: 1,
        ceiling: { highest: 'SECRET', notices: sor },
      },
      [pair],
    );
    expect(result.results.get(pairKey(pair))).toMatchObject({ ok: false });
    expect(couch.calls).toEqual([]);
  });

  it('lets everything through at TOP SECRET', async () => {
    const couch = memoryCouch();
    const { sor, notices } = markedSor(
      new Map([['BRF-5', { version: 1, classification: 'TOP SECRET' }]]),
    );
    const pair = { sorId: 'BRF-5', recipient: 'ann' };
    await reconcilePairs(
      {
        sor,
        couch: couch.client,
        userDbs,
        concurrency: 1,
        ceiling: { highest: 'TOP SECRET', notices: sor },
      },
      [pair],
    );
    expect(couch.get(userDbNames('ann').briefings, 'briefing:BRF-5')).toBeDefined();
    expect(notices).toEqual([]);
  });
});
