// A first sync at volume through the real server and broker on their default limits (50
// requests/s, burst 300, 32 open per person): a few hundred briefings, each with a PDF, all
// arrive, in a handful of requests, and the status never says the server refused the sync.
// (With PouchDB's replicator this never completed: one GET per attachment, all of a batch's at
// once, ran into the broker's limits.)
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import { createSyncService } from '../../../src/main/sync/sync-service.js';
import type { SyncStatus } from '../../../src/shared/ipc.js';
import { briefing, memoryLogger, tempDir } from '../../unit/device/fixtures.js';
import { createInMemoryKeychainTestDouble } from '../../unit/device/auth-doubles.js';
import { auditRecords } from '../server/broker-client.js';
import type { CouchDoc } from '../../../server/src/couch/types.js';
import { basic, couchClientFor, couchEndpointRequest } from '../server/couch-socket.js';
import type { Harness } from '../server/server-harness.js';
import { briefingInput, startHarness, waitFor } from '../server/server-harness.js';

const USER = 'alex.morgan';
const COUNT = 300;
const PDF_BYTES = 64 * 1024;

let h: Harness;

/** Writes briefings into the person's database as the fan-out does (as the CouchDB admin). */
async function writeBriefings(db: string, docs: object[]): Promise<void> {
  const couch = couchClientFor(h.server, h.couchAdminCredentials);
  for (let i = 0; i < docs.length; i += 40) {
    const results = await couch.bulkDocs(db, docs.slice(i, i + 40) as CouchDoc[]);
    const failed = results.filter((result) => result.error !== undefined);
    if (failed.length > 0) throw new Error(`writing briefings: ${JSON.stringify(failed[0])}`);
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
    // The newest are the server's 50 latest changes: within one `_bulk_docs` the database
    // numbers the documents in the order it finishes them, not the order they were sent.
    const latest = await couchEndpointRequest(
      h.server.couch,
      'GET',
      `/${h.dbNames(USER).briefings}/_changes?descending=true&limit=50`,
      { authorization: basic(h.couchAdminCredentials) },
    );
    const newest = (JSON.parse(latest.text) as { results: { id: string }[] }).results.map(
      (change) => change.id,
    );
    expect(newest).toHaveLength(50);
    let newestAt: number | null = null;
    /**
     * How many briefings the device held when the last of the 50 newest was written, in the
     * store's own write order (the feed hands changes over in that order; a busy machine may
     * hand them over all at once, so the moment they are handed over says nothing).
     */
    let heldWithNewest: number | null = null;
    const held = new Set<string>();
    const waiting = new Set(newest);
    store.onBriefingsChange((changes) => {
      for (const change of changes) {
        held.add(change.id);
        waiting.delete(change.id);
        if (heldWithNewest === null && waiting.size === 0) {
          newestAt = Date.now();
          heldWithNewest = held.size;
        }
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
      // The newest first: all 50 were written before most of the rest. Counted in briefings,
      // not in time: the four requests in flight finish in any order on a busy machine.
      expect(newestAt).not.toBeNull();
      expect(heldWithNewest ?? COUNT).toBeLessThanOrEqual(60);
      const attachment = await store.getBriefingAttachment('briefing:volume-0123', 'paper.pdf');
      expect(attachment?.data.length).toBe(PDF_BYTES);
      // Never "refused", never failing: the broker's limits were not met.
      expect(statuses.filter((status) => status.state === 'error')).toEqual([]);
      const audit = auditRecords(h);
      const refused = audit.filter((r) => r.decision === 'refused' && r['user'] === USER);
      expect(refused).toEqual([]);
      // The briefings' pull's requests (the returns are pulled and pushed beside it).
      const requests = audit.filter(
        (r) => r['user'] === USER && String(r['path']).startsWith('/db/briefings'),
      );
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
