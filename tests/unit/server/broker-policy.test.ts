import { describe, expect, it } from 'vitest';
import { checkWriteBody, decideRoute } from '../../../server/src/broker/broker-policy.js';

const allowed = (method: string, path: string) => decideRoute(method, path).allowed;

describe('broker route policy: what replication needs is allowed', () => {
  it.each([
    ['GET', '/db/briefings'],
    ['GET', '/db/briefings/'],
    ['HEAD', '/db/returns'],
    ['GET', '/db/briefings/briefing%3ABRF-000001'],
    ['GET', '/db/briefings/briefing%3ABRF-000001/paper.pdf'],
    ['GET', '/db/briefings/briefing%3ABRF-000001/folder/chart.png'],
    ['GET', '/db/briefings/_changes'],
    ['POST', '/db/briefings/_changes'],
    ['POST', '/db/briefings/_bulk_get'],
    ['POST', '/db/briefings/_revs_diff'],
    ['GET', '/db/briefings/_all_docs'],
    ['POST', '/db/returns/_all_docs'],
    ['GET', '/db/briefings/_local/checkpoint-1'],
    ['PUT', '/db/briefings/_local/checkpoint-1'],
    ['DELETE', '/db/returns/_local/checkpoint-1'],
    ['POST', '/db/returns/_bulk_docs'],
    ['PUT', '/db/returns/receipt-1'],
  ])('%s %s', (method, path) => {
    expect(allowed(method, path)).toBe(true);
  });

  it('maps the alias to a path inside the database, forwarding segments as received', () => {
    expect(decideRoute('GET', '/db/briefings/briefing%3AX/a%20b.pdf')).toEqual({
      allowed: true,
      alias: 'briefings',
      dbPath: '/briefing%3AX/a%20b.pdf',
    });
    expect(decideRoute('GET', '/db/returns/')).toEqual({
      allowed: true,
      alias: 'returns',
      dbPath: '',
    });
    expect(decideRoute('POST', '/db/returns/_bulk_docs')).toMatchObject({ write: 'bulk_docs' });
    expect(decideRoute('PUT', '/db/returns/receipt-1')).toMatchObject({ write: 'doc' });
  });
});

describe('broker route policy: everything else is refused', () => {
  it.each([
    ['PUT', '/db/briefings/briefing%3AX'],
    ['POST', '/db/briefings/_bulk_docs'],
    ['DELETE', '/db/briefings/briefing%3AX'],
    ['DELETE', '/db/returns/receipt-1'],
    ['PUT', '/db/briefings/briefing%3AX/evil.pdf'],
    ['PUT', '/db/returns/receipt-1/att.bin'],
    ['PUT', '/db/briefings'],
    ['DELETE', '/db/returns'],
    ['POST', '/db/returns'],
    ['GET', '/db/briefings/_design/attache'],
    ['PUT', '/db/returns/_design/evil'],
    ['PUT', '/db/returns/_design%2Fevil'],
    ['GET', '/db/briefings/_security'],
    ['PUT', '/db/returns/_security'],
    ['POST', '/db/briefings/_compact'],
    ['POST', '/db/briefings/_find'],
    ['POST', '/db/returns/_purge'],
    ['GET', '/db/briefings/_design%2Fattache'],
    ['GET', '/db/briefings/%5Fsecurity'],
    ['GET', '/db/briefings/_local'],
    ['GET', '/db/briefings/_changes/x'],
    ['GET', '/db/briefings/../userdb-626f62'],
    ['GET', '/db/briefings/%2e%2e/userdb-626f62'],
    ['GET', '/db/briefings/..%2Fuserdb-626f62'],
    ['GET', '/db/briefings/x%2F..%2F..%2Fuserdb-626f62'],
    ['GET', '/db/briefings/x/..'],
    ['GET', '/db/briefings/a%5C..%5Cb'],
    ['GET', '/db/briefings/%E0%A4%A'],
    ['GET', '/db/briefings/doc%00'],
    ['GET', '/db/briefings//'],
    ['GET', '/db/briefings/doc/'],
    ['GET', '/db/briefings//_all_dbs'],
    ['GET', '/db/userdb-626f62'],
    ['GET', '/db/briefingsX'],
    ['GET', '/db/Briefings'],
    ['GET', '/DB/briefings'],
    ['GET', '/db/%62riefings'],
    ['GET', '/db/briefings%2F..%2Fuserdb-626f62'],
    ['GET', '/_all_dbs'],
    ['GET', '/_users/org.couchdb.user%3Abob'],
    ['GET', '/_config'],
    ['GET', '/_node/_local/_config'],
    ['POST', '/_replicate'],
    ['POST', '/_session'],
    ['GET', '/_utils/'],
    ['GET', '/'],
  ] as const)('%s %s', (method, path) => {
    const decision = decideRoute(method, path);
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) expect(decision.reason.length).toBeGreaterThan(0);
  });
});

describe('broker write bodies: only ordinary documents reach the returns database', () => {
  const body = (value: unknown) => Buffer.from(JSON.stringify(value));

  it('passes read receipts and annotations', () => {
    expect(
      checkWriteBody('bulk_docs', body({ docs: [{ _id: 'r-1', type: 'read-receipt' }] })),
    ).toBeNull();
    expect(
      checkWriteBody('bulk_docs', body({ docs: [{ type: 'note' }], new_edits: false })),
    ).toBeNull();
    expect(checkWriteBody('doc', body({ type: 'read-receipt' }))).toBeNull();
  });

  it.each([
    [
      'a design document inside _bulk_docs',
      'bulk_docs',
      { docs: [{ _id: '_design/evil', validate_doc_update: 'function(){}' }] },
    ],
    [
      'a local document inside _bulk_docs',
      'bulk_docs',
      { docs: [{ _id: 'r-1' }, { _id: '_local/x' }] },
    ],
    ['a non-string id', 'bulk_docs', { docs: [{ _id: 42 }] }],
    ['no docs array', 'bulk_docs', { documents: [] }],
    ['a document that is not an object', 'bulk_docs', { docs: ['x'] }],
    ['a design id in a PUT body', 'doc', { _id: '_design/evil' }],
  ] as const)('refuses %s', (_, kind, value) => {
    expect(checkWriteBody(kind, body(value))).toEqual(expect.any(String));
  });

  it('refuses a body that is not JSON', () => {
    expect(checkWriteBody('bulk_docs', Buffer.from('{"docs": ['))).toBe('body is not JSON');
  });
});
