// A replication client that is not PouchDB: Apache CouchDB's own replicator pulls a person's
// briefings through the broker (as another site or a server-side reader would), with their token
// in its request headers. Apache CouchDB only (the `couchdb` project): the embedded server has no
// replicator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRecords } from './broker-client.js';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

const A = 'alex.morgan';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ seedDemoData: false });
});
afterAll(async () => {
  await h?.stop();
});

describe("CouchDB's replicator pulling through the broker", () => {
  it('copies the person’s briefings, never a design document, without one refused request (use_checkpoints: false)', async () => {
    const created = await h.admin('POST', '/briefings', briefingInput('Pulled by CouchDB', [A]));
    const id = `briefing:${(created.body as { sorId: string }).sorId}`;
    const token = await h.devToken(A);
    await waitFor('the briefing delivered', async () =>
      (await h.broker(`/db/briefings/${encodeURIComponent(id)}`, { token })).status === 200
        ? true
        : undefined,
    );
    const couch = h.couch;
    if (!couch) throw new Error('this test runs on Apache CouchDB only');
    const target = 'pulled-through-broker';
    const admin = `Basic ${Buffer.from(`${couch.admin.username}:${couch.admin.password}`).toString('base64')}`;
    const reply = await h.couchAdmin('POST', '/_replicate', {
      source: {
        url: `${h.server.urls.broker}/db/briefings`,
        headers: { authorization: `Bearer ${token}` },
      },
      target: { url: `${couch.url}/${target}`, headers: { authorization: admin } },
      create_target: true,
      use_checkpoints: false,
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body).toMatchObject({ ok: true });
    const copied = await h.couchAdmin('GET', `/${target}/_all_docs`);
    const ids = (copied.body as { rows: { id: string }[] }).rows.map((r) => r.id);
    expect(ids).toContain(id);
    expect(ids.filter((i) => i.startsWith('_design/'))).toEqual([]);
    const refused = auditRecords(h).filter(
      (r) => r.action === 'broker.request' && r.decision !== 'allowed',
    );
    expect(
      refused.map((r) => `${String(r['method'])} ${String(r['path'])}: ${r.reason ?? ''}`),
    ).toEqual([]);
  });
});
