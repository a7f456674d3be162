// A reading connection to the search index's file, in the thread that asks (the search
// service's), so that a query is answered where it is asked instead of crossing to the index's
// own thread and back. The crossing costs little on average (0.3 ms) but a thread that has slept
// takes its time to wake: 1.5 ms at p95 on a 2-CPU machine after the asking thread has been
// busy, more than the index's own work for most queries (bench:search, README).
//
// The index's thread stays the file's only writer. SQLite's write-ahead log lets this
// connection read while it writes, every statement seeing a committed state. What queries use
// from memory (meta-cache.ts: the order, the filters' facts, who has notes) the writer keeps
// current as it writes; here it is loaded from the file and checked against it: `PRAGMA
// data_version` changes whenever another connection has committed, so a query is answered here
// only when nothing was committed since the metadata was loaded, nor while it ran. Otherwise
// (a sync under way, the index's pieces being merged) it is the index's thread's to answer, and
// the metadata is loaded again, a slice per turn of the thread's loop, once the writes have
// paused: loaded at the open, and after that only when a query (or `current`) finds it behind,
// so a sync that nobody searches during costs this thread nothing. A reader that fails at
// anything leaves the answer to the index's thread.
import type Database from 'better-sqlite3-multiple-ciphers';
import { loadMetaCache, queryAnswerer } from './index-queries.sqlite.js';
import type { MetaCache } from './meta-cache.js';
import { openReadingDatabase } from './search-index-file.sqlite.js';
import { prepareStatements } from './search-statements.sqlite.js';
import type { IndexAnswer, IndexQuery } from './types.js';

/** How long the file must stay unchanged before the metadata is loaded again. */
export const READER_QUIET_MS = 500;

export type IndexReader = {
  /**
   * The answer, or null when this reader cannot give it now: the index's thread answers. A query
   * that finds nothing is the index's thread's too: looking for what its words may be typos of
   * searches the vocabulary (30 to 90 ms at 10,000 briefings), too long to hold this thread.
   */
  readonly query: (query: IndexQuery) => IndexAnswer | null;
  /**
   * Whether the next query would be answered here (the metadata is current). When it is not,
   * it is loaded again once the file is quiet.
   */
  readonly current: () => boolean;
  readonly close: () => void;
};

export function openIndexReader(options: {
  readonly path: string;
  readonly key: Buffer;
}): IndexReader {
  const db: Database.Database = openReadingDatabase(options.path, options.key);
  let statements: ReturnType<typeof prepareStatements>;
  let dataVersion: Database.Statement<[], number>;
  try {
    statements = prepareStatements(db);
    dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  } catch (error) {
    db.close();
    throw error;
  }
  /** The file's version as this connection sees it; null when it cannot be read (stale). */
  const version = (): number | null => {
    try {
      return dataVersion.get() as number;
    } catch {
      return null;
    }
  };

  /** The metadata and the file's version it was loaded at; null until loaded, or once stale. */
  let loaded: { readonly cache: MetaCache; readonly version: number } | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let slice: NodeJS.Immediate | null = null;

  /** Loads the metadata once the file has not changed for READER_QUIET_MS. */
  const reloadWhenQuiet = (): void => {
    if (closed || timer || slice) return;
    let seen = version();
    const check = (): void => {
      timer = null;
      if (closed) return;
      const now = version();
      if (now === null || now !== seen) {
        seen = now;
        timer = setTimeout(check, READER_QUIET_MS).unref();
        return;
      }
      load();
    };
    timer = setTimeout(check, READER_QUIET_MS).unref();
  };

  /** Reads the metadata a slice at a time; kept only if the file did not change meanwhile. */
  const load = (): void => {
    let cache: MetaCache;
    const at = version();
    try {
      if (at === null) throw new Error('the file’s version could not be read');
      cache = loadMetaCache(statements);
    } catch {
      reloadWhenQuiet();
      return;
    }
    const step = (): void => {
      slice = null;
      if (closed) return;
      let more: boolean;
      try {
        more = cache.fillSome();
      } catch {
        reloadWhenQuiet();
        return;
      }
      if (more) {
        slice = setImmediate(step).unref();
        return;
      }
      if (version() === at) loaded = { cache, version: at };
      else reloadWhenQuiet();
    };
    step();
  };

  let using: MetaCache | null = null;
  const answer = queryAnswerer(db, statements, () => using as MetaCache, { typos: false });

  const stale = (): null => {
    loaded = null;
    reloadWhenQuiet();
    return null;
  };

  reloadWhenQuiet();
  return {
    query: (query) => {
      if (closed) return null;
      if (!loaded) return stale();
      try {
        const before = version();
        if (before === null || before !== loaded.version) return stale();
        using = loaded.cache;
        const result = answer(query);
        // A commit while the query ran: its statements may have seen two states of the file.
        if (version() !== before) return stale();
        return result;
      } catch {
        return stale();
      } finally {
        using = null;
      }
    },
    current: () => {
      if (closed) return false;
      if (loaded && version() === loaded.version) return true;
      stale();
      return false;
    },
    close: () => {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      if (slice) clearImmediate(slice);
      loaded = null;
      db.close();
    },
  };
}
