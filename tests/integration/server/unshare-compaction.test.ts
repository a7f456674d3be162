// An unshared briefing leaves the server's disk, not only the person's view: after the unshare
// the fan-out asks for a compaction of their briefings database, the compactor runs it, and no
// file under the server's data folder holds the briefing's text or its attachment any more. The
// person's annotation quoting it goes too: the returns integrator sends it to the SOR, then
// deletes it from the returns database, whose compaction takes it off the disk.
//
// The SOR runs outside the server's data folder (it is another system, and keeps the briefing
// after the unshare). The `couchdb` project runs this on Apache CouchDB, whose data folder is
// searched too (its test instances store files uncompressed, so the search can see the text).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../../../server/src/http/json-http.js';
import { createSorAdminServer } from '../../../server/src/demo/sor/admin-api.js';
import { createDemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import type { DemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import { SOR_API_PREFIX } from '../../../server/src/sor/sor-contract.js';
import { startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

const USER = 'zoe.kaplan';

/** Files under `folders` whose raw bytes contain `phrase`. */
function filesHolding(folders: readonly string[], phrase: string): string[] {
  return folders.flatMap((folder) =>
    fs
      .readdirSync(folder, { recursive: true, encoding: 'utf8' })
      .map((name) => path.join(folder, name))
      .filter((file) => {
        try {
          return fs.statSync(file).isFile() && fs.readFileSync(file).includes(phrase);
        } catch {
          return false; // removed while we looked (LevelDB swapping files)
        }
      }),
  );
}

const content = (title: string, bodyHtml: string) => ({
  title,
  summary: 'For the compaction test.',
  bodyHtml,
  classification: 'PROTECTED',
  priority: 'routine',
  sender: { name: 'Test Unit', role: 'Department' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('unshared content, on the server under test (embedded or Apache CouchDB)', () => {
  let sorDir: string;
  let sor: DemoSor;
  let sorServer: http.Server;
  let h: Harness;

  beforeAll(async () => {
    sorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-external-sor-'));
    sor = createDemoSor({ file: path.join(sorDir, 'sor.sqlite') });
    const token = `sor-token-${randomUUID()}`;
    fs.writeFileSync(path.join(sorDir, 'token'), token, { mode: 0o600 });
    sorServer = createSorAdminServer({ sor, adminToken: token });
    const port = await listen(sorServer, '127.0.0.1', 0);
    h = await startHarness({
      demoSor: false,
      sorAdapter: 'rest',
      sorRestUrl: `http://127.0.0.1:${port}${SOR_API_PREFIX}`,
      sorRestTokenFile: path.join(sorDir, 'token'),
      compactionQuietMs: 1_000,
      compactionMaxDelayMs: 5_000,
      compactionMinIntervalMs: 0,
      returnsIntervalMs: 100,
    });
  });
  afterAll(async () => {
    await h?.stop();
    await closeServer(sorServer);
    sor.close();
    fs.rmSync(sorDir, { recursive: true, force: true });
  });

  const compactions = (user: string) =>
    fs
      .readFileSync(h.server.files.auditLog, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"action":"fanout.compacted"'))
      .map((line) => JSON.parse(line) as { user: string; db: string; unshares: number })
      .filter((record) => record.user === user);

  it('leaves no trace of an unshared briefing or its attachment in any file of the server', async () => {
    const user = USER;
    const phrase = `ZEPHYR-${randomUUID()}`;
    const briefings = [0, 1, 2].map((n) =>
      sor.create({
        content: content(`Briefing ${n} ${phrase}`, `<p>${phrase} paragraph ${n}</p>`),
        attachments: [
          {
            name: `paper-${n}.pdf`,
            contentType: 'application/pdf',
            data: new TextEncoder().encode(`%PDF-1.7\n% ${phrase} page ${n}\n%%EOF\n`),
          },
        ],
        recipients: [user],
      }),
    );
    const token = await h.devToken(user);
    const path = (sorId: string) => `/db/briefings/${encodeURIComponent(`briefing:${sorId}`)}`;
    for (const { sorId } of briefings) {
      await waitFor(`${sorId} delivered`, async () =>
        (await h.broker(path(sorId), { token })).status === 200 ? true : undefined,
      );
    }
    // The person marks a passage of the first: the return quotes the briefing.
    const sorId = briefings[0]!.sorId;
    const eventId = `annotation-event:${randomUUID()}`;
    const annotation = await h.broker(`/db/returns/${encodeURIComponent(eventId)}`, {
      method: 'PUT',
      token,
      body: {
        type: 'annotation-event',
        annotationId: randomUUID(),
        action: 'create',
        clock: 1,
        deviceId: randomUUID(),
        briefingId: `briefing:${sorId}`,
        sorId,
        sourceVersion: 1,
        exact: `${phrase} paragraph 0`,
        prefix: '',
        suffix: '',
        start: 0,
        end: phrase.length + 12,
        colour: 'yellow',
        note: 'Raise at the meeting',
        writtenAt: new Date().toISOString(),
        author: user,
      },
    });
    expect(annotation.status, JSON.stringify(annotation.body)).toBe(201);
    await waitFor('the annotation in the SOR', () =>
      Promise.resolve(sor.listReturns().some((r) => r.sorId === sorId) ? true : undefined),
    );
    // The search finds the briefings while they are shared: it would see them if they stayed.
    expect(filesHolding(h.couchDataDirs, phrase)).not.toEqual([]);

    // Three unshares in a row: one compaction.
    sor.unshare(briefings[0]!.sorId, [user]);
    sor.unshare(briefings[1]!.sorId, [user]);
    sor.unshare(briefings[2]!.sorId, [user]);
    for (const { sorId } of briefings) {
      await waitFor(`${sorId} unshared`, async () =>
        (await h.broker(path(sorId), { token })).status === 404 ? true : undefined,
      );
    }
    // Two compactions: the briefings database's after the unshares, and the returns database's
    // after the integrator deleted the annotation.
    const done = await waitFor('both databases compacted', () =>
      Promise.resolve(compactions(user).length > 1 ? compactions(user) : undefined),
    );
    const record = done.find((r) => r.db.startsWith('userdb-'));
    expect(done.map((r) => r.db.split('-')[0]).sort()).toEqual(['returns', 'userdb']);
    expect(filesHolding(h.couchDataDirs, phrase)).toEqual([]);
    expect(record?.unshares).toBe(3);
    // The SOR keeps it, once; the person's returns database no longer has it.
    expect(sor.listReturns().filter((r) => r.sorId === sorId)).toHaveLength(1);
    expect((await h.broker(`/db/returns/${encodeURIComponent(eventId)}`, { token })).status).toBe(
      404,
    );

    // Nothing more was asked for: no second compaction comes.
    const metrics = await (await fetch(`${h.server.urls.ops}/metrics`)).text();
    expect(metrics).toMatch(/^attache_compactions_total\{outcome="done"\} 2$/m);
    expect(metrics).toMatch(/^attache_compactions_total\{outcome="failed"\} 0$/m);
    await waitFor('no compaction pending', async () =>
      /^attache_compactions_pending 0$/m.test(
        await (await fetch(`${h.server.urls.ops}/metrics`)).text(),
      )
        ? true
        : undefined,
    );
    expect(compactions(user)).toHaveLength(2);
  });
});
