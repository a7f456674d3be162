// A first sync at volume through the real server and broker on their default limits (50
// requests/s, burst 300, 32 open per person): a few hundred briefings, each with a PDF, all
// arrive, in a handful of requests, and the status never says the server refused the sync.
// (With PouchDB's replicator this never completed: one GET per attachment, all of a batch's at
// once, ran into the broker's limits.)
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import { createSyncService } from '../../../src/main/sync/sync-service.js';
import type { SyncStatus } from '../../../src/shared/ipc.js';
import { briefing, memoryLogger, tempDir } from '../../unit/device/fixtures.js';
import { createInMemoryKeychainTestDouble } from '../../unit/device/auth-doubles.js';
import { auditRecords } from '../server/broker-client.js';
import { basic, couchRequest } from '../server/couch-socket.js';
import type { Harness } from '../server/server-harness.js';
import { briefingInput, startHarness, waitFor } from '../server/server-harness.js';

const USER = 'alex.morgan';
const COUNT = 300;
const PDF_BYTES = 64 * 1024;

let h: Harness;

/** Writes briefings into the person's database as the fan-out does (as the CouchDB admin). */
async function writeBriefings(db: string, docs: object[]): Promise<void> {
  const { couchAdmin } = JSON.parse(fs.readFileSync(h.server.files.serverSecrets, 'utf8')) as {
    couchAdmin: { username: string; password: string };
  };
  for (let i = 0; i < docs.length; i += 40) {
    const reply = await couchRequest(h.server.couch.socketPath ?? '', 'POST', `/${db}/_bulk_docs`, {
      authorization: basic(couchAdmin),
      body: JSON.stringify({ docs: docs.slice(i, i + 40) }),
    });
    if (reply.status !== 201) throw new Error(`writing briefings: ${reply.status} ${reply.text}`);
  }
}

beforeAll(async () => {
  // Defaults for the broker's limits: the point is that a well-behaved sync never meets them.
  h = await startHarness({ seedDemoData: false });
  // One briefing through the pipeline makes the person's databases, with their security.
  await h.admin('POST', '/briefings', briefingInput('First', [USER]));
  const token = await h.devToken(USER);
  await waitFor('the person database', async () =>
    (await h.broker('/db/briefings', { token })).status === 200 ? true : undefined,
  );
  await writeBriefings(
    h.dbNames(USER).briefings,
    Array.from({ length: COUNT }, (_, i) => ({
      ...briefing(`volume-${String(i).padStart(4, '0')}`),
      _attachments: {
        'paper.pdf': {
          content_type: 'application/pdf',
          data: randomBytes(PDF_BYTES).toString('base64'),
        },
      },
    })),
  );
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

describe('a first sync at volume through the broker', () => {
  it(`stores ${COUNT} briefings that each carry a PDF, never reporting a refusal`, async () => {
    const dir = await tempDir('volume');
    const { logger } = memoryLogger();
    const store = await openUserStore({
      dataDir: dir.path,
      userId: USER,
      keychain: createInMemoryKeychainTestDouble(),
      logger,
    });
    const sync = createSyncService({
      store,
      brokerUrl: h.server.urls.broker,
      tokenProvider: { getAccessToken: () => h.devToken(USER) },
      logger,
    });
    const statuses: SyncStatus[] = [];
    sync.onStatus((status) => statuses.push(status));
    const newest = Array.from(
      { length: 50 },
      (_, i) => `briefing:volume-${String(COUNT - 1 - i).padStart(4, '0')}`,
    );
    let newestAt: number | null = null;
    /** How many briefings the device held when the last of the 50 newest arrived. */
    let heldWithNewest: number | null = null;
    const held = new Set<string>();
    store.onBriefingsChange((changes) => {
      for (const change of changes) held.add(change.id);
      if (newestAt === null && newest.every((id) => held.has(id))) {
        newestAt = Date.now();
        heldWithNewest = held.size;
      }
    });
    const started = Date.now();
    try {
      sync.start();
      await waitFor(
        'every briefing on the device',
        async () => ((await store.listBriefingDocs()).length === COUNT + 1 ? true : undefined),
        90_000,
      );
      const seconds = (Date.now() - started) / 1000;
      // Newest first is checked by pull.test.ts against a stand-in server. Through the real
      // broker the last of the 50 newest arrived after 296 of 300 in a clean run (issue #12):
      // recorded here for the log, not asserted until the pull serves its first page first.
      expect(newestAt).not.toBeNull();
      const attachment = await store.getBriefingAttachment('briefing:volume-0123', 'paper.pdf');
      expect(attachment?.data.length).toBe(PDF_BYTES);
      // Never "refused", never failing: the broker's limits were not met.
      expect(statuses.filter((status) => status.state === 'error')).toEqual([]);
      const audit = auditRecords(h);
      const refused = audit.filter((r) => r.decision === 'refused' && r['user'] === USER);
      expect(refused).toEqual([]);
      const requests = audit.filter((r) => r['user'] === USER);
      // 301 briefings in batches of 50 and a few feed reads, not one request per attachment.
      expect(requests.length).toBeLessThan(40);
      logger.info('first sync at volume', { seconds, heldWithNewest, requests: requests.length });
    } finally {
      await sync.stop();
      await store.close();
      await dir.remove();
    }
  }, 120_000);
});
