// Looks at a user's store the way someone holding the laptop's disk would: raw file bytes and raw
// LevelDB entries, bypassing the store. With the data key, `decryptedEntries` is the view that
// tells which sealed values hold a phrase (to prove they are purged, not merely unreadable).
import { createRequire } from 'node:module';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoreDatabase } from '../../../src/main/storage/store-cipher.js';
import { openValue } from '../../../src/main/storage/store-cipher.js';

type Callback = (error?: Error | null) => void;
type RawLevelDown = {
  open(options: { createIfMissing: boolean }, callback: Callback): void;
  close(callback: Callback): void;
  put(key: Buffer, value: Buffer, callback: Callback): void;
  iterator(options: { keyAsBuffer: true; valueAsBuffer: true }): {
    next(callback: (error: Error | null, key?: Buffer, value?: Buffer) => void): void;
    end(callback: Callback): void;
  };
};
const require = createRequire(import.meta.url);
const leveldown = require('leveldown') as (location: string) => RawLevelDown;

const call = (fn: (callback: Callback) => void): Promise<void> =>
  new Promise((resolve, reject) => fn((error) => (error ? reject(error) : resolve())));

export type RawEntry = { readonly key: Buffer; readonly value: Buffer };

/** Every live entry of a closed LevelDB database, as stored (values sealed). */
export async function rawEntries(location: string): Promise<RawEntry[]> {
  const db = leveldown(location);
  await call((cb) => db.open({ createIfMissing: false }, cb));
  const entries: RawEntry[] = [];
  try {
    const iterator = db.iterator({ keyAsBuffer: true, valueAsBuffer: true });
    for (;;) {
      const entry = await new Promise<RawEntry | null>((resolve, reject) =>
        iterator.next((error, key, value) =>
          error ? reject(error) : resolve(key && value ? { key, value } : null),
        ),
      );
      if (!entry) break;
      entries.push(entry);
    }
    await call((cb) => iterator.end(cb));
  } finally {
    await call((cb) => db.close(cb));
  }
  return entries;
}

/** Replaces one raw value of a closed database (to tamper with it). */
export async function putRaw(location: string, key: Buffer, value: Buffer): Promise<void> {
  const db = leveldown(location);
  await call((cb) => db.open({ createIfMissing: false }, cb));
  try {
    await call((cb) => db.put(key, value, cb));
  } finally {
    await call((cb) => db.close(cb));
  }
}

/** Every live entry with its value decrypted by `dataKey` (throws if any fails to open). */
export async function decryptedEntries(
  location: string,
  dataKey: Buffer,
  database: StoreDatabase,
): Promise<Array<RawEntry & { readonly plain: Buffer }>> {
  return (await rawEntries(location)).map((entry) => ({
    ...entry,
    plain: openValue(dataKey, database, entry.key, entry.value),
  }));
}

/** Files under `folder` (recursively: .ldb, .log, MANIFEST, ...) whose bytes contain `needle`. */
export async function filesContaining(folder: string, needle: string | Buffer): Promise<string[]> {
  const hits: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    let content: Buffer;
    try {
      content = await readFile(path);
    } catch (error) {
      // LevelDB may retire a file (old manifest or log) between readdir and read.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    if (content.includes(needle)) hits.push(path);
  }
  return hits;
}

/** Sealed values' random IV and first bytes: what a grep of the files finds only if it is there. */
export function ciphertextProbe(sealed: Buffer): Buffer {
  return sealed.subarray(1, 33);
}
