// Encryption at rest of a person's local store, on real LevelDB files with the data key in the
// real OS keychain (gnome-keyring's Secret Service in the D-Bus session scripts/test.sh starts).
// Someone holding the disk sees only what `raw-store.ts` sees.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import keytar from 'keytar';
import { PDFDocument, PDFName, PDFString } from 'pdf-lib';
import PouchDB from 'pouchdb-node';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeytarKeychain } from '../../../src/main/secrets/keychain.keytar.js';
import { keychainServiceFor } from '../../../src/main/secrets/keychain-service.js';
import type { Keychain } from '../../../src/main/secrets/types.js';
import { storeKeySecretName } from '../../../src/main/secrets/types.js';
import { openUserWorkspace } from '../../../src/main/session/user-workspace.js';
import { createStoreKey, readStoreKey } from '../../../src/main/storage/store-key.js';
import { discardUserStore, openUserStore } from '../../../src/main/storage/store.pouch.js';
import type { UserStore } from '../../../src/main/storage/types.js';
import { StoreIntegrityError, StoreLockedError } from '../../../src/main/storage/types.js';
import {
  briefing,
  memoryLogger,
  openLocalDb,
  storeLocation,
  tempDir,
} from '../../unit/device/fixtures.js';
import {
  ciphertextProbe,
  decryptedEntries,
  filesContaining,
  putRaw,
  rawEntries,
} from '../../unit/device/raw-store.js';

const USER = 'alex.morgan@example.gov';
const PHRASE = `Operation Quiet Lantern ${randomUUID()}`;
const PDF_MARKER = `ANNEX-MARKER-${randomUUID()}`;
const NOTE = `private note ${randomUUID()}`;

/** A real PDF whose raw bytes contain `marker` as a literal string (in its catalog). */
async function pdfWithMarker(marker: string): Promise<Buffer> {
  const pdf = await PDFDocument.create();
  pdf.addPage([595, 842]);
  pdf.catalog.set(PDFName.of('AttacheMarker'), PDFString.of(marker));
  return Buffer.from(await pdf.save({ useObjectStreams: false }));
}

type Fixture = {
  readonly dataDir: string;
  readonly keychain: Keychain;
  readonly service: string;
  readonly logs: ReturnType<typeof memoryLogger>;
};
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fixture(): Promise<Fixture> {
  const dir = await tempDir('store-encryption');
  const service = keychainServiceFor(dir.path);
  cleanups.push(async () => {
    for (const { account } of await keytar.findCredentials(service)) {
      await keytar.deletePassword(service, account);
    }
    await dir.remove();
  });
  return {
    dataDir: dir.path,
    keychain: createKeytarKeychain({ service }),
    service,
    logs: memoryLogger(),
  };
}

/** Flips one bit of `bytes` at `index`, in place. */
function flipBit(bytes: Buffer, index: number): void {
  bytes.writeUInt8(bytes.readUInt8(index) ^ 0x01, index);
}

/** The briefing as the fan-out writes it, with its PDF, seeded as replication would write it. */
async function seedSecretBriefing(f: Fixture, pdf: Buffer): Promise<void> {
  const db = await openLocalDb(f.dataDir, USER, f.keychain, 'briefings');
  try {
    await db.put({
      ...briefing('BRF-000042', {
        bodyHtml: `<p>${PHRASE} begins at dawn.</p>`,
        attachments: [{ name: 'annex.pdf', contentType: 'application/pdf', size: pdf.length }],
      }),
      _attachments: {
        'annex.pdf': { content_type: 'application/pdf', data: pdf.toString('base64') },
      },
    });
  } finally {
    await db.close();
  }
}

