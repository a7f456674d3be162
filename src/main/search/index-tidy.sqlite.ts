// Keeping the full-text indexes in few pieces. FTS5 writes each transaction's words as a new
// segment and merges segments a few at a time as they pile up, so an index filled by a first
// sync of thousands of briefings, 25 at a time, ends up in a dozen segments, and every word a
// query looks up is looked up in each of them. Once the writes pause (index-worker.ts), the
// index's thread merges them into one, a few pages at a time, answering queries in between.
//
// Only where it pays: a table whose largest segment already holds 90% of it is left as it is,
// so the next small change (a briefing updated, a note) rewrites a small segment of its own
// and not the whole index; the whole table is rewritten again only after a tenth of it or more
// has been written since. bench:search measured the 10,000-briefing index before and after:
// README.
import type Database from 'better-sqlite3-multiple-ciphers';

/** Pages each step of the merge writes: about 2 ms of work, so a query waits little. */
const STEP_PAGES = 16;
/** A table whose largest segment holds less than this share of it is merged into one. */
const WHOLE_ENOUGH = 0.9;
const TABLES = ['short', 'fts'] as const;

export type Tidier = {
  /** One step of merging; false when nothing is left to merge. */
  readonly step: () => boolean;
};

export function openTidier(db: Database.Database): Tidier {
  const changes = db.prepare<[], number>('SELECT total_changes()').pluck();
  // Each segment's size, in entries of its page index (one per leaf page, about).
  const sizes = Object.fromEntries(
    TABLES.map((table) => [
      table,
      db
        .prepare<[], number>(`SELECT count(*) FROM ${table}_idx GROUP BY segid ORDER BY 1 DESC`)
        .pluck(),
    ]),
  ) as Record<(typeof TABLES)[number], Database.Statement<[], number>>;
  const merges = Object.fromEntries(
    TABLES.map((table) => [
      table,
      db.prepare<[number]>(`INSERT INTO ${table} (${table}, rank) VALUES ('merge', ?)`),
    ]),
  ) as Record<(typeof TABLES)[number], Database.Statement<[number]>>;
  const fragmented = (table: (typeof TABLES)[number]): boolean => {
    const segments = sizes[table].all();
    const total = segments.reduce((sum, size) => sum + size, 0);
    return segments.length > 1 && (segments[0] as number) < WHOLE_ENOUGH * total;
  };
  /** The tables still to merge in this round, once looked at. */
  let pending: (typeof TABLES)[number][] | null = null;
  return {
    step: () => {
      pending ??= TABLES.filter(fragmented);
      const table = pending[0];
      if (table === undefined) {
        pending = null;
        return false;
      }
      const before = changes.get() as number;
      // Negative: every segment counts as one level, so the merge ends in a single one.
      merges[table].run(-STEP_PAGES);
      // The command itself is one change; fewer than two means there was nothing to merge.
      if ((changes.get() as number) - before < 2) pending.shift();
      return true;
    },
  };
}
