// Returns of an unshared briefing leave the server once the SOR has them. A return may quote the
// briefing (an annotation's passage), so after an unshare none of it should stay in the person's
// returns database. The fan-out, as it removes the briefing, records the withdrawal here (a marker
// per returns database in the control database, naming the briefings); the returns integrator,
// after it has read that database to its end (so the SOR has each of those returns, or refused it
// for good), deletes them and asks for the database's compaction, so the deleted revisions leave
// the disk. A briefing shared again meanwhile keeps its returns (the SOR's share history decides).
import { CONTROL_DB } from '../couch/control-db.js';
import type { CouchClient, CouchDoc } from '../couch/types.js';
import { CouchError } from '../couch/types.js';
import type { SorShareHistory } from '../sor/types.js';
import { userDbNames } from '../user-dbs/user-dbs.js';

const MARKER_PREFIX = 'returns-withdrawal:';
/** Compare-and-swap attempts before a marker write gives up (the caller retries later). */
const ATTEMPTS = 5;

export type WithdrawalMarker = {
  readonly db: string;
  readonly user: string;
  /** The SOR ids of the briefings withdrawn from the person. */
  readonly sorIds: readonly string[];
  readonly rev: string;
};

export type ReturnsWithdrawals = {
  /** Records that these briefings were removed from these people (resolves once durable). */
  record(pairs: readonly { readonly recipient: string; readonly sorId: string }[]): Promise<void>;
  /** The marker of a returns database, if any. */
  read(db: string): Promise<WithdrawalMarker | null>;
  /** The returns databases that have a marker (at most `limit`). */
  pending(limit: number): Promise<string[]>;
  /** Takes these briefings off the marker (removed altogether when none is left). */
  settle(db: string, sorIds: readonly string[]): Promise<void>;
};

const markerId = (db: string) => `${MARKER_PREFIX}${db}`;

function toMarker(doc: CouchDoc): WithdrawalMarker | null {
  const { db, user, sorIds } = doc as Record<string, unknown>;
  if (typeof db !== 'string' || typeof user !== 'string' || !doc._rev) return null;
  if (!Array.isArray(sorIds) || !sorIds.every((id) => typeof id === 'string')) return null;
  return { db, user, sorIds, rev: doc._rev };
}

export function createReturnsWithdrawals(couch: CouchClient): ReturnsWithdrawals {
  /** Applies `change` to the marker's list, retrying on a concurrent write. */
  async function update(
    db: string,
    user: string,
    change: (sorIds: ReadonlySet<string>) => Set<string>,
  ): Promise<void> {
    const id = markerId(db);
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const existing = await couch.getDoc(CONTROL_DB, id);
      const previous = existing ? toMarker(existing) : null;
      const next = change(new Set(previous?.sorIds ?? []));
      try {
        if (next.size === 0) {
          if (existing?._rev) await couch.deleteDoc(CONTROL_DB, id, existing._rev);
        } else {
          await couch.putDoc(CONTROL_DB, {
            _id: id,
            ...(existing?._rev ? { _rev: existing._rev } : {}),
            db,
            user,
            sorIds: [...next].sort(),
          });
        }
        return;
      } catch (error) {
        if (!(error instanceof CouchError && error.code === 'conflict')) throw error;
      }
    }
    throw new Error(`Could not record the withdrawn returns of ${db}.`);
  }

  const read = async (db: string): Promise<WithdrawalMarker | null> => {
    const doc = await couch.getDoc(CONTROL_DB, markerId(db));
    return doc ? toMarker(doc) : null;
  };

  return {
    read,
    async pending(limit) {
      const docs = await couch.docsWithPrefix(CONTROL_DB, MARKER_PREFIX, limit);
      return docs.flatMap((doc) => {
        const marker = toMarker(doc);
        return marker ? [marker.db] : [];
      });
    },
    async record(pairs) {
      const byUser = new Map<string, Set<string>>();
      for (const { recipient, sorId } of pairs) {
        byUser.set(recipient, (byUser.get(recipient) ?? new Set()).add(sorId));
      }
      for (const [user, sorIds] of byUser) {
        await update(userDbNames(user).returns, user, (held) => new Set([...held, ...sorIds]));
      }
    },
    async settle(db, sorIds) {
      const marker = await read(db);
      if (!marker) return;
      const done = new Set(sorIds);
      await update(db, marker.user, (held) => new Set([...held].filter((id) => !done.has(id))));
    },
  };
}

/** Is the briefing shared with the person now, by the SOR's share history? */
const sharedNow = (history: SorShareHistory | null): boolean =>
  history?.intervals.some((interval) => interval.until === null) ?? false;

/**
 * Deletes from a returns database the returns of the briefings its marker names that are no
 * longer shared with its person, and takes those briefings off the marker. Only returns the
 * integrator has already read (sent to the SOR, or refused for good) go: `readUpTo` is where it
 * read the database's changes to; one written after it stays, with the marker, until the pass
 * that reads it. Resolves with how many were deleted and of which briefings.
 */
export async function removeWithdrawnReturns(options: {
  readonly couch: CouchClient;
  readonly withdrawals: ReturnsWithdrawals;
  readonly db: string;
  readonly pageSize: number;
  readonly readUpTo: string;
  readonly historyOf: (sorId: string) => Promise<SorShareHistory | null>;
}): Promise<{ count: number; sorIds: string[] }> {
  const { couch, db, pageSize } = options;
  const marker = await options.withdrawals.read(db);
  if (!marker) return { count: 0, sorIds: [] };
  // Shared again meanwhile: its returns stay.
  const gone = new Set<string>();
  for (const sorId of marker.sorIds) {
    if (!sharedNow(await options.historyOf(sorId))) gone.add(sorId);
  }
  const doomed: CouchDoc[] = [];
  const readAll = async (since: string, each: (doc: CouchDoc) => void): Promise<void> => {
    for (let at = since; ;) {
      const page = await couch.changes(db, { since: at, limit: pageSize, includeDocs: true });
      for (const change of page.results) {
        if (change.doc && !change.deleted && !change.doc._id.startsWith('_design/')) {
          each(change.doc);
        }
      }
      at = page.lastSeq;
      if (page.results.length < pageSize) return;
    }
  };
  if (gone.size > 0) {
    await readAll('0', (doc) => {
      if (typeof doc['sorId'] === 'string' && gone.has(doc['sorId'])) doomed.push(doc);
    });
  }
  // Written since the integrator read the database: not read yet, so not deleted yet.
  const unread = new Set<string>();
  if (doomed.length > 0) await readAll(options.readUpTo, (doc) => unread.add(doc._id));
  const deleting = doomed.filter((doc) => !unread.has(doc._id));
  if (deleting.length > 0) {
    const results = await couch.bulkDocs(
      db,
      deleting.map((doc) => ({ _id: doc._id, _rev: doc._rev, _deleted: true })),
    );
    const failed = results.filter((result) => result.error);
    // A return changed meanwhile: the marker stays, and the next pass deletes it.
    if (failed.length > 0) throw new Error(`could not delete ${failed.length} withdrawn returns`);
  }
  if (deleting.length === doomed.length) await options.withdrawals.settle(db, marker.sorIds);
  return { count: deleting.length, sorIds: [...gone].sort() };
}
