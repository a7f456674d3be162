// The server pipeline end to end on a real server: demo SOR -> poller -> queue -> fan-out ->
// per-user CouchDB database -> broker, with the sample briefings seeded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BriefingDoc } from '../../../src/shared/briefing.js';
import { SAMPLE_USER } from '../../../src/shared/protocol.js';
import { SEED_BRIEFING_COUNT } from '../../../server/src/demo/sor/seed-briefings.js';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

type Stored = BriefingDoc & {
  _id: string;
  _rev: string;
  _attachments?: Record<string, { content_type: string; length: number; stub?: boolean }>;
};
type AllDocs = { rows: { id: string; doc?: Stored }[] };

let h: Harness;
const tokens = new Map<string, string>();
async function token(user: string): Promise<string> {
  let t = tokens.get(user);
  if (!t) {
    t = await h.devToken(user);
    tokens.set(user, t);
  }
  return t;
}
async function readBriefing(user: string, sorId: string) {
  return h.broker(`/db/briefings/${encodeURIComponent(`briefing:${sorId}`)}`, {
    token: await token(user),
  });
}
async function createBriefing(
  title: string,
  recipients: string[],
  extra: Record<string, unknown> = {},
) {
  const res = await h.admin('POST', '/briefings', briefingInput(title, recipients, extra));
  expect(res.status).toBe(201);
  return res.body as { sorId: string; version: number };
}
async function waitForVersion(user: string, sorId: string, version: number): Promise<Stored> {
  return waitFor(`${sorId} v${version} for ${user}`, async () => {
    const res = await readBriefing(user, sorId);
    const doc = res.body as Stored;
    return res.status === 200 && doc.sourceVersion === version ? doc : undefined;
  });
}

beforeAll(async () => {
  h = await startHarness({ seedDemoData: true });
});
afterAll(async () => {
  await h?.stop();
});

