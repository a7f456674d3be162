// `_db_updates` for the embedded CouchDB-protocol server, which express-pouchdb does not have:
// which databases were written, in order, so a consumer (the returns integrator) follows activity
// instead of reading every database in turn. Apache CouchDB answers the same request itself.
//
// Every write reaches the embedded server through its front door, which tells this tracker the
// database of each write that succeeded. It keeps, per database, the sequence of its last write
// (one entry per database, as CouchDB's feed collapses repeated updates). Sequences are
// `<start>-<n>`: a sequence from an earlier start of the server (or none this tracker made) is
// refused with 400, so a consumer knows it may have missed writes and reads everything again,
// rather than taking a later start's few updates for all there were.

/** One line of the feed, as CouchDB writes it. */
export type DbUpdate = { readonly db_name: string; readonly type: 'updated'; readonly seq: string };

export type DbUpdatesAnswer =
  | { readonly ok: true; readonly results: DbUpdate[]; readonly last_seq: string }
  | { readonly ok: false; readonly reason: string };

export type DbUpdatesTracker = {
  /** A write to `db` succeeded. */
  readonly updated: (db: string) => void;
  /**
   * The updates after `since` ('now': the current sequence), at most `limit`; with `waitMs`,
   * waits that long for one when there is none yet.
   */
  readonly read: (options: {
    readonly since: string;
    readonly limit: number;
    readonly waitMs: number;
    readonly signal?: AbortSignal;
  }) => Promise<DbUpdatesAnswer>;
};

export function createDbUpdatesTracker(startId: string): DbUpdatesTracker {
  let seq = 0;
  const last = new Map<string, number>();
  const waiters = new Set<() => void>();
  const format = (n: number) => `${startId}-${n}`;

  const parse = (since: string): number | null => {
    if (since === 'now') return seq;
    if (since === '0' || since === '') return 0;
    const dash = since.lastIndexOf('-');
    if (dash <= 0 || since.slice(0, dash) !== startId) return null;
    const n = Number(since.slice(dash + 1));
    return Number.isSafeInteger(n) && n >= 0 && n <= seq ? n : null;
  };

  const after = (from: number, limit: number): DbUpdate[] =>
    [...last.entries()]
      .filter(([, at]) => at > from)
      .sort((a, b) => a[1] - b[1])
      .slice(0, limit)
      .map(([db_name, at]) => ({ db_name, type: 'updated' as const, seq: format(at) }));

  return {
    updated(db) {
      seq += 1;
      // Re-inserted so the map's size stays one entry per database.
      last.delete(db);
      last.set(db, seq);
      for (const wake of [...waiters]) wake();
    },
    async read({ since, limit, waitMs, signal }) {
      const from = parse(since);
      if (from === null) {
        return { ok: false, reason: 'since is not a sequence of this start of the server' };
      }
      let results = after(from, limit);
      if (results.length === 0 && waitMs > 0) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            waiters.delete(done);
            signal?.removeEventListener('abort', done);
            resolve();
          };
          const timer = setTimeout(done, waitMs);
          waiters.add(done);
          signal?.addEventListener('abort', done, { once: true });
        });
        results = after(from, limit);
      }
      // No update after `from` means none after it at all: every entry is at most `from`.
      return { ok: true, results, last_seq: results.at(-1)?.seq ?? format(from) };
    },
  };
}
