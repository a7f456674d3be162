import { describe, expect, it } from 'vitest';
import { ALLOW_LIST, ruleFor } from '../../../server/src/broker/allow-list.js';
import type { EndpointRule } from '../../../server/src/broker/allow-list.js';
import { bulkDocsBody, bulkGetBody, docWriteBody } from '../../../server/src/broker/body-rules.js';
import {
  QUERY_MAX,
  checkBody,
  decideQuery,
  decideRoute,
} from '../../../server/src/broker/broker-policy.js';
import { SAMPLE_REV } from '../../../server/src/broker/query-rules.js';

const allowed = (method: string, path: string) => decideRoute(method, path).allowed;

function rule(alias: 'briefings' | 'returns', endpoint: string, method: string): EndpointRule {
  const found = ruleFor(alias, endpoint as never, method);
  if (!found) throw new Error(`no rule for ${alias} ${endpoint} ${method}`);
  return found;
}

/** Every (alias, endpoint, method, rule) the table lists. */
const LISTED = Object.entries(ALLOW_LIST).flatMap(([alias, endpoints]) =>
  Object.entries(endpoints).flatMap(([endpoint, methods]) =>
    Object.entries(methods ?? {}).map(
      ([method, r]) => [`${alias} ${endpoint} ${method}`, r] as const,
    ),
  ),
);

describe('broker route policy: what replication needs is allowed', () => {
  it.each([
    ['GET', '/db/briefings', 'database'],
    ['GET', '/db/briefings/', 'database'],
    ['HEAD', '/db/returns', 'database'],
    ['GET', '/db/briefings/briefing%3ABRF-000001', 'document'],
    ['HEAD', '/db/briefings/briefing%3ABRF-000001', 'document'],
    ['GET', '/db/briefings/briefing%3ABRF-000001/paper.pdf', 'attachment'],
    ['GET', '/db/briefings/briefing%3ABRF-000001/folder/chart.png', 'attachment'],
    ['GET', '/db/briefings/_changes', 'changes'],
    ['GET', '/db/returns/_changes', 'changes'],
    ['POST', '/db/briefings/_bulk_get', 'bulk_get'],
    ['POST', '/db/returns/_bulk_get', 'bulk_get'],
    ['POST', '/db/returns/_revs_diff', 'revs_diff'],
    ['GET', '/db/briefings/_all_docs', 'all_docs'],
    ['POST', '/db/returns/_all_docs', 'all_docs'],
    ['POST', '/db/returns/_bulk_docs', 'bulk_docs'],
    ['PUT', '/db/returns/receipt-1', 'document'],
  ])('%s %s', (method, path, endpoint) => {
    expect(decideRoute(method, path)).toMatchObject({ allowed: true, endpoint });
  });

  it('maps the alias to a path inside the database, forwarding segments as received', () => {
    expect(decideRoute('GET', '/db/briefings/briefing%3AX/a%20b.pdf')).toMatchObject({
      allowed: true,
      alias: 'briefings',
      dbPath: '/briefing%3AX/a%20b.pdf',
      docPath: '/briefing%3AX',
    });
    expect(decideRoute('GET', '/db/returns/')).toMatchObject({
      allowed: true,
      alias: 'returns',
      dbPath: '',
    });
    expect(decideRoute('POST', '/db/returns/_bulk_docs')).toMatchObject({
      rule: { body: bulkDocsBody },
    });
    expect(decideRoute('PUT', '/db/returns/receipt-1')).toMatchObject({
      rule: { body: docWriteBody },
    });
  });
});

