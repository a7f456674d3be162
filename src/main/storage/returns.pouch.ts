// The returns side of a person's store: read receipts and annotation events written here, and
// those the person's other devices wrote, pulled live from the server (sync/pull.ts with
// `database: 'returns'`); the push's source; the sync state.
//
// Unsent means written here and not yet confirmed by the push's checkpoint (`pushedSeq`). A
// document pulled from the server is on the server by definition, but it lands after `pushedSeq`
// until the push has passed over it; so the pull notes each document's id and revision in
// `_local/attache-returns-received` before writing it (a crash in between leaves a note of
// something not written, which counts nothing), and the count leaves out what that note names.
import { ANNOTATION_EVENT_TYPE } from '../../shared/annotations/limits.js';
import type { Logger } from '../logging/logger.js';
import type { ChangeFeed, Db } from './change-feed.pouch.js';
import { changesSince, isConflict, isNotFound, isUserDoc } from './change-feed.pouch.js';
import type { DbGate } from './db-gate.js';
import { createPullTarget } from './pull-target.pouch.js';
import { startPush } from './push.pouch.js';
import { writePushWatermark } from './returns-backlog.leveldown.js';
import type { PersistedSyncState, PullTarget, StoredDoc, UserStore } from './types.js';
import { vacuumLevelDb } from './vacuum.leveldown.js';

const SYNC_STATE_ID = '_local/attache-sync-state';
const RECEIVED_ID = '_local/attache-returns-received';
const PULL_CHECKPOINT_ID = '_local/attache-returns-pull';
const INITIAL_SYNC_STATE: PersistedSyncState = { lastSyncedAt: null, pushedSeq: 0 };

export type ReturnsSideOptions = {
  readonly gate: DbGate;
  readonly feed: ChangeFeed;
  /** The store's folder (the plaintext push watermark lives there). */
  readonly folder: string;
  /** The returns database's LevelDB folder (vacuumed after a removal). */
  readonly location: string;
  /** Opens the returns database again after a vacuum. */
  readonly reopen: () => Db;
  /** Of these briefing ids, those the briefings database holds as deleted (unshared, removed). */
  readonly withdrawnBriefings: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
  readonly logger: Logger;
};

export type ReturnsSide = Pick<
  UserStore,
  | 'returnChangesSince'
  | 'listReturnDocs'
  | 'createReturnDoc'
  | 'countReturnsSince'
  | 'returnsUpdateSeq'
  | 'readSyncState'
  | 'writeSyncState'
  | 'onReturnsChange'
  | 'pushReturns'
  | 'returnsPullTarget'
  | 'removeWithdrawnAnnotations'
> & { readonly close: () => Promise<void> };

type Received = Readonly<Record<string, string>>;

function seqNumber(seq: string | number): number {
  const n = typeof seq === 'number' ? seq : Number.parseInt(seq, 10);
  return Number.isFinite(n) ? n : 0;
}

function briefingOf(doc: { readonly [field: string]: unknown }): string | null {
  return doc['type'] === ANNOTATION_EVENT_TYPE && typeof doc['briefingId'] === 'string'
    ? doc['briefingId']
    : null;
}

