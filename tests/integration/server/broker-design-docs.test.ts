// Design documents never reach devices (issue 9): not through `_changes` (normal, long poll,
// continuous; with or without documents), `_all_docs`, `_bulk_get`, nor their own path, while
// sequences stay exactly what CouchDB said (checkpoints stay correct). And the allow-list is
// exactly what PouchDB's replicator needs: a real PouchDB pulls and pushes through the broker,
// with the checkpoint options the device uses, without one refused request.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import PouchDB from 'pouchdb-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadReceipt } from '../../../src/shared/briefing.js';
import type { AuditRecord } from './broker-client.js';
import { auditRecords, brokerRequest } from './broker-client.js';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

const A = 'alex.morgan';

let h: Harness;
let token: string;
let briefing: string;
let scratch: string;

/** Writes a document into A's briefings database as the server's admin (as fan-out does). */
async function adminPut(id: string, doc: Record<string, unknown>): Promise<void> {
  const res = await h.couchAdmin(
    'PUT',
    `/${h.dbNames(A).briefings}/${encodeURIComponent(id)}`,
    doc,
  );
  expect(res.status).toBe(201);
}

const send = (method: string, p: string, body?: unknown, cutAfterMs?: number) =>
  brokerRequest(h, method, p, {
    token,
    ...(body === undefined ? {} : { body }),
    ...(cutAfterMs === undefined ? {} : { cutAfterMs }),
  });

