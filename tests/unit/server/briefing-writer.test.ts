import { describe, expect, it } from 'vitest';
import { removeBriefing, upsertBriefing } from '../../../server/src/fanout/briefing-writer.js';
import { transformSorDocument } from '../../../server/src/fanout/transform.js';
import { CouchError } from '../../../server/src/couch/types.js';
import type { CouchClient, CouchDoc } from '../../../server/src/couch/types.js';
import type { SorDocument } from '../../../server/src/sor/types.js';

/** An in-memory stand-in for one CouchDB database, with revision checks (real CouchDB runs in the integration tests). */
function memoryCouch() {
  const docs = new Map<string, CouchDoc>();
  const puts: CouchDoc[] = [];
  let conflictsToInject = 0;
  const client: CouchClient = {
    url: 'memory:',
    ping: () => Promise.resolve(true),
    createDb: () => Promise.resolve('exists'),
    getDoc: (_db, id) => Promise.resolve(docs.get(id) ?? null),
    putDoc(_db, doc) {
      const current = docs.get(doc._id);
      if (conflictsToInject > 0 || current?._rev !== doc._rev) {
        conflictsToInject = Math.max(0, conflictsToInject - 1);
        // Someone else wrote meanwhile: bump the stored revision.
        if (current)
          docs.set(doc._id, {
            ...current,
            _rev: `${Number(current._rev!.split('-')[0]) + 1}-other`,
          });
        return Promise.reject(new CouchError('conflict', 409, 'Document update conflict.', 'put'));
      }
      const rev = `${current ? Number(current._rev!.split('-')[0]) + 1 : 1}-x`;
      puts.push(doc);
      docs.set(doc._id, { ...doc, _rev: rev });
      return Promise.resolve({ rev });
    },
    deleteDoc(_db, id, rev) {
      if (docs.get(id)?._rev !== rev)
        return Promise.reject(new CouchError('conflict', 409, 'conflict', 'delete'));
      docs.delete(id);
      return Promise.resolve();
    },
    getSecurity: () => Promise.resolve({}),
    putSecurity: () => Promise.resolve(),
    authenticate: () => Promise.resolve(null),
    sessionName: () => Promise.resolve({ name: null }),
    bulkDocs: () => Promise.reject(new Error('not used by the single-document writer')),
    allDocs: () => Promise.reject(new Error('not used by the single-document writer')),
    changes: () => Promise.reject(new Error('not used by the single-document writer')),
    allDbs: () => Promise.reject(new Error('not used by the single-document writer')),
    dbUpdates: () => Promise.reject(new Error('not used by the single-document writer')),
    docsWithPrefix: () => Promise.reject(new Error('not used by the single-document writer')),
    compact: () => Promise.reject(new Error('not used by the single-document writer')),
  };
  return { client, docs, puts, injectConflicts: (n: number) => (conflictsToInject = n) };
}

function briefing(version: number, title = 'Title') {
  const source: SorDocument = {
    sorId: 'BRF-1',
    version,
    approvedAt: '2025-01-01T00:00:00.000Z',
    recipients: ['alex.morgan'],
    content: {
      title,
      summary: '',
      bodyHtml: '<p>Body</p>',
      classification: 'OFFICIAL',
      priority: 'routine',
      sender: { name: 'A', role: 'B' },
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
    },
    attachments: [
      { name: 'a.pdf', contentType: 'application/pdf', data: new Uint8Array([1, 2, 3]) },
    ],
  };
  return transformSorDocument(source);
}

describe('writing a briefing into a user database', () => {
  it('writes once; a replay with the same content hash writes nothing', async () => {
    const couch = memoryCouch();
    expect(await upsertBriefing(couch.client, 'db', briefing(1))).toBe('written');
    expect(await upsertBriefing(couch.client, 'db', briefing(1))).toBe('unchanged');
    expect(couch.puts).toHaveLength(1);
    expect(couch.puts[0]?._attachments?.['a.pdf']).toMatchObject({
      content_type: 'application/pdf',
      data: 'AQID',
    });
  });

  it('never overwrites a newer source version with an older one', async () => {
    const couch = memoryCouch();
    await upsertBriefing(couch.client, 'db', briefing(3, 'Newest'));
    expect(await upsertBriefing(couch.client, 'db', briefing(2, 'Older'))).toBe('stale');
    expect(couch.docs.get('briefing:BRF-1')?.['title']).toBe('Newest');
  });

  it('sends unchanged attachments as stubs when only the text changed', async () => {
    const couch = memoryCouch();
    await upsertBriefing(couch.client, 'db', briefing(1));
    // The stored document carries CouchDB's digest of the attachment, as a real server returns it.
    const stored = couch.docs.get('briefing:BRF-1')!;
    couch.docs.set('briefing:BRF-1', {
      ...stored,
      _attachments: {
        'a.pdf': {
          content_type: 'application/pdf',
          digest: briefing(1).attachments[0]!.couchDigest,
          stub: true,
        },
      },
    });
    await upsertBriefing(couch.client, 'db', briefing(2, 'New title'));
    expect(couch.puts[1]?._attachments?.['a.pdf']).toMatchObject({ stub: true });
  });

  it('re-reads and retries after a conflicting concurrent write', async () => {
    const couch = memoryCouch();
    await upsertBriefing(couch.client, 'db', briefing(1));
    couch.injectConflicts(2);
    expect(await upsertBriefing(couch.client, 'db', briefing(2, 'v2'))).toBe('written');
    expect(couch.docs.get('briefing:BRF-1')?.['sourceVersion']).toBe(2);
  });

  it('deletes on unshare, and reports absent when there is nothing to delete', async () => {
    const couch = memoryCouch();
    await upsertBriefing(couch.client, 'db', briefing(1));
    expect(await removeBriefing(couch.client, 'db', 'briefing:BRF-1')).toBe('deleted');
    expect(await removeBriefing(couch.client, 'db', 'briefing:BRF-1')).toBe('absent');
  });
});