describe('server pipeline', () => {
  it('delivers the seeded sample briefings to the sample user, with their PDF attachments', async () => {
    const t = await token(SAMPLE_USER.id);
    const all = await waitFor('seeded briefings', async () => {
      const res = await h.broker('/db/briefings/_all_docs?include_docs=true', { token: t });
      const rows = (res.body as AllDocs).rows.filter((r) => r.id.startsWith('briefing:'));
      return rows.length >= SEED_BRIEFING_COUNT ? rows : undefined;
    });
    expect(SEED_BRIEFING_COUNT).toBeGreaterThanOrEqual(20);
    const docs = all.map((r) => r.doc!);
    expect(new Set(docs.map((d) => d.classification))).toEqual(
      new Set(['OFFICIAL', 'OFFICIAL: Sensitive', 'PROTECTED']),
    );
    expect(new Set(docs.map((d) => d.priority))).toEqual(
      new Set(['routine', 'priority', 'urgent']),
    );
    const withPdf = docs.filter((d) =>
      d.attachments.some((a) => a.contentType === 'application/pdf'),
    );
    expect(withPdf.length).toBeGreaterThanOrEqual(4);

    const first = withPdf[0]!;
    const pdfName = first.attachments.find((a) => a.contentType === 'application/pdf')!.name;
    const res = await fetch(
      `${h.server.urls.broker}/db/briefings/${encodeURIComponent(first._id)}/${encodeURIComponent(pdfName)}`,
      { headers: { authorization: `Bearer ${t}` } },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(bytes.length).toBe(first.attachments.find((a) => a.name === pdfName)!.size);
  });

  it('delivers a briefing created and shared through the admin API, sanitised, with its attachment', async () => {
    const pdf = Buffer.from('%PDF-1.7\n% a tiny test file\n').toString('base64');
    const { sorId } = await createBriefing('Hostile HTML briefing', ['casey.brown'], {
      bodyHtml:
        '<p onclick="steal()">Visible</p><script>alert(1)</script><a href="javascript:alert(1)">x</a>',
      classification: 'PROTECTED',
      attachments: [{ name: 'notes.pdf', contentType: 'application/pdf', dataBase64: pdf }],
    });
    const doc = await waitForVersion('casey.brown', sorId, 1);
    expect(doc).toMatchObject({
      type: 'briefing',
      title: 'Hostile HTML briefing',
      classification: 'PROTECTED',
      priority: 'priority',
      attachments: [{ name: 'notes.pdf', contentType: 'application/pdf', size: 28 }],
    });
    expect(doc.bodyHtml).toBe('<p>Visible</p><a rel="noopener noreferrer" target="_blank">x</a>');
    expect(doc._attachments?.['notes.pdf']).toMatchObject({
      content_type: 'application/pdf',
      length: 28,
    });
  });

  it('replaces the briefing when the SOR approves a new version', async () => {
    const { sorId } = await createBriefing('Draft outlook', ['casey.brown']);
    const v1 = await waitForVersion('casey.brown', sorId, 1);
    const update = await h.admin('PATCH', `/briefings/${sorId}`, {
      title: 'Final outlook',
      priority: 'urgent',
    });
    expect(update).toMatchObject({ status: 200, body: { sorId, version: 2 } });
    const v2 = await waitForVersion('casey.brown', sorId, 2);
    expect(v2).toMatchObject({ title: 'Final outlook', priority: 'urgent', summary: v1.summary });
    expect(v2._rev).not.toBe(v1._rev);
    expect(v2.contentHash).not.toBe(v1.contentHash);
  });

  it('removes the briefing from an unshared user’s database only', async () => {
    const { sorId } = await createBriefing('Shared with two', ['casey.brown', 'drew.patel']);
    await waitForVersion('casey.brown', sorId, 1);
    await waitForVersion('drew.patel', sorId, 1);
    const res = await h.admin('POST', `/briefings/${sorId}/unshare`, { users: ['casey.brown'] });
    expect(res).toMatchObject({ status: 200, body: { removed: ['casey.brown'] } });
    await waitFor('unshared briefing gone', async () =>
      (await readBriefing('casey.brown', sorId)).status === 404 ? true : undefined,
    );
    // Deleted (a tombstone replicates to the device), not just hidden.
    const changes = await h.broker('/db/briefings/_changes', { token: await token('casey.brown') });
    const change = (changes.body as { results: { id: string; deleted?: boolean }[] }).results.find(
      (r) => r.id === `briefing:${sorId}`,
    );
    expect(change?.deleted).toBe(true);
    expect((await readBriefing('drew.patel', sorId)).status).toBe(200);
  });

  it('delivers a briefing shared after creation through the admin API, and removes it on unshare', async () => {
    const { sorId } = await createBriefing('Shared later', []);
    const share = await h.admin('POST', `/briefings/${sorId}/share`, { users: ['fran.oneill'] });
    expect(share).toMatchObject({ status: 200, body: { sorId, added: ['fran.oneill'] } });
    const doc = await waitForVersion('fran.oneill', sorId, 1);
    expect(doc.title).toBe('Shared later');
    expect((await h.admin('GET', `/briefings/${sorId}`)).body).toMatchObject({
      recipients: ['fran.oneill'],
    });
    // Sharing again changes nothing.
    expect(
      await h.admin('POST', `/briefings/${sorId}/share`, { users: ['fran.oneill'] }),
    ).toMatchObject({ status: 200, body: { added: [] } });

    const unshare = await h.admin('POST', `/briefings/${sorId}/unshare`, {
      users: ['fran.oneill'],
    });
    expect(unshare).toMatchObject({ status: 200, body: { sorId, removed: ['fran.oneill'] } });
    await waitFor('unshared briefing gone', async () =>
      (await readBriefing('fran.oneill', sorId)).status === 404 ? true : undefined,
    );
    const changes = await h.broker('/db/briefings/_changes', { token: await token('fran.oneill') });
    const change = (changes.body as { results: { id: string; deleted?: boolean }[] }).results.find(
      (r) => r.id === `briefing:${sorId}`,
    );
    expect(change?.deleted).toBe(true);
  });

  it('refuses a share for a briefing or a user id it cannot use, saying which', async () => {
    const { sorId } = await createBriefing('Not shared by mistake', []);
    const unknownBriefing = await h.admin('POST', '/briefings/BRF-999999/share', {
      users: ['fran.oneill'],
    });
    expect(unknownBriefing).toEqual({
      status: 404,
      body: { error: 'not_found', message: 'No briefing "BRF-999999".' },
    });
    expect(
      (await h.admin('POST', '/briefings/BRF-999999/unshare', { users: ['fran.oneill'] })).status,
    ).toBe(404);

    const badUser = await h.admin('POST', `/briefings/${sorId}/share`, { users: ['_admin'] });
    expect(badUser.status).toBe(400);
    expect((badUser.body as { problems: string[] }).problems).toEqual([
      'users.0: user id "_admin" starts with "_"',
    ]);
    const nobody = await h.admin('POST', `/briefings/${sorId}/share`, { users: [] });
    expect(nobody.status).toBe(400);
    expect((nobody.body as { problems: string[] }).problems.join('\n')).toContain('users');
    expect((await h.admin('GET', `/briefings/${sorId}`)).body).toMatchObject({ recipients: [] });
  });

  it('dead-letters a malformed SOR record with the reason, and the next good one still flows', async () => {
    const bad = await h.admin('POST', '/records', {
      content: {
        summary: 'no title, unknown marking',
        bodyHtml: '<p>x</p>',
        classification: 'CONFIDENTIAL',
      },
      recipients: ['casey.brown'],
    });
    expect(bad.status).toBe(201);
    const badId = (bad.body as { sorId: string }).sorId;
    const hostile = await h.admin('POST', '/records', {
      content: { title: 'Hostile recipient' },
      recipients: ['_admin', 'a:b'],
    });
    const hostileId = (hostile.body as { sorId: string }).sorId;
    const { sorId: goodId } = await createBriefing('After the bad one', ['casey.brown']);
    await waitForVersion('casey.brown', goodId, 1);

    type Dead = { payload: { sorId: string; recipient: string }; reason: string; attempts: number };
    const dead = await waitFor('dead letters', async () => {
      const res = await fetch(`${h.server.urls.ops}/dead-letters`, {
        headers: { authorization: `Bearer ${h.adminToken}` },
      });
      const list = ((await res.json()) as { deadLetters: Dead[] }).deadLetters;
      return list.filter((d) => [badId, hostileId].includes(d.payload.sorId)).length >= 3
        ? list
        : undefined;
    });
    const badEntry = dead.find((d) => d.payload.sorId === badId)!;
    expect(badEntry.attempts).toBe(1); // permanent: no pointless retries
    expect(badEntry.reason).toContain(`SOR document "${badId}" is malformed`);
    expect(badEntry.reason).toContain('content.title');
    expect(badEntry.reason).toContain('content.classification');
    const recipients = dead.filter((d) => d.payload.sorId === hostileId);
    expect(recipients.map((d) => d.reason).sort()).toEqual([
      `Recipient "_admin" of ${hostileId} is not a valid user id: it starts with "_".`,
      `Recipient "a:b" of ${hostileId} is not a valid user id: it contains ":".`,
    ]);
    expect((await readBriefing('casey.brown', badId)).status).toBe(404);
    // The dead-letter view is for operators only.
    expect((await fetch(`${h.server.urls.ops}/dead-letters`)).status).toBe(401);
  });

  it('gives a user with a path-like id a database of their own (hex name), reachable only as them', async () => {
    const { sorId } = await createBriefing('Odd user ids', ['../x', 'A/B']);
    await waitForVersion('../x', sorId, 1);
    await waitForVersion('A/B', sorId, 1);
    const info = await h.broker('/db/briefings', { token: await token('../x') });
    expect((info.body as { db_name: string }).db_name).toBe('userdb-2e2e2f78');
  });

  it('streams long-poll _changes through the broker: the feed answers when a share lands', async () => {
    const first = await createBriefing('Before the long poll', ['erin.walsh']);
    await waitForVersion('erin.walsh', first.sorId, 1);
    const t = await token('erin.walsh');
    const since = ((await h.broker('/db/briefings', { token: t })).body as { update_seq: number })
      .update_seq;
    const started = Date.now();
    const longPoll = fetch(
      `${h.server.urls.broker}/db/briefings/_changes?feed=longpoll&since=${since}&timeout=20000`,
      { headers: { authorization: `Bearer ${t}` } },
    ).then(async (res) => ({
      status: res.status,
      body: (await res.json()) as { results: { id: string }[] },
    }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { sorId } = await createBriefing('Arrives during a long poll', ['erin.walsh']);
    const result = await longPoll;
    expect(result.status).toBe(200);
    expect(result.body.results.map((r) => r.id)).toContain(`briefing:${sorId}`);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('streams continuous _changes through the broker chunk by chunk, without waiting for the end', async () => {
    const t = await token('erin.walsh');
    const controller = new AbortController();
    const res = await fetch(
      `${h.server.urls.broker}/db/briefings/_changes?feed=continuous&since=0&heartbeat=500`,
      {
        headers: { authorization: `Bearer ${t}` },
        signal: controller.signal,
      },
    );
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('briefing:')) {
      const { value, done } = await reader.read();
      expect(done).toBe(false); // the feed never ends by itself
      text += new TextDecoder().decode(value);
    }
    // A share made now arrives on the same open feed.
    const { sorId } = await createBriefing('Arrives on a continuous feed', ['erin.walsh']);
    while (!text.includes(`briefing:${sorId}`)) {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
    }
    controller.abort();
  });

  it('answers /healthz and /metrics on the ops port', async () => {
    const health = await fetch(`${h.server.urls.ops}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      checks: { couch: { ok: true }, sor: { ok: true }, queue: { ok: true } },
    });
    const metrics = await (await fetch(`${h.server.urls.ops}/metrics`)).text();
    expect(metrics).toMatch(/attache_queue_depth\{state="ready"\} \d+/);
    expect(metrics).toMatch(/attache_fanout_events_processed_total\{outcome="written"\} [1-9]\d*/);
    expect(metrics).toMatch(/attache_approval_to_couch_lag_seconds_count [1-9]\d*/);
  });

  it('validates admin input with clear errors and requires the admin token', async () => {
    const bad = await h.admin('POST', '/briefings', {
      title: '',
      classification: 'SECRETISH',
      priority: 'urgent',
      recipients: ['_x'],
    });
    expect(bad.status).toBe(400);
    const problems = (bad.body as { problems: string[] }).problems.join('\n');
    expect(problems).toContain('title');
    expect(problems).toContain('classification');
    expect(problems).toContain('bodyHtml');
    expect(problems).toContain('recipients.0: user id "_x" starts with "_"');
    const anonymous = await fetch(`${h.server.urls.sor}/admin/briefings`);
    expect(anonymous.status).toBe(401);
    expect((await h.admin('PATCH', '/briefings/BRF-999999', { title: 'x' })).status).toBe(404);
  });
});