describe('broker route policy: everything else is refused', () => {
  it.each([
    ['PUT', '/db/briefings/briefing%3AX'],
    ['POST', '/db/briefings/_bulk_docs'],
    ['POST', '/db/briefings/_revs_diff'],
    ['DELETE', '/db/briefings/briefing%3AX'],
    ['DELETE', '/db/returns/receipt-1'],
    ['PUT', '/db/briefings/briefing%3AX/evil.pdf'],
    ['PUT', '/db/returns/receipt-1/att.bin'],
    ['PUT', '/db/briefings'],
    ['DELETE', '/db/returns'],
    ['POST', '/db/returns'],
    // Filters by doc_ids or selector are not needed by replication.
    ['POST', '/db/briefings/_changes'],
    ['HEAD', '/db/briefings/_changes'],
    ['GET', '/db/briefings/_bulk_get'],
    // Devices keep their replication checkpoints on the device.
    ['GET', '/db/briefings/_local/checkpoint-1'],
    ['PUT', '/db/briefings/_local/checkpoint-1'],
    ['PUT', '/db/returns/_local/_security'],
    ['GET', '/db/briefings/_local/_security'],
    ['DELETE', '/db/returns/_local/checkpoint-1'],
    ['GET', '/db/briefings/_local%2F_security'],
    ['GET', '/db/briefings/%5Flocal/_security'],
    ['GET', '/db/briefings/_design/attache'],
    ['PUT', '/db/returns/_design/evil'],
    ['PUT', '/db/returns/_design%2Fevil'],
    ['GET', '/db/briefings/_security'],
    ['PUT', '/db/returns/_security'],
    ['POST', '/db/briefings/_compact'],
    ['POST', '/db/briefings/_find'],
    ['POST', '/db/briefings/_index'],
    ['POST', '/db/returns/_purge'],
    ['POST', '/db/returns/_ensure_full_commit'],
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
    expect(allowed(method, path)).toBe(false);
  });
});