beforeAll(async () => {
  h = await startHarness({ seedDemoData: false });
  token = await h.devToken(A);
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-design-docs-'));
  const created = await h.admin('POST', '/briefings', briefingInput('For Alex only', [A]));
  briefing = `briefing:${(created.body as { sorId: string }).sorId}`;
  await waitFor('the briefing delivered', async () =>
    (await send('GET', `/db/briefings/${encodeURIComponent(briefing)}`)).status === 200
      ? true
      : undefined,
  );
  // The database's own design document is there (the control: it would be listed).
  const direct = await h.couchAs(A, 'GET', `/${h.dbNames(A).briefings}/_all_docs`);
  expect(JSON.stringify(direct.body)).toContain('_design/attache');
});
afterAll(async () => {
  await h?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('design documents are not in what devices see', () => {
  it.each([
    '/db/briefings/_changes',
    '/db/briefings/_changes?style=all_docs&include_docs=true',
    '/db/briefings/_changes?feed=longpoll&since=0&include_docs=true',
    '/db/returns/_changes?style=all_docs&include_docs=true',
  ])('a normal or long-poll feed: %s', async (feed) => {
    const reply = await send('GET', feed);
    expect(reply.status).toBe(200);
    expect(reply.text).not.toContain('_design');
    const body = JSON.parse(reply.text) as { results: { id: string }[]; last_seq: unknown };
    if (feed.startsWith('/db/briefings')) {
      expect(body.results.map((r) => r.id)).toContain(briefing);
      // The sequence is CouchDB's own: the row taken out is still covered by last_seq.
      const direct = await h.couchAs(A, 'GET', `/${h.dbNames(A).briefings}/_changes`);
      expect(body.last_seq).toEqual((direct.body as { last_seq: unknown }).last_seq);
    }
  });

  it.each([
    '/db/briefings/_all_docs',
    '/db/briefings/_all_docs?include_docs=true',
    '/db/briefings/_all_docs?startkey=%22_%22&endkey=%22_%EF%BF%B0%22',
    '/db/returns/_all_docs?include_docs=true&conflicts=true',
  ])('the document list: %s', async (list) => {
    const reply = await send('GET', list);
    expect(reply.status).toBe(200);
    expect(reply.text).not.toContain('_design');
    expect(() => JSON.parse(reply.text) as unknown).not.toThrow();
  });

  it.each([
    ['GET', '/db/briefings/_design/attache', undefined, 403],
    ['GET', '/db/briefings/_design%2Fattache?open_revs=all', undefined, 403],
    ['GET', '/db/briefings/_design/attache/validate', undefined, 403],
    ['POST', '/db/briefings/_bulk_get', { docs: [{ id: '_design/attache' }] }, 403],
    ['POST', '/db/briefings/_all_docs', { keys: ['_design/attache'] }, 403],
    ['GET', '/db/briefings/_all_docs?key=%22_design%2Fattache%22', undefined, 400],
    ['POST', '/db/returns/_revs_diff', { '_design/attache': [`1-${'0'.repeat(32)}`] }, 403],
  ])('asked for by name: %s %s', async (method, p, body, status) => {
    const reply = await send(method, p, body);
    expect(reply.status).toBe(status);
    expect(reply.text).not.toContain('validate_doc_update');
  });

  it('a long poll woken by a design document change answers no row, with the new sequence', async () => {
    // From the sequence before the change, not `since=now`: on a busy machine the poll can
    // reach the database after the change, and `now` would then wait for the next one.
    const before = await h.couchAs(A, 'GET', `/${h.dbNames(A).briefings}/_changes`);
    const since = encodeURIComponent(String((before.body as { last_seq: unknown }).last_seq));
    const waiting = send(
      'GET',
      `/db/briefings/_changes?feed=longpoll&since=${since}&heartbeat=1000`,
      undefined,
      8_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the poll start waiting
    await adminPut('_design/live-probe', { views: {} });
    const reply = await waiting;
    expect(reply.status).toBe(200);
    const body = JSON.parse(reply.text) as { results: unknown[]; last_seq: unknown };
    expect(body.results).toEqual([]);
    expect(reply.text).not.toContain('_design');
    const direct = await h.couchAs(A, 'GET', `/${h.dbNames(A).briefings}/_changes`);
    expect(body.last_seq).toEqual((direct.body as { last_seq: unknown }).last_seq);
  });

  it('a continuous feed passes ordinary rows and heartbeats, never a design document', async () => {
    const reading = send(
      'GET',
      '/db/briefings/_changes?feed=continuous&since=now&heartbeat=1000',
      undefined,
      3_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await adminPut('_design/live-probe-2', { views: {} });
    await adminPut('briefing:live-row', { type: 'briefing', title: 'Live' });
    const reply = await reading;
    expect(reply.text).toContain('briefing:live-row');
    expect(reply.text).not.toContain('_design');
    for (const line of reply.text.split('\n').filter((l) => l.trim() !== '')) {
      expect(() => JSON.parse(line) as unknown).not.toThrow();
    }
  });
});

describe('PouchDB replicates through the broker with nothing outside the allow-list', () => {
  it('pulls briefings, pushes a return, and restores returns without one refused request', async () => {
    const since = auditRecords(h).length;
    // PouchDB's replicator asks the source for its info after each batch without waiting for
    // the answer; every request is followed to the end of its body so none outlives the test.
    const inflight: Promise<unknown>[] = [];
    const remote = (alias: string) =>
      new PouchDB(`${h.server.urls.broker}/db/${alias}`, {
        skip_setup: true,
        fetch: (url, init) => {
          const headers = new Headers(init?.headers);
          headers.set('authorization', `Bearer ${token}`);
          const answer = PouchDB.fetch(url, { ...init, headers });
          inflight.push(
            answer.then(
              (res) =>
                new Promise((resolve) => {
                  const body = res.body as unknown as NodeJS.ReadableStream | null;
                  if (!body) return resolve(null);
                  for (const event of ['end', 'close', 'error']) body.once(event, resolve);
                }),
              () => null,
            ),
          );
          return answer;
        },
      });
    const local = new PouchDB(path.join(scratch, 'briefings'));
    const returns = new PouchDB(path.join(scratch, 'returns'));
    const restored = new PouchDB(path.join(scratch, 'restored'));
    try {
      await PouchDB.replicate(remote('briefings'), local, { checkpoint: 'target', batch_size: 2 });
      const ids = (await local.allDocs()).rows.map((r) => r.id);
      expect(ids).toContain(briefing);
      expect(ids.filter((id) => id.startsWith('_design/'))).toEqual([]);

      const receipt: ReadReceipt = {
        type: 'read-receipt',
        briefingId: briefing,
        sorId: briefing.slice('briefing:'.length),
        sourceVersion: 1,
        readAt: new Date().toISOString(),
        author: A,
      };
      await returns.put({ _id: `read-receipt:${randomUUID()}`, ...receipt });
      const pushed = await PouchDB.replicate(returns, remote('returns'), { checkpoint: 'source' });
      expect(pushed.doc_write_failures).toBe(0);
      // As the device restores returns after a new sign-in: a function filter asks for documents.
      await PouchDB.replicate(remote('returns'), restored, {
        checkpoint: 'target',
        filter: (doc: { _id: string }) => !doc._id.startsWith('_design/'),
      });
      expect((await restored.allDocs()).rows.length).toBe(1);
      for (let settled = 0; settled < inflight.length;) {
        const batch = inflight.slice(settled);
        await Promise.all(batch);
        settled += batch.length;
      }

      const refused = auditRecords(h)
        .slice(since)
        .filter((r: AuditRecord) => r.action === 'broker.request' && r.decision !== 'allowed');
      expect(refused).toEqual([]);
    } finally {
      await Promise.all([local.destroy(), returns.destroy(), restored.destroy()]);
    }
  });
});
