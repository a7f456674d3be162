// Device sync against the real embedded server (demo SOR -> poller -> queue -> fan-out ->
// CouchDB-protocol server -> auth broker), driven through the browser host's HTTP bridge: the
// same path the reader takes where Electron cannot run.
import { randomUUID } from 'node:crypto';
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PDFDocument, PDFName, PDFString } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/src/config/config-schema.js';
import type { ServerConfig } from '../../../server/src/config/types.js';
import type { RunningServer } from '../../../server/src/server.js';
import { startServer } from '../../../server/src/server.js';
import type { RunningHost } from '../../../src/host/host.js';
import { startHost } from '../../../src/host/host.js';
import { createLogger } from '../../../src/main/logging/logger.js';
import { createKeytarKeychain } from '../../../src/main/secrets/keychain.keytar.js';
import { keychainServiceFor } from '../../../src/main/secrets/keychain-service.js';
import { readStoreKey } from '../../../src/main/storage/store-key.js';
import { findUserStoreFolder, storeDatabasePaths } from '../../../src/main/storage/store-folder.js';
import type {
  BriefingDetail,
  BriefingPage,
  IpcChannel,
  SyncStatus,
} from '../../../src/shared/ipc.js';
import { BROKER_DB_PATHS, HOST_KEY_HEADER, SAMPLE_USER } from '../../../src/shared/protocol.js';
import type { Result } from '../../../src/shared/result.js';
import keytar from 'keytar';
import type { Browser } from 'playwright-core';
import { tempDir } from '../../unit/device/fixtures.js';
import { ciphertextProbe, decryptedEntries, filesContaining } from '../../unit/device/raw-store.js';
import {
  decryptedSearchIndex,
  searchIndexKey,
  searchIndexPath,
} from '../../unit/device/raw-search-index.js';
import type { SearchResponse } from '../../../src/shared/search.js';
import {
  clearDeviceKeychain,
  launchBrowser,
  realDeviceAuth,
  signInThroughBrowser,
  until,
} from './device-sign-in.js';

const TIMEOUT_MS = 60_000;
// Quiet: the device's own logs would drown the test output (redaction is unit-tested).
const logger = createLogger('device-it', () => undefined);