describe('broker query policy: the allow-list table judges every parameter', () => {
  it.each(LISTED)(
    '%s: each listed parameter passes its valid samples and refuses the rest',
    (_, r) => {
      for (const [name, param] of Object.entries(r.params)) {
        for (const value of param.samples.valid) {
          const decision = decideQuery(r, `${name}=${encodeURIComponent(value)}`);
          expect(decision, `${name}=${value}`).toMatchObject({ allowed: true });
        }
        for (const value of param.samples.invalid) {
          const decision = decideQuery(r, `${name}=${encodeURIComponent(value)}`);
          expect(decision.allowed, `${name}=${value}`).toBe(false);
          if (!decision.allowed) expect(decision.reason).toContain(`"${name}"`);
        }
      }
    },
  );

  it.each(LISTED)('%s: unknown, repeated and malformed parameters are refused', (_, r) => {
    const first = Object.keys(r.params)[0];
    const refusals = [
      'filter=_view&view=attache%2Fall',
      'filter=attache/all',
      'filter=_design',
      'filter=_selector',
      'view=attache/all',
      'selector=%7B%7D',
      'doc_ids=%5B%5D',
      '_nonce=1',
      '__proto__=x',
      'constructor=x',
      'hasOwnProperty=x',
      'x',
      '=1',
      '&',
      'a=%E0%A4%A',
      ...(first ? [`${first.toUpperCase()}=true`, `${first}%00=true`, `${first}[]=true`] : []),
    ];
    for (const query of refusals) {
      expect(decideQuery(r, query), query).toMatchObject({ allowed: false });
    }
    if (first) {
      const value = encodeURIComponent(r.params[first]?.samples.valid[0] ?? '');
      expect(decideQuery(r, `${first}=${value}&${first}=${value}`)).toEqual({
        allowed: false,
        reason: `repeated parameter "${first}"`,
      });
    }
  });

  it('names an unknown parameter in the reason, bounded and with control characters escaped', () => {
    expect(decideQuery(rule('briefings', 'changes', 'GET'), 'filter=_view')).toEqual({
      allowed: false,
      reason: 'unknown parameter "filter"',
    });
    const decision = decideQuery(rule('briefings', 'changes', 'GET'), `a%0A${'b'.repeat(100)}=1`);
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) {
      expect(decision.reason).not.toContain('\n');
      expect(decision.reason.length).toBeLessThan(80);
    }
  });

  it('refuses a query string over the limit before parsing it', () => {
    const r = rule('briefings', 'changes', 'GET');
    expect(decideQuery(r, `since=${'1'.repeat(QUERY_MAX)}`)).toEqual({
      allowed: false,
      reason: 'query string too long',
    });
  });

  it('accepts exactly what PouchDB’s replicator sends, and forwards it re-encoded', () => {
    const changes = decideQuery(
      rule('briefings', 'changes', 'GET'),
      'style=all_docs&since=0&limit=50&feed=longpoll&heartbeat=10000',
    );
    expect(changes).toMatchObject({
      allowed: true,
      upstream: '?style=all_docs&since=0&limit=50&feed=longpoll&heartbeat=10000',
    });
    const restore = decideQuery(
      rule('returns', 'changes', 'GET'),
      'style=all_docs&since=12&limit=50&include_docs=true',
    );
    expect(restore).toMatchObject({ allowed: true });
    // CouchDB's replicator quotes its sequence as JSON.
    const couch = decideQuery(
      rule('briefings', 'changes', 'GET'),
      'feed=normal&style=all_docs&since=%2212-g1AAAAB4eJzLYWBg%22&timeout=10000',
    );
    expect(couch).toMatchObject({
      allowed: true,
      upstream: '?feed=normal&style=all_docs&since=%2212-g1AAAAB4eJzLYWBg%22&timeout=10000',
    });
    // `+` is a space in a query string, judged (and refused) as one.
    expect(decideQuery(rule('briefings', 'changes', 'GET'), 'since=now+1')).toMatchObject({
      allowed: false,
    });
  });

  it('asks for the newest leaf whenever open_revs or _bulk_get name revisions', () => {
    const revs = encodeURIComponent(JSON.stringify([SAMPLE_REV]));
    expect(
      decideQuery(rule('briefings', 'document', 'GET'), `revs=true&open_revs=${revs}`),
    ).toMatchObject({
      allowed: true,
      upstream: `?revs=true&open_revs=${revs}&latest=true`,
    });
    expect(decideQuery(rule('briefings', 'document', 'GET'), 'open_revs=all')).toMatchObject({
      upstream: '?open_revs=all&latest=true',
    });
    expect(decideQuery(rule('briefings', 'bulk_get', 'POST'), 'revs=true')).toMatchObject({
      upstream: '?revs=true&latest=true',
    });
    expect(decideQuery(rule('briefings', 'bulk_get', 'POST'), '')).toMatchObject({
      upstream: '?latest=true',
    });
    expect(decideQuery(rule('briefings', 'bulk_get', 'POST'), 'latest=false')).toMatchObject({
      allowed: false,
    });
    // A plain read keeps its shape: latest would make CouchDB answer the winner for `rev`.
    expect(decideQuery(rule('briefings', 'document', 'GET'), `rev=${SAMPLE_REV}`)).toMatchObject({
      upstream: `?rev=${SAMPLE_REV}`,
    });
    expect(
      decideQuery(rule('briefings', 'document', 'GET'), `rev=${SAMPLE_REV}&open_revs=all`),
    ).toEqual({ allowed: false, reason: 'parameters "rev" and "open_revs" together' });
  });

  it('takes no parameters at all where replication sends none', () => {
    for (const [alias, endpoint, method] of [
      ['briefings', 'database', 'GET'],
      ['returns', 'bulk_docs', 'POST'],
      ['returns', 'revs_diff', 'POST'],
      ['returns', 'document', 'PUT'],
    ] as const) {
      const r = rule(alias, endpoint, method);
      expect(decideQuery(r, '')).toEqual({ allowed: true, params: new Map(), upstream: '' });
      expect(decideQuery(r, 'new_edits=false')).toMatchObject({ allowed: false });
    }
  });
});

