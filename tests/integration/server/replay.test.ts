// At-least-once delivery means events can come twice. A replay of every share event (the queue
// lost and the SOR cursor moved back to the start, so the poller re-reads the SOR's whole change
// log) must change nothing in the users' databases: no new revision, not even an update_seq bump.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

const USERS = ['fran.oduya', 'gus.lindqvist'];
let h: Harness;
const sorIds: string[] = [];

type AllDocs = { rows: { id: string; value: { rev: string } }[] };

async function snapshot(user: string, token: string) {
  const info = (await h.broker('/db/briefings', { token })).body as {
    update_seq: number;
    doc_count: number;
  };
  const all = (await h.broker('/db/briefings/_all_docs', { token })).body as AllDocs;
  return {
    user,
    updateSeq: info.update_seq,
    revs: Object.fromEntries(all.rows.map((r) => [r.id, r.value.rev])),
  };
}

async function metric(name: string, label: string): Promise<number> {
  const text = await (await fetch(`${h.server.urls.ops}/metrics`)).text();
  const match = new RegExp(`^${name}\\{outcome="${label}"\\} (\\d+)`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

beforeAll(async () => {
  h = await startHarness({ seedDemoData: false });
  const pdf = Buffer.from('%PDF-1.7\nreplay\n').toString('base64');
  for (let i = 0; i < 4; i += 1) {
    const res = await h.admin(
      'POST',
      '/briefings',
      briefingInput(`Replay ${i}`, USERS, {
        attachments: [{ name: `r${i}.pdf`, contentType: 'application/pdf', dataBase64: pdf }],
      }),
    );
    sorIds.push((res.body as { sorId: string }).sorId);
  }
  // One updated (two share events per user for it) and one unshared from the first user.
  await h.admin('PATCH', `/briefings/${sorIds[0]}`, { title: 'Replay 0, second version' });
  await h.admin('POST', `/briefings/${sorIds[1]}/unshare`, { users: [USERS[0]] });
});
afterAll(async () => {
  await h?.stop();
});

describe('replaying events', () => {
  it('creates no new revision when every event is delivered again after a restart', async () => {
    const tokens = await Promise.all(USERS.map((u) => h.devToken(u)));
    const expected = { [USERS[0]!]: 3, [USERS[1]!]: 4 };
    await waitFor('initial delivery', async () => {
      const snaps = await Promise.all(USERS.map((u, i) => snapshot(u, tokens[i]!)));
      const done = snaps.every(
        (s) =>
          Object.keys(s.revs).filter((id) => id.startsWith('briefing:')).length ===
          expected[s.user],
      );
      const updated = await h.broker(
        `/db/briefings/${encodeURIComponent(`briefing:${sorIds[0]}`)}`,
        {
          token: tokens[1]!,
        },
      );
      const v2 = (updated.body as { sourceVersion?: number }).sourceVersion === 2;
      return done && v2 ? snaps : undefined;
    });
    // The database info (update_seq) may trail a bulk write by a moment: take the reference
    // snapshot once two in a row agree.
    let before = await Promise.all(USERS.map((u, i) => snapshot(u, tokens[i]!)));
    await waitFor('a settled snapshot', async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const again = await Promise.all(USERS.map((u, i) => snapshot(u, tokens[i]!)));
      const settled = JSON.stringify(again) === JSON.stringify(before);
      before = again;
      return settled ? true : undefined;
    });

    // Lose the queue, restart, and move the SOR cursor back to the beginning (the runbook's
    // replay): the poller reads the SOR's whole change log again.
    await h.server.stop();
    for (const suffix of ['', '-wal', '-shm']) {
      fs.rmSync(path.join(h.dataDir, `queue.sqlite${suffix}`), { force: true });
    }
    await h.restart();
    const reset = await fetch(`${h.server.urls.ops}/poller/cursor`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ cursor: null }),
    });
    expect(reset.status).toBe(200);

    // 4 briefings x 2 users shares + 1 update x 2 users + 1 unshare = 11 change-log entries;
    // coalescing may merge some, so wait until the queue is idle after processing at least one.
    await waitFor('replay processed', async () => {
      const health = (await (await fetch(`${h.server.urls.ops}/healthz`)).json()) as {
        checks: { queue: { detail: { ready: number; delayed: number; leased: number } } };
      };
      const q = health.checks.queue.detail;
      const processed =
        (await metric('attache_fanout_events_processed_total', 'unchanged')) +
        (await metric('attache_fanout_events_processed_total', 'absent'));
      return processed >= 8 && q.ready + q.delayed + q.leased === 0 ? true : undefined;
    });
    expect(await metric('attache_fanout_events_processed_total', 'written')).toBe(0);
    expect(await metric('attache_fanout_events_processed_total', 'deleted')).toBe(0);

    const after = await Promise.all(USERS.map((u, i) => snapshot(u, tokens[i]!)));
    expect(after).toEqual(before);
  });

  it('keeps flowing after the restart', async () => {
    const res = await h.admin('POST', '/briefings', briefingInput('After restart', [USERS[1]!]));
    const sorId = (res.body as { sorId: string }).sorId;
    const token = await h.devToken(USERS[1]!);
    await waitFor('post-restart delivery', async () =>
      (await h.broker(`/db/briefings/${encodeURIComponent(`briefing:${sorId}`)}`, { token }))
        .status === 200
        ? true
        : undefined,
    );
  });
});
