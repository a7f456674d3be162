// Bad input from the SOR gets a clear error and loses nothing: each malformed record ends in the
// dead-letter queue with a reason a person can act on (or is made harmless), and the good
// records around it still reach their readers. The SOR here is the demo SOR behind the REST
// contract, with a hostile façade in front of it for what no honest SOR could even store
// (bytes that are not UTF-8, change-log entries that break the contract).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CouchClient } from '../../../server/src/couch/types.js';
import { userDbNames } from '../../../server/src/user-dbs/user-dbs.js';
import { closeServer, listen, sendJson } from '../../../server/src/http/json-http.js';
import { createDemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import type { DemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import { handleSorApi } from '../../../server/src/demo/sor/sor-api.js';
import { SOR_API_PREFIX } from '../../../server/src/sor/sor-contract.js';
import { couchClientFor } from './couch-socket.js';
import { startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

const TOKEN = 'bad-input-token-0123456789abcdef0123456789';
const READER = 'nina.berg';

type Dead = { payload: Record<string, unknown>; reason: string; attempts: number };

let dir: string;
let sor: DemoSor;
let facade: http.Server;
let h: Harness;
let couch: CouchClient;
const overrides = new Map<string, (res: http.ServerResponse) => void>();
let injected: unknown[] = [];

const content = (title: string, extra: Record<string, unknown> = {}) => ({
  title,
  summary: '',
  bodyHtml: `<p>${title}</p>`,
  classification: 'OFFICIAL',
  priority: 'routine',
  sender: { name: 'Unit', role: 'Dept' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-bad-input-'));
  sor = createDemoSor({ file: path.join(dir, 'sor.sqlite') });
  facade = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sor.invalid');
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      return sendJson(res, 401, { error: 'unauthorized' });
    }
    const id = decodeURIComponent(url.pathname.split('/')[4] ?? '');
    const override = url.pathname.split('/').length === 5 ? overrides.get(id) : undefined;
    if (override) return override(res);
    const pageRead = !url.searchParams.has('waitMs');
    if (url.pathname === `${SOR_API_PREFIX}/changes` && pageRead && injected.length > 0) {
      // Entries a broken SOR might send, once, ahead of the real page. Only on a page read: the
      // poller's long poll (`waitMs`) asks only whether something changed, and the adapter reads
      // the page afterwards, so entries answered there would never reach it.
      const after = url.searchParams.get('after');
      void sor.listChanges(after, Number(url.searchParams.get('limit'))).then((page) => {
        const changes = [...injected, ...page.changes];
        injected = [];
        sendJson(res, 200, { changes, nextCursor: page.nextCursor });
      });
      return;
    }
    handleSorApi(sor, req, res, url).catch(() => sendJson(res, 500, { error: 'internal' }));
  });
  const port = await listen(facade, '127.0.0.1', 0);
  fs.writeFileSync(path.join(dir, 'token'), TOKEN);
  h = await startHarness({
    seedDemoData: false,
    demoSor: false,
    sorAdapter: 'rest',
    sorRestUrl: `http://127.0.0.1:${port}${SOR_API_PREFIX}`,
    sorRestTokenFile: path.join(dir, 'token'),
    queueMaxAttempts: 3,
  });
  couch = couchClientFor(h.server, h.couchAdminCredentials);
}, 60_000);
afterAll(async () => {
  await h?.stop();
  await closeServer(facade);
  sor.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function deadLetters(): Promise<Dead[]> {
  const res = await fetch(`${h.server.urls.ops}/dead-letters?limit=1000`, {
    headers: { authorization: `Bearer ${h.adminToken}` },
  });
  return ((await res.json()) as { deadLetters: Dead[] }).deadLetters;
}

async function briefingOf(user: string, sorId: string) {
  return couch.getDoc(userDbNames(user).briefings, `briefing:${sorId}`);
}

describe('bad SOR input', () => {
  it('dead-letters every bad record with a clear reason, sanitises hostile HTML, and keeps going', async () => {
    const before = new Set(await couch.allDbs());

    // 1. Missing fields.
    const missing = sor.create({
      content: { summary: 'no title, no marking', bodyHtml: '<p>x</p>' },
      recipients: [READER],
    });
    // 2. A 50 MB body.
    const huge = sor.create({
      content: content('Huge', { bodyHtml: `<p>${'a'.repeat(50 * 1024 * 1024)}</p>` }),
      recipients: [READER],
    });
    // 3. Bytes that are not UTF-8 (stored fine; the façade garbles them on the wire).
    const garbled = sor.create({ content: content('Garbled'), recipients: [READER] });
    overrides.set(garbled.sorId, (res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          new Uint8Array([
            ...new TextEncoder().encode(`{"sorId":"${garbled.sorId}","title":"`),
            0xff,
            0xfe,
            ...new TextEncoder().encode('"}'),
          ]),
        ),
    );
    // 4. Script-laden HTML: delivered, made inert.
    const hostile = sor.create({
      content: content('<script>alert("title")</script>Quarterly outlook', {
        bodyHtml:
          '<p onclick="steal()">Text</p><script>alert(1)</script><img src=x onerror="alert(2)">' +
          '<a href="javascript:alert(3)">link</a><iframe src="https://evil.example"></iframe>' +
          '<style>body{display:none}</style><svg onload="alert(4)"></svg>',
      }),
      recipients: [READER],
    });
    // 5. Recipient ids crafted to escape the database name, or not user ids at all.
    const escapes = ['_replicator', '_users', 'evil:user', 'x\u0000y', 'é'.repeat(60)];
    const oddButValid = ['../../_users', '../x', 'A/B/../../C', '%2e%2e%2f_users'];
    const crafted = sor.create({
      content: content('Crafted recipients'),
      recipients: [...escapes, ...oddButValid],
    });
    // 6. Unknown recipients: change-log entries that name a document the SOR does not have, or a
    // user the document is not shared with; and entries that break the contract.
    injected = [
      {
        seq: 0,
        kind: 'share',
        sorId: 'BRF-999999',
        recipient: 'ghost.one',
        version: 1,
        approvedAt: 'x',
      },
      {
        seq: 0,
        kind: 'share',
        sorId: hostile.sorId,
        recipient: 'ghost.two',
        version: 1,
        approvedAt: 'x',
      },
      { seq: 0, kind: 'share', sorId: hostile.sorId, version: 1, approvedAt: 'x' },
      { seq: 0, kind: 'publish', sorId: hostile.sorId, recipient: READER, version: 1 },
    ];
    // 7. And a good one after all of it.
    const good = sor.create({ content: content('Still flowing'), recipients: [READER] });

    await waitFor(
      'the good briefing',
      async () => ((await briefingOf(READER, good.sorId)) ? true : undefined),
      30_000,
    );
    const dead = await waitFor(
      'dead letters',
      async () => {
        const list = await deadLetters();
        return list.length >= 3 + escapes.length + 2 ? list : undefined;
      },
      30_000,
    );
    const reasonFor = (sorId: string, recipient?: string) =>
      dead
        .filter(
          (d) =>
            d.payload['sorId'] === sorId &&
            (recipient === undefined || d.payload['recipient'] === recipient),
        )
        .map((d) => d.reason);

    expect(reasonFor(missing.sorId)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^SOR document "${missing.sorId}" is malformed: .*content\\.title: .*content\\.classification`,
        ),
      ),
    ]);
    expect(reasonFor(huge.sorId)).toEqual([
      `The SOR's answer for document "${huge.sorId}" is larger than 16777216 bytes.`,
    ]);
    expect(reasonFor(garbled.sorId)).toEqual([
      `The SOR's answer for document "${garbled.sorId}" is not valid UTF-8.`,
    ]);
    for (const id of escapes) {
      expect(reasonFor(crafted.sorId, id)).toEqual([
        expect.stringMatching(
          /^Recipient .* is not a valid user id: it (starts with "_"|contains ":"|contains control characters|is longer than 100 bytes)\.$/,
        ),
      ]);
    }
    const contractBreaks = dead.filter((d) => d.payload['kind'] === 'malformed');
    expect(contractBreaks.map((d) => d.reason)).toEqual([
      expect.stringMatching(/SOR change #2 .* is malformed: recipient: /),
      expect.stringMatching(/SOR change #3 .* is malformed: kind: .*approvedAt: /),
    ]);
    // Permanent failures are not retried pointlessly.
    expect(dead.every((d) => d.attempts === 1)).toBe(true);

    // The hostile HTML arrived, inert; the title is kept as text (the reader shows it as text).
    const delivered = (await briefingOf(READER, hostile.sorId)) as unknown as {
      bodyHtml: string;
      title: string;
    };
    expect(delivered.bodyHtml).toBe(
      '<p>Text</p><a rel="noopener noreferrer" target="_blank">link</a>',
    );
    expect(delivered.title).toBe('<script>alert("title")</script>Quarterly outlook');

    // Odd but valid ids got databases of their own, named by hex; nothing else was created:
    // no database for unknown recipients, none outside the userdb-/returns- hex namespace.
    for (const id of oddButValid) {
      expect(
        await couch.getDoc(userDbNames(id).briefings, `briefing:${crafted.sorId}`),
      ).not.toBeNull();
    }
    const created = (await couch.allDbs()).filter((db) => !before.has(db));
    expect(created.every((db) => /^(userdb|returns)-([0-9a-f]{2})+$/.test(db))).toBe(true);
    for (const ghost of ['ghost.one', 'ghost.two']) {
      expect(created).not.toContain(userDbNames(ghost).briefings);
    }
    expect(created).toContain(userDbNames('../x').briefings);
    // Nothing reached the reader that should not have.
    for (const sorId of [missing.sorId, huge.sorId, garbled.sorId]) {
      expect(await briefingOf(READER, sorId)).toBeNull();
    }
  }, 90_000);
});