describe('broker body policy: the shape each endpoint takes, and no reserved ids', () => {
  const body = (value: unknown) => Buffer.from(JSON.stringify(value));
  const bulkDocs = rule('returns', 'bulk_docs', 'POST');
  const put = rule('returns', 'document', 'PUT');
  const bulkGet = rule('briefings', 'bulk_get', 'POST');

  it('every listed body rule accepts its own sample', () => {
    for (const [name, r] of LISTED) {
      if (r.body) expect(checkBody(r, body(r.body.sample)), name).toMatchObject({ allowed: true });
    }
  });

  it('passes read receipts and annotations, and what replicators fetch with', () => {
    expect(
      checkBody(bulkDocs, body({ docs: [{ _id: 'r-1', type: 'read-receipt' }] })),
    ).toMatchObject({ allowed: true });
    expect(checkBody(bulkDocs, body({ docs: [{ type: 'note' }], new_edits: false }))).toMatchObject(
      { allowed: true },
    );
    expect(checkBody(put, body({ type: 'read-receipt' }))).toMatchObject({ allowed: true });
    expect(
      checkBody(
        bulkGet,
        body({
          docs: [{ id: 'briefing:A', rev: SAMPLE_REV, atts_since: [SAMPLE_REV] }, { id: 'b' }],
        }),
      ),
    ).toMatchObject({ allowed: true });
    expect(
      checkBody(rule('returns', 'revs_diff', 'POST'), body({ 'r-1': [SAMPLE_REV] })),
    ).toMatchObject({ allowed: true });
  });

  it.each([
    ['a design document inside _bulk_docs', bulkDocs, { docs: [{ _id: '_design/evil' }] }, 403],
    [
      'a local document inside _bulk_docs',
      bulkDocs,
      { docs: [{ _id: 'r-1' }, { _id: '_local/x' }] },
      403,
    ],
    ['a non-string id', bulkDocs, { docs: [{ _id: 42 }] }, 403],
    ['no docs array', bulkDocs, { documents: [] }, 400],
    ['a document that is not an object', bulkDocs, { docs: ['x'] }, 400],
    ['new_edits not a boolean', bulkDocs, { docs: [], new_edits: 'false' }, 400],
    ['a design id in a PUT body', put, { _id: '_design/evil' }, 403],
    // express-pouchdb answered this with its internal error text ("requests.forEach…").
    ['docs that is not an array', bulkGet, { docs: {} }, 400],
    ['an empty docs list', bulkGet, { docs: [] }, 400],
    ['a design document by id', bulkGet, { docs: [{ id: '_design/attache' }] }, 403],
    ['a local document by id', bulkGet, { docs: [{ id: '_local/_security' }] }, 403],
    ['a malformed revision', bulkGet, { docs: [{ id: 'a', rev: 'x' }] }, 400],
    ['an unknown field', bulkGet, { docs: [{ id: 'a' }], filter: 'x' }, 400],
    ['an unknown item field', bulkGet, { docs: [{ id: 'a', open_revs: 'all' }] }, 400],
    [
      'too many documents',
      bulkGet,
      { docs: Array.from({ length: 1001 }, () => ({ id: 'a' })) },
      400,
    ],
    [
      'a design document in _revs_diff',
      rule('returns', 'revs_diff', 'POST'),
      { '_design/x': [SAMPLE_REV] },
      403,
    ],
    ['revisions that are not a list', rule('returns', 'revs_diff', 'POST'), { a: SAMPLE_REV }, 400],
    ['a design key', rule('briefings', 'all_docs', 'POST'), { keys: ['_design/attache'] }, 403],
    ['keys that are not strings', rule('briefings', 'all_docs', 'POST'), { keys: [1] }, 400],
  ] as const)('refuses %s', (_, r, value, status) => {
    const decision = checkBody(r, body(value));
    expect(decision).toMatchObject({ allowed: false, status });
    if (!decision.allowed) expect(decision.reason.length).toBeGreaterThan(0);
  });

  it('refuses a body that is not JSON, and a body where the endpoint takes none', () => {
    expect(checkBody(bulkDocs, Buffer.from('{"docs": ['))).toEqual({
      allowed: false,
      status: 400,
      reason: 'body is not JSON',
    });
    expect(checkBody(bulkGet, Buffer.alloc(0))).toMatchObject({ allowed: false, status: 400 });
    expect(checkBody(rule('briefings', 'changes', 'GET'), body({ doc_ids: ['a'] }))).toEqual({
      allowed: false,
      status: 400,
      reason: 'a body where none is taken',
    });
    expect(bulkGet.body).toBe(bulkGetBody);
  });
});