async function call<T>(host: RunningHost, channel: IpcChannel, request: object = {}): Promise<T> {
  const response = await fetch(`${host.origin}/api/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [HOST_KEY_HEADER]: host.secret },
    body: JSON.stringify(request),
  });
  const result = (await response.json()) as Result<T>;
  if (!result.ok)
    throw new Error(`${channel} failed: ${result.error.code} ${result.error.message}`);
  return result.value;
}

/** A real PDF whose raw bytes contain `marker` as a literal string (in its catalog). */
async function pdfWithMarker(marker: string): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  pdf.addPage([595, 842]);
  pdf.catalog.set(PDFName.of('AttacheMarker'), PDFString.of(marker));
  return Buffer.from(await pdf.save({ useObjectStreams: false }));
}

describe('device sync through the auth broker', () => {
  let serverDir: Awaited<ReturnType<typeof tempDir>>;
  let deviceDir: Awaited<ReturnType<typeof tempDir>>;
  let webDir: Awaited<ReturnType<typeof tempDir>>;
  let config: ServerConfig;
  let server: RunningServer | null = null;
  let host: RunningHost | null = null;
  let adminToken: string;
  let expectedIds: string[];
  let browser: Browser;
  let issuer: string;
  let caFile: string;

  const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    if (!server) throw new Error('server is not running');
    const response = await fetch(`${server.urls.sor}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok)
      throw new Error(`SOR admin ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };

  // Always the same broker address (restarts reuse the ports), whether the server is up or not.
  const openHost = async (): Promise<RunningHost> =>
    startHost({
      dataDir: deviceDir.path,
      brokerUrl: `http://127.0.0.1:${config.brokerPort}`,
      auth: await realDeviceAuth({ dataDir: deviceDir.path, issuer, caFile, logger }),
      port: 0,
      staticDir: webDir.path,
      logger,
      sync: { backOff: { initialMs: 200, maxMs: 1_000 }, purgeFallbackMs: 2_000 },
    });

  beforeAll(async () => {
    serverDir = await tempDir('it-server');
    deviceDir = await tempDir('it-device');
    webDir = await tempDir('it-web');
    config = parseConfig({
      dataDir: serverDir.path,
      sorPort: 0,
      brokerPort: 0,
      opsPort: 0,
      logLevel: 'warn',
      pollIntervalMs: 200,
      fanoutIdleMs: 50,
      idpPort: 0,
    });
    server = await startServer(config);
    issuer = server.urls.idp ?? '';
    caFile = server.files.devCa ?? '';
    browser = await launchBrowser();
    // Restarts reuse the ports, so the device keeps talking to the same broker URL.
    const port = (url: string): number => Number(new URL(url).port);
    config = {
      ...config,
      sorPort: port(server.urls.sor),
      brokerPort: port(server.urls.broker),
      opsPort: port(server.urls.ops),
      // The issuer names its port: a restarted provider must be the one the device trusts.
      idpPort: port(issuer),
    };
    adminToken = (await readFile(server.files.adminToken, 'utf8')).trim();
    const { briefings } = (await admin('GET', '/admin/briefings')) as {
      briefings: Array<{ sorId: string; recipients: string[] }>;
    };
    expectedIds = briefings
      .filter((b) => b.recipients.includes(SAMPLE_USER.id))
      .map((b) => `briefing:${b.sorId}`);
  }, TIMEOUT_MS);

  afterAll(async () => {
    await host?.stop();
    await browser?.close();
    if (deviceDir) await clearDeviceKeychain(deviceDir.path);
    await server?.stop();
    await deviceDir?.remove();
    await serverDir?.remove();
    await webDir?.remove();
  }, TIMEOUT_MS);

  it(
    "replicates the sample user's briefings, attachments included, to the local store",
    async () => {
      expect(expectedIds.length).toBeGreaterThanOrEqual(20);
      host = await openHost();
      const running = host;
      await signInThroughBrowser(running, browser, SAMPLE_USER.id);
      const list = await until('all sample briefings on the device', async () => {
        const current = (await call<BriefingPage>(running, 'briefings:list', { limit: 500 })).items;
        return current.length === expectedIds.length ? current : null;
      });
      expect(new Set(list.map((b) => b.id))).toEqual(new Set(expectedIds));
      // Newest approval first.
      const times = list.map((b) => Date.parse(b.approvedAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));

      const withPdf = list.find((b) => b.attachmentCount > 0);
      expect(withPdf).toBeDefined();
      const detail = await call<BriefingDetail>(running, 'briefings:get', { id: withPdf?.id });
      const pdf = detail.attachments.find((a) => a.contentType === 'application/pdf');
      expect(pdf).toBeDefined();
      const content = await call<{ base64: string; contentType: string }>(
        running,
        'briefings:attachment',
        {
          id: detail.id,
          name: pdf?.name,
        },
      );
      expect(Buffer.from(content.base64, 'base64').subarray(0, 5).toString('latin1')).toBe('%PDF-');

      const status = await until('up to date', async () => {
        const s = await call<SyncStatus>(running, 'sync:status');
        return s.state === 'up-to-date' ? s : null;
      });
      expect(status.lastSyncedAt).not.toBeNull();
    },
    TIMEOUT_MS,
  );

  it(
    'pushes a read receipt to the user’s returns database while online',
    async () => {
      if (!host || !server) throw new Error('previous scenario did not leave a running host');
      const running = host;
      const [first] = (await call<BriefingPage>(running, 'briefings:list', { limit: 500 })).items;
      if (!first) throw new Error('no briefing on the device');
      await call(running, 'briefings:mark-read', { id: first.id });
      expect(
        (await call<BriefingPage>(running, 'briefings:list', { limit: 500 })).items.find(
          (b) => b.id === first.id,
        )?.read,
      ).toBe(true);

      // Read back through the broker as the user: the receipt is in their own returns database.
      // (The test borrows the device's token in-process; the reader never can.)
      const brokerUrl = server.urls.broker;
      const token = await running.services.auth.tokenProvider.getAccessToken();
      const receipt = await until('the read receipt on the server', async () => {
        const response = await fetch(
          `${brokerUrl}${BROKER_DB_PATHS.returns}/_all_docs?include_docs=true`,
          {
            headers: { authorization: `Bearer ${token}` },
          },
        );
        const body = (await response.json()) as { rows: Array<{ doc: Record<string, unknown> }> };
        return body.rows.map((row) => row.doc).find((doc) => doc['briefingId'] === first.id);
      });
      expect(receipt).toMatchObject({
        type: 'read-receipt',
        author: SAMPLE_USER.id,
        sorId: first.id.replace(/^briefing:/, ''),
      });
      await until(
        'no pending uploads',
        async () => (await call<SyncStatus>(running, 'sync:status')).pendingUploads === 0,
      );
      // And on to the SOR: the receipt has the shape the returns database and the integrator
      // accept, on a briefing shared with its author.
      await until('the read receipt in the SOR', async () => {
        const { returns } = (await admin('GET', '/admin/returns')) as {
          returns: Array<{ userId: string; sorId: string; type: string }>;
        };
        return returns.find(
          (r) => r.userId === SAMPLE_USER.id && `briefing:${r.sorId}` === first.id,
        );
      });
    },
    TIMEOUT_MS,
  );

  it(
    'lists and opens the briefings with the server stopped, after a restart of the device',
    async () => {
      await host?.stop();
      host = null;
      await server?.stop();
      server = null;

      host = await openHost();
      const running = host;
      const list = (await call<BriefingPage>(running, 'briefings:list', { limit: 500 })).items;
      expect(new Set(list.map((b) => b.id))).toEqual(new Set(expectedIds));
      const detail = await call<BriefingDetail>(running, 'briefings:get', { id: list[0]?.id });
      expect(detail.bodyHtml.length).toBeGreaterThan(0);
      // A read made offline waits locally and is counted as pending.
      const unread = list.find((b) => !b.read);
      if (!unread) throw new Error('expected an unread briefing');
      await call(running, 'briefings:mark-read', { id: unread.id });
      const status = await until('offline with one pending upload', async () => {
        const s = await call<SyncStatus>(running, 'sync:status');
        return s.state === 'offline' && s.pendingUploads === 1 ? s : null;
      });
      expect(status.lastSyncedAt).not.toBeNull();
    },
    TIMEOUT_MS,
  );

  it(
    'keeps a synced briefing, its PDF and its search index encrypted on disk, and after an unshare purges their sealed values and its words from the index',
    async () => {
      // The server comes back on the same ports; the device resumes by itself.
      server = await startServer(config);
      if (!host) throw new Error('previous scenario did not leave a running host');
      const running = host;
      await until('the offline read receipt pushed', async () => {
        const s = await call<SyncStatus>(running, 'sync:status');
        return s.state === 'up-to-date' && s.pendingUploads === 0;
      });

      const phrase = `Quiet-Lantern-${randomUUID()}`;
      // One word, as search indexes it (letters and digits): the canary looked for in the index.
      const canary = `quietlantern${randomUUID().replace(/-/g, '')}`;
      const marker = `ANNEX-MARKER-${randomUUID()}`;
      const pdf = await pdfWithMarker(marker);
      const created = (await admin('POST', '/admin/briefings', {
        title: 'Unshare probe',
        summary: 'A briefing that will be withdrawn',
        bodyHtml: `<p>The code phrase is ${phrase}, also known as ${canary}.</p>`,
        classification: 'PROTECTED',
        priority: 'urgent',
        recipients: [SAMPLE_USER.id],
        attachments: [
          { name: 'annex.pdf', contentType: 'application/pdf', dataBase64: pdf.toString('base64') },
        ],
      })) as { sorId: string };
      const id = `briefing:${created.sorId}`;
      await until('the new briefing on the device', async () =>
        (await call<BriefingPage>(running, 'briefings:list', { limit: 500 })).items.some(
          (b) => b.id === id,
        ),
      );
      // Synced and readable through the reader's verbs ...
      const detail = await call<BriefingDetail>(running, 'briefings:get', { id });
      expect(detail.bodyHtml).toContain(phrase);
      const annex = await call<{ base64: string }>(running, 'briefings:attachment', {
        id,
        name: 'annex.pdf',
      });
      expect(Buffer.from(annex.base64, 'base64').includes(marker)).toBe(true);
      // ... and searchable: the index has taken it in.
      await until('the briefing found by search', async () => {
        const found = await call<SearchResponse>(running, 'search:query', { text: canary });
        return found.hits.some((hit) => hit.id === id);
      });
      // ... and in no raw file of the person's store (encrypted at rest).
      const keychain = createKeytarKeychain({ service: keychainServiceFor(deviceDir.path) });
      const store = await findUserStoreFolder({
        dataDir: deviceDir.path,
        userId: SAMPLE_USER.id,
        keychain,
      });
      if (!store) throw new Error('no store folder for the person');
      expect(await filesContaining(store, phrase)).toEqual([]);
      expect(await filesContaining(store, marker)).toEqual([]);
      expect(await filesContaining(store, canary)).toEqual([]);
      await access(searchIndexPath(store)); // the index is among the files searched

      // Control for the purge, in the decrypted view (the device stopped to release LevelDB's
      // lock; the test borrows the data key from the keychain in-process, the reader never can):
      // the sealed values holding the phrase and the PDF, which a search of the files does find.
      await running.stop();
      host = null;
      const dataKey = await readStoreKey(keychain, SAMPLE_USER.id);
      if (!dataKey) throw new Error('no data key for the store in the keychain');
      const folder = storeDatabasePaths(store).briefings;
      const probes = (await decryptedEntries(folder, dataKey, 'briefings'))
        .filter((entry) => entry.plain.includes(phrase) || entry.plain.includes(marker))
        .map((entry) => ciphertextProbe(entry.value));
      expect(probes.length).toBeGreaterThanOrEqual(2);
      for (const probe of probes) expect(await filesContaining(folder, probe)).not.toEqual([]);
      const indexKey = searchIndexKey(dataKey);
      expect(await decryptedSearchIndex(searchIndexPath(store), indexKey)).toContain(canary);
      host = await openHost();
      const reopened = host;

      await admin('POST', `/admin/briefings/${encodeURIComponent(created.sorId)}/unshare`, {
        users: [SAMPLE_USER.id],
      });
      await until('the briefing gone from the reader', async () => {
        const list = (await call<BriefingPage>(reopened, 'briefings:list', { limit: 500 })).items;
        return !list.some((b) => b.id === id);
      });
      expect(await call(reopened, 'briefings:get', { id })).toBeNull();
      // Not found any more, and its words gone from the index's pages, not only hidden.
      const after = await call<SearchResponse>(reopened, 'search:query', { text: canary });
      expect(after.total).toBe(0);
      await until(
        'its words gone from the search index’s pages',
        async () =>
          !(await decryptedSearchIndex(searchIndexPath(store), indexKey)).includes(canary),
      );
      await until('its sealed values purged from the raw LevelDB files', async () => {
        for (const probe of probes) {
          if ((await filesContaining(store, probe)).length > 0) return false;
        }
        return true;
      });

      // Everything else is still there and readable.
      const list = (await call<BriefingPage>(reopened, 'briefings:list', { limit: 500 })).items;
      expect(new Set(list.map((b) => b.id))).toEqual(new Set(expectedIds));
    },
    TIMEOUT_MS,
  );

  it(
    'signs out without losing a receipt written offline, erases the copy, and restores what was read at the next sign-in',
    async () => {
      if (!host || !server) throw new Error('previous scenario did not leave a running host');
      const running = host;
      await server.stop();
      server = null;
      const unread = (
        await call<BriefingPage>(running, 'briefings:list', { limit: 500 })
      ).items.find((b) => !b.read);
      if (!unread) throw new Error('expected an unread briefing');
      await call(running, 'briefings:mark-read', { id: unread.id });
      await until(
        'one pending upload',
        async () => (await call<SyncStatus>(running, 'sync:status')).pendingUploads === 1,
      );
      const readBefore = (await call<BriefingPage>(running, 'briefings:list', { limit: 500 })).items
        .filter((b) => b.read)
        .map((b) => b.id);

      // The search index is in the person's store folder, which sign-out erases.
      const keychain = createKeytarKeychain({ service: keychainServiceFor(deviceDir.path) });
      const store = await findUserStoreFolder({
        dataDir: deviceDir.path,
        userId: SAMPLE_USER.id,
        keychain,
      });
      if (!store) throw new Error('no store folder for the person');
      await access(searchIndexPath(store));

      // The server is back; sign-out at once sends the receipt before it erases anything.
      server = await startServer(config);
      expect(await call(running, 'session:sign-out')).toEqual({ outcome: 'signed-out' });
      const service = keychainServiceFor(deviceDir.path);
      expect((await keytar.findCredentials(service)).map((e) => e.account)).toEqual([]);
      expect(await readdir(join(deviceDir.path, 'users'))).toEqual([]);

      await signInThroughBrowser(running, browser, SAMPLE_USER.id);
      const restored = await until('the briefings and what was read, back', async () => {
        const list = (await call<BriefingPage>(running, 'briefings:list', { limit: 500 })).items;
        const read = list.filter((b) => b.read).map((b) => b.id);
        return list.length === expectedIds.length && read.length === readBefore.length
          ? read
          : null;
      });
      expect(new Set(restored)).toEqual(new Set(readBefore));
      expect(restored).toContain(unread.id);
      // The restored receipts count as local changes until the push replication has compared
      // them with the server's (which already has them): nothing is left to send after that.
      let lastStatus: SyncStatus | null = null;
      await until('nothing pending upload', async () => {
        lastStatus = await call<SyncStatus>(running, 'sync:status');
        return lastStatus.pendingUploads === 0;
      }).catch((error: unknown) => {
        throw new Error(`still pending: ${JSON.stringify(lastStatus)}`, { cause: error });
      });
    },
    TIMEOUT_MS,
  );
});
