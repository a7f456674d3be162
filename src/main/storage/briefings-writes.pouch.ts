// The writes that move the briefings database's sequence: the pull's and removeBriefings. They
// run one at a time (PouchDB runs them so anyway), each between two readings of the sequence,
// so that a write of the pull can tell exactly which stretch of the changes feed it made and
// what the feed would say of it (BriefingsWritten): the summary index takes that instead of
// reading back, document by document, everything a first sync has just written.
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { ChangeFeed, Db } from './change-feed.pouch.js';
import type { BriefingsWritten, ReplicatedDoc, StoredDoc } from './types.js';

export function createBriefingsWrites(options: {
  /** Runs a request against the briefings database (through its gate). */
  readonly use: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
  /** Where the change listeners hear of each write. */
  readonly feed: ChangeFeed;
  readonly logger: Logger;
}) {
  const { use, feed, logger } = options;
  let turn: Promise<unknown> = Promise.resolve();
  const listeners = new Set<(written: BriefingsWritten) => void>();

  const tell = (written: BriefingsWritten): void => {
    for (const listener of listeners) {
      try {
        listener(written);
      } catch (error) {
        logger.error('a listener of the briefings written failed', errorFields(error));
      }
    }
  };

  return {
    /** Runs a write that moves the sequence, after every one asked before it. */
    write: <T>(fn: (db: Db) => Promise<T>): Promise<T> => {
      const run = turn.then(() => use(fn));
      turn = run.catch(() => undefined);
      return run;
    },

    /**
     * What the pull wrote, as the live feed would tell it (deleted when no live revision is
     * left) to the change listeners, and with the documents to those of onWritten. Called within
     * the write's turn, with the sequence from before it: the one read now ends its stretch.
     */
    announce: async (
      db: Db,
      docs: readonly ReplicatedDoc[],
      from: string | number,
    ): Promise<void> => {
      const to = (await db.info()).update_seq;
      const ids = [...new Set(docs.map((doc) => doc._id))];
      const winners = new Map(
        (await db.allDocs({ keys: ids })).rows.flatMap((row) =>
          'value' in row && row.value ? [[row.id, row.value] as const] : [],
        ),
      );
      const changes = docs.map((doc) => ({
        id: doc._id,
        deleted: winners.get(doc._id)?.deleted === true,
      }));
      // An unshare is told at once, within this write's turn, and the feed is read only between
      // turns (settled): the search index drops the briefing before the list can show it gone.
      if (changes.some((change) => change.deleted)) feed.announceNow(changes);
      else feed.announce(changes);
      if (listeners.size === 0) return;
      const results: { id: string; doc: StoredDoc | null }[] = [];
      for (const id of ids) {
        const winner = winners.get(id);
        if (winner?.deleted === true) {
          results.push({ id, doc: null });
          continue;
        }
        const written = docs.find((doc) => doc._id === id && doc._rev === winner?.rev);
        // A revision this write did not bring won (a conflict): the feed tells this stretch.
        if (!written) return;
        const { _attachments, _revisions, ...doc } = written;
        void _attachments;
        void _revisions;
        results.push({ id, doc });
      }
      tell({ from, to, results });
    },

    /** Resolves once every write asked so far has ended, its changes told. */
    settled: (): Promise<void> => turn.then(() => undefined),

    onWritten: (listener: (written: BriefingsWritten) => void): (() => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