const open = (f: Fixture): Promise<UserStore> =>
  openUserStore({ dataDir: f.dataDir, userId: USER, keychain: f.keychain, logger: f.logs.logger });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('local store encryption at rest', () => {
  it('keeps a briefing body, its PDF and a local note out of every raw file, and reads them back', async () => {
    const f = await fixture();
    const pdf = await pdfWithMarker(PDF_MARKER);
    expect(pdf.includes(PDF_MARKER)).toBe(true);

    // Control: the same data in an unencrypted PouchDB is found by the same search.
    const control = new PouchDB(join(f.dataDir, 'control'));
    await control.put({
      _id: 'c',
      bodyHtml: PHRASE,
      _attachments: { 'a.pdf': { content_type: 'application/pdf', data: pdf.toString('base64') } },
    });
    await control.close();
    expect(await filesContaining(join(f.dataDir, 'control'), PHRASE)).not.toEqual([]);
    expect(await filesContaining(join(f.dataDir, 'control'), PDF_MARKER)).not.toEqual([]);

    await seedSecretBriefing(f, pdf);
    let store = await open(f);
    await store.createReturnDoc(`note:${randomUUID()}`, { type: 'note', text: NOTE });
    await store.writeSyncState({ lastSyncedAt: '2025-03-04T10:00:00.000Z', pushedSeq: 1 });
    await store.close();

    const { folder, briefings: briefingsFolder } = await storeLocation(f.dataDir, USER, f.keychain);
    const names = await readdir(briefingsFolder);
    expect(names.some((name) => name.endsWith('.log'))).toBe(true);
    expect(names.some((name) => name.startsWith('MANIFEST-'))).toBe(true);
    for (const needle of [PHRASE, PDF_MARKER, NOTE, 'begins at dawn', '%PDF-']) {
      expect(await filesContaining(folder, needle)).toEqual([]);
    }

    // The key is in the OS keychain, and nowhere on disk or in the logs.
    const dataKey = await readStoreKey(f.keychain, USER);
    if (!dataKey) throw new Error('no data key in the keychain');
    const inKeychain = await keytar.getPassword(f.service, storeKeySecretName(USER));
    expect(inKeychain).toContain(dataKey.toString('base64'));
    expect(await filesContaining(f.dataDir, dataKey)).toEqual([]);
    expect(await filesContaining(f.dataDir, dataKey.toString('base64'))).toEqual([]);
    expect(JSON.stringify(f.logs.records)).not.toContain(dataKey.toString('base64'));

    // Reopened (a restart): everything reads back exactly.
    store = await open(f);
    try {
      const doc = await store.getBriefingDoc('briefing:BRF-000042');
      expect(doc?.['bodyHtml']).toBe(`<p>${PHRASE} begins at dawn.</p>`);
      const attachment = await store.getBriefingAttachment('briefing:BRF-000042', 'annex.pdf');
      expect(attachment?.contentType).toBe('application/pdf');
      expect(attachment?.data.equals(pdf)).toBe(true);
      expect((await store.listReturnDocs()).map((d) => d['text'])).toEqual([NOTE]);
      expect(await store.readSyncState()).toEqual({
        lastSyncedAt: '2025-03-04T10:00:00.000Z',
        pushedSeq: 1,
      });
    } finally {
      await store.close();
    }
    // Ids are the only plaintext: the briefing's is its SOR id, no content.
    const { briefings } = await storeLocation(f.dataDir, USER, f.keychain);
    const keys = (await rawEntries(briefings)).map((e) => e.key.toString('utf8'));
    expect(keys.some((key) => key.endsWith('briefing:BRF-000042'))).toBe(true);
    expect(await readFile(join(folder, 'returns-pushed.json'), 'utf8')).toBe('{"pushedSeq":1}\n');
  });

  it('refuses to answer once a stored value was altered, instead of returning it or hiding it', async () => {
    const f = await fixture();
    await seedSecretBriefing(f, await pdfWithMarker(PDF_MARKER));
    const dataKey = await readStoreKey(f.keychain, USER);
    if (!dataKey) throw new Error('no data key');
    const { briefings } = await storeLocation(f.dataDir, USER, f.keychain);
    const body = (await decryptedEntries(briefings, dataKey, 'briefings')).find((e) =>
      e.plain.includes(PHRASE),
    );
    if (!body) throw new Error('the body is not on disk');
    const altered = Buffer.from(body.value);
    flipBit(altered, Math.floor(altered.length / 2));
    await putRaw(briefings, body.key, altered);

    const store = await open(f);
    try {
      // PouchDB alone would answer "missing" here, as if the briefing had been unshared.
      const error = await rejection(store.getBriefingDoc('briefing:BRF-000042'));
      expect(error).toBeInstanceOf(StoreIntegrityError);
      expect(error).toMatchObject({ code: 'store-integrity', database: 'briefings' });
      // From then on the store answers nothing, reads of untouched records included.
      await expect(store.listBriefingDocs()).rejects.toBeInstanceOf(StoreIntegrityError);
      await expect(store.listReturnDocs()).rejects.toBeInstanceOf(StoreIntegrityError);
    } finally {
      await store.close();
    }
    expect(
      f.logs.records.some((r) => r.level === 'error' && r.fields?.['code'] === 'store-integrity'),
    ).toBe(true);
    expect(JSON.stringify(f.logs.records)).not.toContain(PHRASE);
  });

  it('refuses to answer when a byte of a LevelDB table file is flipped', async () => {
    const f = await fixture();
    await seedSecretBriefing(f, await pdfWithMarker(PDF_MARKER));
    const dataKey = await readStoreKey(f.keychain, USER);
    if (!dataKey) throw new Error('no data key');
    const { briefings } = await storeLocation(f.dataDir, USER, f.keychain);
    // Opening the database again moves the log into a table file (.ldb).
    const body = (await decryptedEntries(briefings, dataKey, 'briefings')).find((e) =>
      e.plain.includes(PHRASE),
    );
    if (!body) throw new Error('the body is not on disk');
    const probe = ciphertextProbe(body.value);
    const [table] = (await filesContaining(briefings, probe)).filter((p) => p.endsWith('.ldb'));
    if (!table) throw new Error('the body is not in a table file');
    const bytes = await readFile(table);
    flipBit(bytes, bytes.indexOf(probe) + 20);
    await writeFile(table, new Uint8Array(bytes));

    const store = await open(f);
    try {
      await expect(store.listBriefingDocs()).rejects.toBeInstanceOf(StoreIntegrityError);
      await expect(store.getBriefingDoc('briefing:BRF-000042')).rejects.toBeInstanceOf(
        StoreIntegrityError,
      );
    } finally {
      await store.close();
    }
  });

  it('refuses a key that does not open the store, and a store not written encrypted', async () => {
    const f = await fixture();
    await seedSecretBriefing(f, await pdfWithMarker(PDF_MARKER));
    await f.keychain.set(
      storeKeySecretName(USER),
      `attache-store-key:v1:${randomBytes(32).toString('base64')}`,
    );
    const wrongKey = await rejection(open(f));
    expect(wrongKey).toBeInstanceOf(StoreLockedError);
    expect(wrongKey).toMatchObject({ code: 'store-key-mismatch', unsentReturns: 0 });
    expect((wrongKey as Error).message).toMatch(
      /does not open the briefings stored on this device/,
    );

    // Files planted (or left by a version before encryption) are not adopted as the store.
    const g = await fixture();
    await createStoreKey(g.keychain, USER);
    const plantedAt = await storeLocation(g.dataDir, USER, g.keychain);
    await mkdir(plantedAt.folder, { recursive: true });
    const planted = new PouchDB(plantedAt.briefings);
    await planted.put(briefing('planted', { title: 'Planted' }));
    await planted.close();
    await expect(open(g)).rejects.toMatchObject({ code: 'store-key-mismatch' });
  });

  it('after a keychain reset, says how many unsent returns would be lost and keeps the files', async () => {
    const f = await fixture();
    const store = await open(f);
    await store.createReturnDoc(`read-receipt:${randomUUID()}`, { type: 'read-receipt' });
    await store.writeSyncState({ lastSyncedAt: null, pushedSeq: await store.returnsUpdateSeq() });
    await store.createReturnDoc(`read-receipt:${randomUUID()}`, { type: 'read-receipt' });
    await store.createReturnDoc(`read-receipt:${randomUUID()}`, { type: 'read-receipt' });
    await store.close();

    await keytar.deletePassword(f.service, storeKeySecretName(USER));
    const error = await rejection(open(f));
    expect(error).toBeInstanceOf(StoreLockedError);
    expect(error).toMatchObject({ code: 'store-key-missing', unsentReturns: 2 });
    expect((error as Error).message).toMatch(
      /2 read receipts or notes .* had not reached the server/,
    );

    // Opening the workspace does not discard a store holding unsent returns.
    await expect(
      openUserWorkspace({
        dataDir: f.dataDir,
        brokerUrl: 'http://127.0.0.1:9',
        userId: USER,
        keychain: f.keychain,
        tokenProvider: { getAccessToken: () => Promise.resolve(null) },
        logger: f.logs.logger,
        onBriefingsChanged: () => undefined,
      }),
    ).rejects.toMatchObject({ code: 'store-key-missing', unsentReturns: 2 });
    expect(
      await rawEntries((await storeLocation(f.dataDir, USER, f.keychain)).returns),
    ).not.toEqual([]);
    expect(await readStoreKey(f.keychain, USER)).toBeNull();
  });

  it('after a keychain reset with nothing unsent, discards the copy and starts a new encrypted one', async () => {
    const f = await fixture();
    await seedSecretBriefing(f, await pdfWithMarker(PDF_MARKER));
    const store = await open(f);
    await store.createReturnDoc(`read-receipt:${randomUUID()}`, { type: 'read-receipt' });
    await store.writeSyncState({ lastSyncedAt: null, pushedSeq: await store.returnsUpdateSeq() });
    await store.close();
    const oldKey = await readStoreKey(f.keychain, USER);

    await keytar.deletePassword(f.service, storeKeySecretName(USER));
    await expect(open(f)).rejects.toMatchObject({ code: 'store-key-missing', unsentReturns: 0 });

    const workspace = await openUserWorkspace({
      dataDir: f.dataDir,
      brokerUrl: 'http://127.0.0.1:9',
      userId: USER,
      keychain: f.keychain,
      tokenProvider: { getAccessToken: () => Promise.resolve(null) },
      logger: f.logs.logger,
      onBriefingsChanged: () => undefined,
    });
    try {
      // Empty, ready for sync to download the briefings again, under a new key.
      expect(await workspace.store.listBriefingDocs()).toEqual([]);
      const newKey = await readStoreKey(f.keychain, USER);
      expect(newKey).not.toBeNull();
      expect(newKey?.equals(oldKey ?? Buffer.alloc(0))).toBe(false);
    } finally {
      await workspace.close();
    }
    expect(f.logs.records.some((r) => r.message.includes('discarding it'))).toBe(true);
  });

  it('crypto-shreds on discard: the key leaves the keychain, then the files go', async () => {
    const f = await fixture();
    await seedSecretBriefing(f, await pdfWithMarker(PDF_MARKER));
    // The data key, and the key that names the store's folder (store-folder.ts).
    expect(
      (await keytar.findCredentials(f.service)).map((e) => e.account.split(':')[0]).sort(),
    ).toEqual(['store-folder-key', 'store-key']);
    await discardUserStore({ dataDir: f.dataDir, userId: USER, keychain: f.keychain });
    expect(await keytar.findCredentials(f.service)).toEqual([]);
    expect(await readdir(join(f.dataDir, 'users'))).toEqual([]);
  });
});
