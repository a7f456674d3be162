// Separation on the CouchDB-protocol server itself, beyond the users' own databases: a user's
// CouchDB credentials reach neither the server's control database (leases, SOR cursor, returns
// checkpoints) nor other users' accounts, nor the list of databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_DB } from '../../../server/src/couch/control-db.js';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

const A = 'olga.marsh';
const B = 'piet.dekker';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ seedDemoData: false });
  const res = await h.admin('POST', '/briefings', briefingInput('Both', [A, B]));
  const sorId = (res.body as { sorId: string }).sorId;
  await waitFor('delivery to both', async () => {
    const [a, b] = await Promise.all([
      h.couchAs(A, 'GET', `/${h.dbNames(A).briefings}/briefing:${sorId}`),
      h.couchAs(B, 'GET', `/${h.dbNames(B).briefings}/briefing:${sorId}`),
    ]);
    return a.status === 200 && b.status === 200 ? true : undefined;
  });
});
afterAll(async () => {
  await h?.stop();
});

describe('CouchDB-protocol server, user credentials', () => {
  it('cannot read or write the control database', async () => {
    expect(
      (await h.couchAs(A, 'GET', `/${h.dbNames(A).briefings}`)).status,
      'the credentials themselves work',
    ).toBe(200);
    for (const [method, route, body] of [
      ['GET', `/${CONTROL_DB}/lease:poller`],
      ['GET', `/${CONTROL_DB}/_all_docs`],
      ['GET', `/${CONTROL_DB}/_changes`],
      ['PUT', `/${CONTROL_DB}/lease:poller`, { holder: A, data: { sorCursor: '0' } }],
      ['POST', `/${CONTROL_DB}/_bulk_docs`, { docs: [{ _id: 'x' }] }],
      ['PUT', `/${CONTROL_DB}/_security`, { members: { names: [A] } }],
    ] as const) {
      const res = await h.couchAs(A, method, route, body);
      // express-pouchdb answers a refused _bulk_docs with 201 and an error per document.
      const refusedEach =
        Array.isArray(res.body) &&
        res.body.every((r: { error?: string }) => r.error === 'unauthorized');
      expect(refusedEach || [401, 403].includes(res.status), `${method} ${route}`).toBe(true);
    }
  });

  it('cannot list databases or read another user’s account', async () => {
    expect([401, 403]).toContain((await h.couchAs(A, 'GET', '/_all_dbs')).status);
    expect([401, 403, 404]).toContain(
      (await h.couchAs(A, 'GET', `/_users/${encodeURIComponent(`org.couchdb.user:${B}`)}`)).status,
    );
  });
});
