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
import type { SorAdapter, SorDocument } from '../../../server/src/sor/types.js';

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
  credentials: () => ({ username: 'x', password: 'y' }),
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
