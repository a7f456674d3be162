// The attack battery's query-string part (issue 9): the matrix over every query parameter of
// every endpoint and method the broker's allow-list lists, generated from the table itself, so a
// parameter added there is attacked here without another list to keep. Each valid sample passes
// (a status CouchDB chose, never 400 or 5xx); each invalid sample, unknown parameter and repeated
// parameter is refused with the uniform 400 and audited with its reason and the query. Then the
// requests that ended the whole server before (filters, views, latest on an unknown revision), and
// the security object under the name `_local/_security`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_LIST } from '../../../server/src/broker/allow-list.js';
import type { Endpoint, EndpointRule } from '../../../server/src/broker/allow-list.js';
import { SAMPLE_REV } from '../../../server/src/broker/query-rules.js';
import type { AuditRecord, BrokerReply } from './broker-client.js';
import { auditRecords, brokerRequest, waitForBrokerRecords } from './broker-client.js';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

const A = 'alex.morgan';
const BAD_REQUEST = { error: 'bad_request' };
const FORBIDDEN = { error: 'forbidden' };
/** Parameters no endpoint lists; several of them ended express-pouchdb's process before. */
const UNLISTED = ['filter', 'view', 'selector', 'doc_ids', '_nonce', 'callback', '__proto__'];

let h: Harness;
let tokenA: string;
let briefingOfA: string;

/** A path for each endpoint of an alias (documents that do not exist are fine: 404 is not 400). */
function pathOf(alias: string, endpoint: Endpoint): string {
  const base = `/db/${alias}`;
  switch (endpoint) {
    case 'database':
      return base;
    case 'document':
      return `${base}/briefing%3Amatrix-none`;
    case 'attachment':
      return `${base}/briefing%3Amatrix-none/annex.pdf`;
    default:
      return `${base}/_${endpoint}`;
  }
}

const LISTED = Object.entries(ALLOW_LIST).flatMap(([alias, endpoints]) =>
  Object.entries(endpoints).flatMap(([endpoint, methods]) =>
    Object.entries(methods ?? {}).map(
      ([method, rule]) =>
        [`${method} ${pathOf(alias, endpoint as Endpoint)}`, method, alias, endpoint, rule] as [
          string,
          string,
          string,
          Endpoint,
          EndpointRule,
        ],
    ),
  ),
);

/** Each row gets its own reader: the matrix would otherwise spend one user's rate limit. */
let readers = 0;
async function newReader(): Promise<string> {
  readers += 1;
  return h.devToken(`matrix.reader-${readers}`);
}

const refusedWith =
  (method: string, path: string, query: string, reason: RegExp) =>
  (r: AuditRecord): boolean =>
    r.decision === 'refused' &&
    r['method'] === method &&
    r['path'] === path &&
    r['query'] === query &&
    r['status'] === 400 &&
    reason.test(r.reason ?? '');

beforeAll(async () => {
  h = await startHarness({ seedDemoData: false, brokerRateBurst: 400 });
  tokenA = await h.devToken(A);
  const created = await h.admin('POST', '/briefings', briefingInput('For Alex only', [A]));
  briefingOfA = `briefing:${(created.body as { sorId: string }).sorId}`;
  await waitFor('the briefing delivered', async () =>
    (
      await brokerRequest(h, 'GET', `/db/briefings/${encodeURIComponent(briefingOfA)}`, {
        token: tokenA,
      })
    ).status === 200
      ? true
      : undefined,
  );
});
afterAll(async () => {
  await h?.stop();
});

describe('every query parameter of every allowed endpoint: allowed values pass, others are 400 and audited', () => {
  it.each(LISTED)('%s', async (_, method, alias, endpoint, rule) => {
    const token = await newReader();
    const path = pathOf(alias, endpoint);
    const body = rule.body?.sample;
    const send = (query: string): Promise<BrokerReply> =>
      brokerRequest(h, method, query === '' ? path : `${path}?${query}`, {
        token,
        ...(body === undefined ? {} : { body }),
        cutAfterMs: 1_000,
      });
    const expected: { label: string; matches: (r: AuditRecord) => boolean }[] = [];
    const expectRefused = async (query: string, reason: RegExp) => {
      const reply = await send(query);
      expect(reply.status, query).toBe(400);
      if (method !== 'HEAD') expect(JSON.parse(reply.text), query).toEqual(BAD_REQUEST);
      expected.push({
        label: `${method} ${path}?${query}`,
        matches: refusedWith(method, path, query, reason),
      });
    };

    for (const [name, param] of Object.entries(rule.params)) {
      for (const value of param.samples.valid) {
        const reply = await send(`${name}=${encodeURIComponent(value)}`);
        // Apache CouchDB refuses a well-formed sequence it did not issue itself, with its own
        // reason: the broker passed the value on, which is what this checks.
        const upstreamRefusal =
          h.backend === 'couchdb' &&
          name === 'since' &&
          reply.status === 400 &&
          /Malformed sequence/.test(reply.text);
        if (!upstreamRefusal) {
          expect([200, 404], `${name}=${value}: ${reply.text.slice(0, 200)}`).toContain(
            reply.status,
          );
        }
      }
      for (const value of param.samples.invalid) {
        // The audit trail keeps the first 512 characters of a query.
        const query = `${name}=${encodeURIComponent(value)}`;
        if (query.length <= 512) await expectRefused(query, new RegExp(`"${name}"`));
        else expect((await send(query)).status, `${name}=<long>`).toBe(400);
      }
      const valid = encodeURIComponent(param.samples.valid[0] ?? '');
      await expectRefused(`${name}=${valid}&${name}=${valid}`, /repeated parameter/);
      await expectRefused(`${name.toUpperCase()}=${valid}`, /unknown parameter/);
    }
    for (const name of UNLISTED) await expectRefused(`${name}=x`, /unknown parameter/);
    await expectRefused('include_docs', /without a name or value/);
    await waitForBrokerRecords(h, expected);
  });
});

