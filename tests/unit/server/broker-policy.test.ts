import { describe, expect, it } from 'vitest';
import { decideRoute } from '../../../server/src/broker/broker-policy.js';

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
  });
});

describe('broker route policy: everything else is refused', () => {
  it.each([
    ['PUT', '/db/briefings/briefing%3AX', 403],
    ['POST', '/db/briefings/_bulk_docs', 403],
    ['DELETE', '/db/briefings/briefing%3AX', 403],
    ['DELETE', '/db/returns/receipt-1', 403],
    ['PUT', '/db/briefings/briefing%3AX/evil.pdf', 403],
    ['PUT', '/db/returns/receipt-1/att.bin', 403],
    ['PUT', '/db/briefings', 403],
    ['DELETE', '/db/returns', 403],
    ['POST', '/db/returns', 403],
    ['GET', '/db/briefings/_design/attache', 404],
    ['PUT', '/db/returns/_design/evil', 404],
    ['GET', '/db/briefings/_security', 404],
    ['PUT', '/db/returns/_security', 404],
    ['POST', '/db/briefings/_compact', 404],
    ['POST', '/db/briefings/_find', 404],
    ['POST', '/db/returns/_purge', 404],
    ['GET', '/db/briefings/_design%2Fattache', 404],
    ['GET', '/db/briefings/%5Fsecurity', 404],
    ['GET', '/db/briefings/_local', 404],
    ['GET', '/db/briefings/_changes/x', 404],
    ['GET', '/db/briefings/../userdb-626f62', 404],
    ['GET', '/db/briefings/%2e%2e/userdb-626f62', 404],
    ['GET', '/db/briefings/x/..', 404],
    ['GET', '/db/briefings/a%5C..%5Cb', 404],
    ['GET', '/db/briefings/%E0%A4%A', 404],
    ['GET', '/db/userdb-626f62', 404],
    ['GET', '/db/briefingsX', 404],
    ['GET', '/_all_dbs', 404],
    ['GET', '/_users/org.couchdb.user%3Abob', 404],
  ] as const)('%s %s -> %i', (method, path, status) => {
    const decision = decideRoute(method, path);
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) {
      expect(decision.status).toBe(status);
      expect(decision.reason.length).toBeGreaterThan(0);
    }
  });
});
