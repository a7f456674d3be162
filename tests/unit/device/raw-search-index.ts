// Test helpers for the search index's files: the key the device derives for it from the store's
// data key, and the index's pages decrypted, as one string to search. Tests borrow the data
// key from the keychain in-process; the reader never can.
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { hkdfSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';

/** Where the index lives in a person's store folder (search-service.ts: SEARCH_INDEX_FILE). */
export const searchIndexPath = (storeFolder: string): string =>
  join(storeFolder, 'search', 'index.db');

/** The index's key, as the store derives it from its data key (UserStore.deriveKey). */
export function searchIndexKey(dataKey: Buffer): Buffer {
  return Buffer.from(
    hkdfSync(
      'sha256',
      new Uint8Array(dataKey.buffer, dataKey.byteOffset, dataKey.byteLength),
      new Uint8Array(0),
      'attache-store:v1:search-index',
      32,
    ),
  );
}

/**
 * The index's pages decrypted, from a copy rekeyed to no key (in a folder of its own, removed
 * after), as latin1 text. The live file may be open: its log is folded in after every removal.
 */
export async function decryptedSearchIndex(path: string, key: Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'attache-index-copy-'));
  try {
    const copy = join(dir, 'index.db');
    await copyFile(path, copy);
    await copyFile(`${path}-wal`, `${copy}-wal`).catch(() => undefined);
    const db = new Database(copy);
    db.pragma(`cipher = 'sqlcipher'`);
    db.pragma('legacy = 4');
    db.pragma(`key = "x'${key.toString('hex')}'"`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('journal_mode = DELETE');
    db.pragma(`rekey = ''`);
    db.close();
    return (await readFile(copy)).toString('latin1');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
