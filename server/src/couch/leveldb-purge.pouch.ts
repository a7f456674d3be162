// Makes the embedded server's `POST /<db>/_compact` take old content off the disk, as Apache
// CouchDB's compaction does (it writes a new file and deletes the old one).
//
// PouchDB's compaction removes the bodies and attachments of old revisions (an unshared
// briefing: all but its deletion) from LevelDB's key space only. LevelDB keeps the bytes in its
// files until its own compaction merges them away, and `compactRange` alone does not get there:
// it flushes the write buffer into one file (holding a value and the deletion that replaced it
// side by side) and places that file on the deepest level, where no later compaction of the
// range rewrites it. Measured: after PouchDB's compaction and repeated `compactRange` calls, an
// unshared briefing's text was still in the files.
//
// So after PouchDB's compaction, the purge flushes, then deletes two keys outside everything
// PouchDB writes (one below, one above all its keys) and compacts the whole range again. The
// next flushed file spans the whole key space, so it overlaps every file below it: every level
// is merged into the last one, and a merge drops every value a later deletion replaced. Only
// values an open LevelDB snapshot still needs survive (an iterator open at that moment); the
// next compaction of the database removes them.
import { createRequire } from 'node:module';

type Done = (error?: Error | null) => void;
/** The part of leveldown 6 used here (it ships no types). */
type LevelDown = {
  batch(operations: ReadonlyArray<{ type: 'del'; key: Buffer }>, callback: Done): void;
  compactRange(start: Buffer, end: Buffer, callback: Done): void;
};

const require = createRequire(import.meta.url);
const leveldown = require('leveldown') as (location: string) => LevelDown;

/** Below every key PouchDB writes (its keys start with the UTF-8 of 'ÿ', 0xc3 0xbf). */
const FIRST = Buffer.from([0x00]);
/** Above every key PouchDB writes. */
const LAST = Buffer.alloc(64, 0xff);
const BEYOND_LAST = Buffer.alloc(65, 0xff);

function settle(run: (callback: Done) => void): Promise<void> {
  return new Promise((resolve, reject) => run((error) => (error ? reject(error) : resolve())));
}

/** Rewrites every file of an open LevelDB without the values deletions replaced. */
export async function purgeLevelDb(db: LevelDown): Promise<void> {
  await settle((cb) => db.compactRange(FIRST, BEYOND_LAST, cb));
  await settle((cb) =>
    db.batch(
      [
        { type: 'del', key: FIRST },
        { type: 'del', key: LAST },
      ],
      cb,
    ),
  );
  await settle((cb) => db.compactRange(FIRST, BEYOND_LAST, cb));
}

type Callback = (error: Error | null, result?: unknown) => void;
/** PouchDB's whole-database compaction step (its public `compact` queues calls to it). */
type CompactStep = (this: PouchDB.Database, options: unknown, callback: Callback) => void;

export type LevelDbPurge = {
  /** PouchDB's `db` option: leveldown, with every store it opens remembered by location. */
  readonly leveldown: (location: string) => unknown;
  /**
   * Makes `compact` of this PouchDB class (not of PouchDB at large: the class PouchDB.defaults
   * made) purge the LevelDB files after PouchDB's compaction.
   */
  install(pouch: PouchDB.Static): void;
};

/**
 * `prefix` is the PouchDB `prefix` option the databases are opened with (their folder, with a
 * trailing separator): a database's store lives at `prefix + name`.
 */
export function createLevelDbPurge(prefix: string): LevelDbPurge {
  const stores = new Map<string, LevelDown>();

  // A named function: PouchDB keys its cache of open stores by the factory's name.
  function trackedLeveldown(location: string): LevelDown {
    const store = leveldown(location);
    stores.set(location, store);
    return store;
  }

  return {
    leveldown: trackedLeveldown,
    install(pouch) {
      // `compact` itself is set on each instance by PouchDB's constructor; `_compact`, the step
      // it runs, lives on the prototype, so this class's own prototype can wrap it.
      const prototype = pouch.prototype as unknown as { _compact: CompactStep };
      const pouchCompact = prototype._compact;
      prototype._compact = function (this: PouchDB.Database, options, callback) {
        pouchCompact.call(this, options, (error, result) => {
          const store = stores.get(prefix + this.name);
          if (error || !store) return callback(error, result);
          purgeLevelDb(store).then(
            () => callback(null, result),
            (purgeError: Error) => callback(purgeError),
          );
        });
      };
    },
  };
}
