// Physically removes deleted data from a LevelDB folder by copying its live entries into a
// fresh database and swapping folders.
//
// Why not LevelDB's own compaction: `compactRange` never rewrites a file that already sits on
// the lowest populated level, so a deleted value and its tombstone can live on side by side in
// one .ldb file indefinitely (checked: after PouchDB compaction plus repeated compactRange
// calls, an unshared briefing's text was still readable in the raw files). A copy of the live
// key space contains only what PouchDB still references.
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';

type Callback = (error?: Error | null) => void;
type LevelIterator = {
  next(callback: (error: Error | null, key?: Buffer, value?: Buffer) => void): void;
  end(callback: Callback): void;
};
type LevelDown = {
  open(options: { createIfMissing: boolean; errorIfExists?: boolean }, callback: Callback): void;
  close(callback: Callback): void;
  iterator(options: { keyAsBuffer: true; valueAsBuffer: true }): LevelIterator;
  batch(
    operations: ReadonlyArray<{ type: 'put'; key: Buffer; value: Buffer }>,
    callback: Callback,
  ): void;
};

const require = createRequire(import.meta.url);
const leveldown = require('leveldown') as (location: string) => LevelDown;

const BATCH_SIZE = 500;

function call(fn: (callback: Callback) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((error) => (error ? reject(error) : resolve())));
}

/** Folder names used while swapping; see `recoverInterruptedVacuum` for the invariants. */
function siblings(location: string): { copying: string; complete: string; old: string } {
  return {
    copying: `${location}.vacuum-copying`,
    complete: `${location}.vacuum-complete`,
    old: `${location}.vacuum-old`,
  };
}

/**
 * Run before opening `location`. A crash can leave: a partial copy (discarded: the original is
 * intact), or a complete copy not yet swapped in (it wins: the original holds content that was
 * meant to be purged), or the old folder after the swap (deleted).
 */
export async function recoverInterruptedVacuum(location: string): Promise<void> {
  const { copying, complete, old } = siblings(location);
  await rm(copying, { recursive: true, force: true });
  if (existsSync(complete)) {
    await rm(location, { recursive: true, force: true });
    await rename(complete, location);
  }
  await rm(old, { recursive: true, force: true });
}

/** The database at `location` must be closed by its owner before this runs. */
export async function vacuumLevelDb(location: string): Promise<{ entries: number }> {
  const { copying, complete, old } = siblings(location);
  await rm(copying, { recursive: true, force: true });

  const source = leveldown(location);
  const target = leveldown(copying);
  await call((cb) => source.open({ createIfMissing: false }, cb));
  let entries = 0;
  try {
    await call((cb) => target.open({ createIfMissing: true, errorIfExists: true }, cb));
    try {
      const iterator = source.iterator({ keyAsBuffer: true, valueAsBuffer: true });
      try {
        let batch: Array<{ type: 'put'; key: Buffer; value: Buffer }> = [];
        for (;;) {
          const entry = await new Promise<readonly [Buffer, Buffer] | null>((resolve, reject) =>
            iterator.next((error, key, value) => {
              if (error) reject(error);
              else resolve(key === undefined || value === undefined ? null : [key, value]);
            }),
          );
          if (entry === null) break;
          batch.push({ type: 'put', key: entry[0], value: entry[1] });
          entries += 1;
          if (batch.length >= BATCH_SIZE) {
            const full = batch;
            batch = [];
            await call((cb) => target.batch(full, cb));
          }
        }
        if (batch.length > 0) {
          const rest = batch;
          await call((cb) => target.batch(rest, cb));
        }
      } finally {
        await call((cb) => iterator.end(cb));
      }
    } finally {
      await call((cb) => target.close(cb));
    }
  } finally {
    await call((cb) => source.close(cb));
  }

  // The rename to `complete` is the commit point: from here on the copy replaces the original.
  await rename(copying, complete);
  await rename(location, old);
  await rename(complete, location);
  await rm(old, { recursive: true, force: true });
  return { entries };
}
