// Old revisions through the broker (issue 9, "an unshared briefing stays readable"): after an
// unshare, the former recipient must not get the briefing's body or attachments back by naming
// the revision they saw, in any of the forms CouchDB offers, although that revision is still on
// the server's disk until compaction. Before the unshare the same forms must work (the device
// replicates with them), so each refusal is shown to be the control's doing.
//
// The test speaks only the broker's HTTP API and the SOR admin API, so it runs unchanged against
// a server whose CouchDB is Apache CouchDB instead of the embedded one (harness `couchUrl`).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

const A = 'alex.morgan';
const ANNEX = 'annex.pdf';

let h: Harness;
let token: string;

type Reply = { status: number; text: string };

function send(method: string, path: string, body?: unknown): Promise<Reply> {
  const url = new URL(h.server.urls.broker);
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(data === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

type Briefing = {
  id: string;
  sorId: string;
  phrase: string;
  marker: string;
  /** The whole PDF base64-encoded, as it appears inline (attachments=true). */
  pdfBase64: string;
  rev: string;
};

/** Shares a briefing with a phrase in its body and a marker in its PDF, and waits for it. */
async function shareBriefing(title: string): Promise<Briefing> {
  const phrase = `Amber-Heron-${randomUUID()}`;
  const marker = `ANNEX-MARKER-${randomUUID()}`;
  const pdf = Buffer.from(`%PDF-1.4\n% ${marker}\n%%EOF\n`);
  const created = await h.admin(
    'POST',
    '/briefings',
    briefingInput(title, [A], {
      bodyHtml: `<p>The phrase is ${phrase}.</p>`,
      attachments: [
        { name: ANNEX, contentType: 'application/pdf', dataBase64: pdf.toString('base64') },
      ],
    }),
  );
  const sorId = (created.body as { sorId: string }).sorId;
  const id = `briefing:${sorId}`;
  const doc = await waitFor(`${id} delivered with its annex`, async () => {
    const reply = await send('GET', `/db/briefings/${encodeURIComponent(id)}`);
    if (reply.status !== 200) return undefined;
    const parsed = JSON.parse(reply.text) as { _rev: string; _attachments?: object };
    return parsed._attachments && ANNEX in parsed._attachments ? parsed : undefined;
  });
  return { id, sorId, phrase, marker, pdfBase64: pdf.toString('base64'), rev: doc._rev };
}

/** Every way CouchDB offers to name one revision of a briefing, with its attachment. */
function oldRevisionForms(b: Briefing): [string, string, string, unknown?][] {
  const doc = `/db/briefings/${encodeURIComponent(b.id)}`;
  const revs = encodeURIComponent(JSON.stringify([b.rev]));
  return [
    ['the revision by rev', 'GET', `${doc}?rev=${b.rev}`],
    ['the revision with its attachments inline', 'GET', `${doc}?rev=${b.rev}&attachments=true`],
    ['the revision with revs', 'GET', `${doc}?rev=${b.rev}&revs=true&attachments=true`],
    ['open_revs naming it', 'GET', `${doc}?open_revs=${revs}`],
    ['open_revs with revs', 'GET', `${doc}?open_revs=${revs}&revs=true`],
    ['open_revs with attachments', 'GET', `${doc}?open_revs=${revs}&attachments=true`],
    ['open_revs asking for latest', 'GET', `${doc}?open_revs=${revs}&latest=true`],
    ['open_revs=all', 'GET', `${doc}?open_revs=all&attachments=true`],
    [
      '_bulk_get naming it',
      'POST',
      '/db/briefings/_bulk_get',
      { docs: [{ id: b.id, rev: b.rev }] },
    ],
    [
      '_bulk_get with revs and attachments',
      'POST',
      '/db/briefings/_bulk_get?revs=true&attachments=true',
      { docs: [{ id: b.id, rev: b.rev }] },
    ],
    ['the attachment by rev', 'GET', `${doc}/${ANNEX}?rev=${b.rev}`],
    ['the attachment head by rev', 'HEAD', `${doc}/${ANNEX}?rev=${b.rev}`],
    ['the attachment', 'GET', `${doc}/${ANNEX}`],
    [
      'the changes feed with documents',
      'GET',
      '/db/briefings/_changes?style=all_docs&include_docs=true',
    ],
    ['the document list with documents', 'GET', '/db/briefings/_all_docs?include_docs=true'],
  ];
}

/** The documents an answer carries (a document, an open_revs list, _bulk_get results). */
function docsIn(text: string): Record<string, unknown>[] {
  const parsed = JSON.parse(text) as unknown;
  if (Array.isArray(parsed)) {
    return parsed.flatMap((entry: { ok?: Record<string, unknown> }) =>
      entry.ok ? [entry.ok] : [],
    );
  }
  const results = (parsed as { results?: { docs: { ok?: Record<string, unknown> }[] }[] }).results;
  if (results) return results.flatMap((r) => r.docs.flatMap((d) => (d.ok ? [d.ok] : [])));
  return [parsed as Record<string, unknown>];
}

beforeAll(async () => {
  h = await startHarness({ seedDemoData: false });
  token = await h.devToken(A);
});
afterAll(async () => {
  await h?.stop();
});

describe('an unshared briefing: no form of its old revision answers with content', () => {
  let b: Briefing;

  beforeAll(async () => {
    b = await shareBriefing('Withdrawn soon');
  });

  it('while shared, the device reads it in each of these forms (the control is not blind)', async () => {
    for (const [name, method, path, body] of oldRevisionForms(b)) {
      const reply = await send(method, path, body);
      expect(reply.status, name).toBe(200);
      if (method === 'HEAD') continue;
      const content = [b.phrase, b.marker, b.pdfBase64].some((c) => reply.text.includes(c));
      expect(content, name).toBe(true);
    }
  });

  it('after the unshare, every form answers a tombstone or a refusal, never the body or the PDF', async () => {
    await h.admin('POST', `/briefings/${encodeURIComponent(b.sorId)}/unshare`, { users: [A] });
    await waitFor('the unshare on the server', async () =>
      (await send('GET', `/db/briefings/${encodeURIComponent(b.id)}`)).status === 404
        ? true
        : undefined,
    );
    // The tombstone's history names the old revision: nobody needed to have noted it.
    const tombstone = await send(
      'GET',
      `/db/briefings/${encodeURIComponent(b.id)}?open_revs=all&revs=true`,
    );
    const [leaf] = docsIn(tombstone.text) as { _revisions: { start: number; ids: string[] } }[];
    expect(leaf?._revisions.ids[1]).toBe(b.rev.split('-')[1]);

    for (const [name, method, path, body] of oldRevisionForms(b)) {
      const reply = await send(method, path, body);
      expect(reply.text, name).not.toContain(b.phrase);
      expect(reply.text, name).not.toContain(b.marker);
      expect(reply.text, name).not.toContain(b.pdfBase64);
      if (
        reply.status === 200 &&
        method !== 'HEAD' &&
        !path.includes('_changes') &&
        !path.includes('_all_docs')
      ) {
        for (const doc of docsIn(reply.text)) {
          expect(doc, name).toMatchObject({ _id: b.id, _deleted: true });
          expect(
            Object.keys(doc).filter((k) => !k.startsWith('_')),
            name,
          ).toEqual([]);
        }
      } else if (reply.status !== 200) {
        expect(reply.status, name).toBe(404);
        if (method !== 'HEAD')
          expect(JSON.parse(reply.text), name).toMatchObject({ error: 'not_found' });
      }
    }
  });

  it('audits each refused old-revision read with its query', async () => {
    await waitFor('refusal of rev= recorded with the query', () => {
      const records = fs
        .readFileSync(h.server.files.auditLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      return Promise.resolve(
        records.some(
          (r) =>
            r['action'] === 'broker.request' &&
            r['decision'] === 'refused' &&
            r['user'] === A &&
            r['query'] === `rev=${b.rev}` &&
            r['status'] === 404 &&
            String(r['reason']).includes('not a live leaf'),
        )
          ? true
          : undefined,
      );
    });
  });
});

describe('a replaced briefing: the old version is not served, the new one is', () => {
  it('answers the new version where the old revision is named, and refuses rev= of the old one', async () => {
    const b = await shareBriefing('Revised soon');
    const newPhrase = `Second-Draft-${randomUUID()}`;
    await h.admin('PATCH', `/briefings/${encodeURIComponent(b.sorId)}`, {
      bodyHtml: `<p>Now ${newPhrase}.</p>`,
    });
    const doc = `/db/briefings/${encodeURIComponent(b.id)}`;
    await waitFor('the new version on the server', async () =>
      (await send('GET', doc)).text.includes(newPhrase) ? true : undefined,
    );
    const byRev = await send('GET', `${doc}?rev=${b.rev}`);
    expect(byRev.status).toBe(404);
    const byOpenRevs = await send(
      'GET',
      `${doc}?open_revs=${encodeURIComponent(JSON.stringify([b.rev]))}`,
    );
    expect(byOpenRevs.status).toBe(200);
    expect(byOpenRevs.text).toContain(newPhrase);
    expect(byOpenRevs.text).not.toContain(b.phrase);
    const bulk = await send('POST', '/db/briefings/_bulk_get', {
      docs: [{ id: b.id, rev: b.rev }],
    });
    expect(bulk.text).toContain(newPhrase);
    expect(bulk.text).not.toContain(b.phrase);
    expect((await send('GET', `${doc}/${ANNEX}?rev=${b.rev}`)).status).toBe(404);
  });
});