describe('requests that ended the whole server are refused, audited, and everything keeps answering', () => {
  const revs = encodeURIComponent(JSON.stringify([SAMPLE_REV]));
  // `{doc}` stands for A's briefing, known once it is delivered.
  it.each([
    ['GET', '/db/briefings/_changes?filter=_view&view=attache%2Fall', 400],
    ['GET', '/db/briefings/_changes?filter=attache%2Fall', 400],
    ['GET', '/db/briefings/_changes?filter=_design', 400],
    ['GET', '/db/briefings/_changes?view=attache%2Fall', 400],
    ['GET', '/db/returns/_changes?filter=_view&view=attache%2Fall', 400],
    ['GET', '/db/returns/_changes?view=attache%2Fall', 400],
    ['POST', '/db/briefings/_changes?filter=_selector', 403, { selector: {} }],
    ['POST', '/db/returns/_changes?filter=_selector', 403, { selector: { _id: { $gt: null } } }],
    // latest=true on a revision the document never had threw inside express-pouchdb.
    ['GET', `/db/briefings/{doc}?open_revs=${revs}&latest=true`, 404],
    ['GET', `/db/briefings/{doc}?open_revs=${revs}`, 404],
    ['POST', '/db/briefings/_bulk_get', 404, { docs: [{ id: '{doc}', rev: SAMPLE_REV }] }],
    // Answered with express-pouchdb's own error text as a 500 ("requests.forEach …").
    ['POST', '/db/briefings/_bulk_get', 400, { docs: {} }],
  ] as [string, string, number, unknown?][])(
    '%s %s',
    async (method, pathTemplate, status, bodyTemplate) => {
      const path = pathTemplate.replace('{doc}', encodeURIComponent(briefingOfA));
      const body =
        bodyTemplate === undefined
          ? undefined
          : (JSON.parse(JSON.stringify(bodyTemplate).replace('{doc}', briefingOfA)) as unknown);
      const reply = await brokerRequest(h, method, path, {
        token: tokenA,
        ...(body === undefined ? {} : { body }),
      });
      expect(reply.status).toBe(status);
      expect(reply.text).not.toMatch(/forEach|TypeError|Error:|at /);
      const [rawPath, query = ''] = path.split('?');
      await waitForBrokerRecords(h, [
        {
          label: `${method} ${path}`,
          matches: (r) =>
            r.decision === 'refused' &&
            r['user'] === A &&
            r['path'] === rawPath &&
            (query === '' ? r['query'] === undefined : r['query'] === query),
        },
      ]);
      // Broker, ops and the CouchDB-protocol server all still answer.
      expect((await brokerRequest(h, 'GET', '/db/briefings', { token: tokenA })).status).toBe(200);
      expect((await fetch(`${h.server.urls.ops}/healthz`)).status).toBe(200);
      expect((await h.couchAs(A, 'GET', `/${h.dbNames(A).briefings}`)).status).toBe(200);
    },
  );
});

describe('the security object and local documents are not reachable through the broker', () => {
  it.each([
    ['GET', '/db/briefings/_local/_security', undefined],
    ['PUT', '/db/briefings/_local/_security', { admins: { names: [A] }, members: {} }],
    ['PUT', '/db/returns/_local/_security', { admins: { names: [A] }, members: {} }],
    ['DELETE', '/db/returns/_local/_security', undefined],
    ['GET', '/db/returns/_local/checkpoint', undefined],
    ['PUT', '/db/briefings/_local/filler', { pad: 'x'.repeat(1024 * 1024) }],
  ])('%s %s', async (method, path, body) => {
    const reply = await brokerRequest(h, method, path, {
      token: tokenA,
      ...(body ? { body } : {}),
    });
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.text)).toEqual(FORBIDDEN);
    await waitForBrokerRecords(h, [
      {
        label: `${method} ${path}`,
        matches: (r) =>
          r.decision === 'refused' &&
          r['method'] === method &&
          r['path'] === path &&
          r['user'] === A,
      },
    ]);
  });

  it('leaves the security object as the server wrote it', async () => {
    const security = await h.couchAs(A, 'GET', `/${h.dbNames(A).briefings}/_security`);
    expect(JSON.stringify(security.body)).not.toContain('"admins":{"names":["alex.morgan"]');
  });
});

describe('the audit trail records the query', () => {
  it('of an allowed request, as received', async () => {
    await brokerRequest(h, 'GET', '/db/briefings/_changes?style=all_docs&since=0&limit=5', {
      token: tokenA,
    });
    await waitForBrokerRecords(h, [
      {
        label: 'allowed _changes with its query',
        matches: (r) =>
          r.decision === 'allowed' &&
          r['path'] === '/db/briefings/_changes' &&
          r['query'] === 'style=all_docs&since=0&limit=5' &&
          r['status'] === 200,
      },
    ]);
  });

  it('bounded, and without anything shaped like a token', async () => {
    const path = '/db/briefings/_all_docs';
    await brokerRequest(h, 'GET', `${path}?access_token=${tokenA}&pad=${'p'.repeat(2000)}`, {
      token: tokenA,
    });
    await waitForBrokerRecords(h, [
      {
        label: 'refused _all_docs with a masked, bounded query',
        matches: (r) =>
          r['path'] === path &&
          typeof r['query'] === 'string' &&
          r['query'].startsWith('access_token=[redacted]&pad=pp') &&
          r['query'].length <= 512,
      },
    ]);
    const text = JSON.stringify(auditRecords(h));
    expect(text).not.toContain(tokenA.split('.')[1]);
  });
});
