// Builders for test data shaped exactly like what the fan-out writes.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PouchDB from 'pouchdb-node';
import type { BriefingDoc } from '../../../src/shared/briefing.js';
import { BRIEFING_SCHEMA_VERSION, briefingDocId } from '../../../src/shared/briefing.js';
import type { LogRecord, Logger } from '../../../src/main/logging/logger.js';
import { createLogger } from '../../../src/main/logging/logger.js';
import type { Keychain } from '../../../src/main/secrets/types.js';
import type { StoreDatabase } from '../../../src/main/storage/store-cipher.js';
import { createStoreKey, readStoreKey, storeKeyId } from '../../../src/main/storage/store-key.js';
import { encryptedLeveldown } from '../../../src/main/storage/store.encrypted-leveldown.js';
import {
  prepareUserStoreFolder,
  storeDatabasePaths,
} from '../../../src/main/storage/store-folder.js';
import type { Result } from '../../../src/shared/result.js';

export function briefing(
  sorId: string,
  overrides: Partial<BriefingDoc> = {},
): BriefingDoc & { _id: string } {
  return {
    _id: briefingDocId(sorId),
    type: 'briefing',
    schemaVersion: BRIEFING_SCHEMA_VERSION,
    sorId,
    sourceVersion: 1,
    contentHash: `hash-${sorId}`,
    title: `Briefing ${sorId}`,
    summary: `Summary of ${sorId}`,
    bodyHtml: `<p>Body of ${sorId}</p>`,
    classification: 'OFFICIAL',
    priority: 'routine',
    sender: { name: 'Jordan Lee', role: 'Chief of Staff' },
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    approvedAt: '2025-01-01T00:00:00.000Z',
    attachments: [],
    ...overrides,
  };
}

export async function tempDir(
  prefix: string,
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `attache-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Where the store names a person's folder and its databases (their folder key is made when they
 * have none, and an earlier release's folder moved, as opening the store would).
 */
export async function storeLocation(
  dataDir: string,
  userId: string,
  keychain: Keychain,
): Promise<{ folder: string; briefings: string; returns: string }> {
  const folder = await prepareUserStoreFolder({ dataDir, userId, keychain });
  return { folder, ...storeDatabasePaths(folder) };
}

/**
 * Opens one of a user's local databases the way the store does (encrypted with the user's data
 * key from `keychain`, made on first use), to write what replication would have written.
 */
export async function openLocalDb(
  dataDir: string,
  userId: string,
  keychain: Keychain,
  database: StoreDatabase,
): Promise<PouchDB.Database> {
  return openLocalDbAt((await storeLocation(dataDir, userId, keychain))[database], {
    userId,
    keychain,
    database,
  });
}

/** `openLocalDb` for a database at `path`, wherever it is (an earlier release's layout). */
export async function openLocalDbAt(
  path: string,
  options: { userId: string; keychain: Keychain; database: StoreDatabase },
): Promise<PouchDB.Database> {
  const { userId, keychain, database } = options;
  await mkdir(join(path, '..'), { recursive: true });
  const dataKey =
    (await readStoreKey(keychain, userId)) ?? (await createStoreKey(keychain, userId));
  const db = encryptedLeveldown({
    dataKey,
    database,
    keyId: storeKeyId(dataKey),
    onIntegrityFailure: () => undefined,
    onKeyCheckFailure: () => undefined,
  });
  return new PouchDB(path, { db } as PouchDB.Configuration.DatabaseConfiguration);
}

/**
 * Writes briefing documents straight into a user's local briefings database, as replication
 * would have, before the store under test opens it.
 */
export async function seedLocalBriefings(
  dataDir: string,
  userId: string,
  docs: ReadonlyArray<Record<string, unknown> & { _id: string }>,
  keychain: Keychain,
): Promise<void> {
  const db = await openLocalDb(dataDir, userId, keychain, 'briefings');
  try {
    await db.bulkDocs(docs.map((doc) => ({ ...doc })));
  } finally {
    await db.close();
  }
}

/** A logger that keeps records in memory, for asserting what was (not) logged. */
export function memoryLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { logger: createLogger('test', (record) => records.push(record)), records };
}

/** The value of a Result the test expects to succeed; otherwise fails with its code and message. */
export function resultValue<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}