export function createReturnsSide(options: ReturnsSideOptions): ReturnsSide {
  const { gate, feed, folder } = options;
  const { use } = gate;
  // Serialises writes of the `_local` documents; otherwise two quick updates race for a _rev.
  let localWrite: Promise<unknown> = Promise.resolve();
  let closed = false;
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = localWrite.then(fn);
    localWrite = next.catch(() => undefined);
    return next;
  };

  const getLocal = async <T>(db: Db, id: string): Promise<(T & { _rev: string }) | null> => {
    try {
      return (await db.get(id)) as unknown as T & { _rev: string };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  };

  const readReceived = (db: Db): Promise<Received> =>
    getLocal<{ received?: unknown }>(db, RECEIVED_ID).then((doc) =>
      doc && typeof doc.received === 'object' && doc.received !== null
        ? (doc.received as Received)
        : {},
    );

  const readSyncState = (): Promise<PersistedSyncState> =>
    use(async (db) => {
      const doc = await getLocal<Partial<PersistedSyncState>>(db, SYNC_STATE_ID);
      if (!doc) return INITIAL_SYNC_STATE;
      return {
        lastSyncedAt: typeof doc.lastSyncedAt === 'string' ? doc.lastSyncedAt : null,
        pushedSeq:
          typeof doc.pushedSeq === 'string' || typeof doc.pushedSeq === 'number'
            ? doc.pushedSeq
            : 0,
      };
    });

  /** The ids the push has not passed over yet, each with its local sequence. */
  const unconfirmed = async (db: Db, pushedSeq: string | number) => {
    const changes = await db.changes({ since: pushedSeq, return_docs: true });
    return changes.results.filter((change) => isUserDoc(change.id));
  };

  /** Notes documents about to arrive from the server; drops notes the push has passed over. */
  const noteReceived = (docs: readonly StoredDoc[]): Promise<void> =>
    serial(async () => {
      const { pushedSeq } = await readSyncState();
      await use(async (db) => {
        const window = new Set((await unconfirmed(db, pushedSeq)).map((change) => change.id));
        const kept: Record<string, string> = {};
        for (const [id, rev] of Object.entries(await readReceived(db))) {
          if (window.has(id)) kept[id] = rev;
        }
        for (const doc of docs) kept[doc._id] = doc._rev;
        const current = await getLocal(db, RECEIVED_ID);
        await db.put({
          _id: RECEIVED_ID,
          ...(current ? { _rev: current._rev } : {}),
          received: kept,
        });
      });
    });

  const returnsPullTarget: PullTarget = createPullTarget({
    use,
    checkpointId: PULL_CHECKPOINT_ID,
    ruleKey: null,
    // The events of a briefing withdrawn from this device hold its text (their quotes): they do
    // not come back with the other devices' returns.
    accept: async (docs) => {
      const briefingIds = [...new Set(docs.flatMap((doc) => briefingOf(doc) ?? []))];
      if (briefingIds.length === 0) return docs;
      const withdrawn = await options.withdrawnBriefings(briefingIds);
      return docs.filter((doc) => !withdrawn.has(briefingOf(doc) ?? ''));
    },
    beforeWrite: noteReceived,
    // Read receipts and annotations are written here too.
    soleWriter: false,
  });

  return {
    returnChangesSince: (since, limit) => use((db) => changesSince(db, since, limit)),

    listReturnDocs: () =>
      use(async (db) => {
        const all = await db.allDocs({ include_docs: true });
        return all.rows
          .filter((row) => isUserDoc(row.id) && row.doc)
          .map((row) => row.doc as unknown as StoredDoc);
      }),

    createReturnDoc: (id, body) =>
      use(async (db) => {
        await db.put({ ...body, _id: id });
      }),

    countReturnsSince: (seq) =>
      use(async (db) => {
        const received = await readReceived(db);
        return (await unconfirmed(db, seq)).filter(
          (change) => change.deleted !== true && received[change.id] !== change.changes[0]?.rev,
        ).length;
      }),

    returnsUpdateSeq: () => use(async (db) => (await db.info()).update_seq),

    readSyncState,

    writeSyncState: (state) =>
      serial(async () => {
        if (closed) return;
        for (let attempt = 0; ; attempt += 1) {
          try {
            await use(async (db) => {
              const current = await getLocal(db, SYNC_STATE_ID);
              await db.put({
                _id: SYNC_STATE_ID,
                ...(current ? { _rev: current._rev } : {}),
                ...state,
              });
            });
            // The plaintext copy of the watermark, for a store whose key is lost
            // (returns-backlog.leveldown.ts); written after the encrypted state, never ahead.
            await writePushWatermark(folder, state.pushedSeq);
            return;
          } catch (error) {
            if (!isConflict(error) || attempt >= 2) throw error;
          }
        }
      }),

    onReturnsChange: (listener) => feed.subscribe(listener),

    pushReturns: (push) => startPush(gate.current(), push, options.logger),

    returnsPullTarget,

    removeWithdrawnAnnotations: async (pushedSeq) => {
      const found = await use(async (db) => {
        const received = await readReceived(db);
        const changes = await db.changes({ since: 0, include_docs: true, return_docs: true });
        return changes.results.flatMap((change) => {
          const doc =
            change.deleted === true || !change.doc ? null : (change.doc as unknown as StoredDoc);
          const briefingId = doc ? briefingOf(doc) : null;
          if (briefingId === null) return [];
          const sent =
            seqNumber(change.seq) <= seqNumber(pushedSeq) ||
            received[change.id] === change.changes[0]?.rev;
          return [{ id: change.id, rev: doc?._rev ?? '', briefingId, sent }];
        });
      });
      if (found.length === 0) return { removed: 0, unsent: 0 };
      const withdrawn = await options.withdrawnBriefings([
        ...new Set(found.map((e) => e.briefingId)),
      ]);
      const ofWithdrawn = found.filter((event) => withdrawn.has(event.briefingId));
      // Sent ones only: what has not reached the server exists nowhere else; it goes once sent.
      const removable = ofWithdrawn.filter((event) => event.sent);
      if (removable.length > 0) {
        await use((db) =>
          db.bulkDocs(
            removable.map((event) => ({ _id: event.id, _rev: event.rev, _deleted: true })),
          ),
        );
        // A deletion leaves the event's body as an old revision: compaction drops it from the
        // key space, the vacuum from the files (vacuum.leveldown.ts).
        await gate.maintain(
          async (db) => {
            feed.detach();
            await db.compact();
            await db.close();
            const { entries } = await vacuumLevelDb(options.location);
            options.logger.info('removed the annotations of withdrawn briefings from disk', {
              events: removable.length,
              entries,
            });
          },
          () => {
            const reopened = options.reopen();
            feed.attach(reopened);
            return reopened;
          },
        );
      }
      return { removed: removable.length, unsent: ofWithdrawn.length - removable.length };
    },

    close: async () => {
      closed = true;
      await localWrite;
    },
  };
}
