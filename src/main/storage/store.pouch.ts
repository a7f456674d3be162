// PouchDB (pouchdb-node on leveldown) implementation of the per-user local store.
//
// Layout: <dataDir>/users/<keyed name>/{briefings,returns}; the folder's name is a keyed hash of
// the user id, so it names nobody on disk (store-folder.ts).
//
// Both databases are encrypted at rest: PouchDB opens them through store.encrypted-leveldown.ts
// with the person's data key from the keychain (store-key.ts), so every value LevelDB writes
// (documents, attachments, local documents, PouchDB's own bookkeeping) is AES-256-GCM sealed.
import { hkdfSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import PouchDB from 'pouchdb-node';
import type { Logger } from '../logging/logger.js';
import type { Keychain } from '../secrets/types.js';
import type { Db } from './change-feed.pouch.js';
import { changesSince, createChangeFeed, isNotFound, isUserDoc } from './change-feed.pouch.js';
import { createBriefingsWrites } from './briefings-writes.pouch.js';
import { createDbGate } from './db-gate.js';
import { countUnsentReturns, readPushWatermark } from './returns-backlog.leveldown.js';
import { createIntegrityGuard } from './integrity-guard.js';
import { createPullTarget } from './pull-target.pouch.js';
import { createReturnsSide } from './returns.pouch.js';
import type { StoreFolderOptions } from './store-folder.js';
import {
  findUserStoreFolder,
  prepareUserStoreFolder,
  removeUserStoreFolder,
  storeDatabasePaths,
} from './store-folder.js';
import type { StoreDatabase } from './store-cipher.js';
import { createStoreKey, deleteStoreKey, readStoreKey, storeKeyId } from './store-key.js';
import type { StoreKeyCheckError } from './store.encrypted-leveldown.js';
import { encryptedLeveldown } from './store.encrypted-leveldown.js';
import { createSummaryIndexFile } from './summary-index.file.js';
import type { AttachmentData, ReplicatedDoc, StoredDoc, UserStore } from './types.js';
import { STORE_ERROR_CODES, StoreLockedError } from './types.js';
import { recoverInterruptedVacuum, vacuumLevelDb } from './vacuum.leveldown.js';
import {
  dropWithdrawnVersionTexts,
  keepVersionText,
  readVersionText,
} from './version-texts.pouch.js';

/** The device's own pull's checkpoint (sync/pull.ts), beside what it pulled. */
const PULL_CHECKPOINT_ID = '_local/attache-pull';

/**
 * Returns in a closed store that the server has not confirmed, counted without its key (from
 * the push watermark; may count too many, never too few). 0 when there is no store.
 */
export async function countUnsentReturnsOnDisk(options: StoreFolderOptions): Promise<number> {
  const folder = await findUserStoreFolder(options);
  if (folder === null) return 0;
  return countUnsentReturns(storeDatabasePaths(folder).returns, await readPushWatermark(folder));
}

/**
 * Crypto-shreds and removes a person's local store: the data key first, then the files, then the
 * key naming the folder, so an interrupted discard leaves nothing readable behind and the folder
 * still findable by the next discard. The store must be closed. Unsent returns in it are lost:
 * callers decide (StoreLockedError.unsentReturns).
 */
export async function discardUserStore(options: StoreFolderOptions): Promise<void> {
  await deleteStoreKey(options.keychain, options.userId);
  await removeUserStoreFolder(options);
}

export type OpenUserStoreOptions = {
  readonly dataDir: string;
  readonly userId: string;
  /** Holds the store's data key; it is created there when the person's store is. */
  readonly keychain: Keychain;
  readonly logger: Logger;
  /**
   * Which briefings the pull may store (the device's classification ceiling). Its `key` names
   * the rule: the pull's checkpoint is kept under it, so a changed rule reads the feed afresh.
   */
  readonly acceptBriefing?: BriefingFilter;
};

export type BriefingFilter = {
  readonly key: string;
  readonly accept: (doc: { readonly _id: string; readonly [field: string]: unknown }) => boolean;
};

/**
 * Opens (or creates) a person's encrypted store. Throws StoreLockedError when the store exists
 * but its key is gone from the keychain or does not open it, StoreIntegrityError when PouchDB's
 * own records fail authentication, KeychainError when the keychain cannot be reached.
 */
export async function openUserStore(options: OpenUserStoreOptions): Promise<UserStore> {
  const logger = options.logger.child('store');
  const folder = await prepareUserStoreFolder({ ...options, logger });
  return openUserStoreInFolder(folder, options);
}

/**
 * Opens (or creates) a person's encrypted store in `folder`, whatever its name: what
 * `openUserStore` does once it knows the folder. Elsewhere only to reproduce, in tests, the
 * stores earlier releases kept under other names.
 */
export async function openUserStoreInFolder(
  folder: string,
  options: Pick<OpenUserStoreOptions, 'userId' | 'keychain' | 'logger' | 'acceptBriefing'>,
): Promise<UserStore> {
  const { userId, keychain } = options;
  const logger = options.logger.child('store');
  const paths = storeDatabasePaths(folder);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await recoverInterruptedVacuum(paths.briefings);
  await recoverInterruptedVacuum(paths.returns);

  const locked = async (
    code: typeof STORE_ERROR_CODES.keyMissing | typeof STORE_ERROR_CODES.keyMismatch,
  ): Promise<StoreLockedError> =>
    new StoreLockedError(
      code,
      await countUnsentReturns(paths.returns, await readPushWatermark(folder)),
    );

  let dataKey = await readStoreKey(keychain, userId);
  if (!dataKey) {
    // Key first, then files: a store never exists without the key that wrote it.
    const exists = [paths.briefings, paths.returns].some((db) => existsSync(join(db, 'CURRENT')));
    if (exists) throw await locked(STORE_ERROR_CODES.keyMissing);
    dataKey = await createStoreKey(keychain, userId);
  }

  const integrity = createIntegrityGuard((error) =>
    logger.error('a stored value failed authentication; the store no longer answers', {
      code: error.code,
      database: error.database,
    }),
  );
  const guard = integrity.run;
  let keyCheckFailure: StoreKeyCheckError | null = null;
  const storeKey: Buffer = dataKey;
  const keyId = storeKeyId(dataKey);
  const adapterFor = (database: StoreDatabase) =>
    encryptedLeveldown({
      dataKey,
      database,
      keyId,
      onIntegrityFailure: integrity.report,
      onKeyCheckFailure: (error) => (keyCheckFailure = error),
    });
  const briefingsAdapter = adapterFor('briefings');
  const returnsAdapter = adapterFor('returns');

  // Auto-compaction drops superseded revisions as replication writes, so an updated briefing's
  // earlier text does not linger in the database.
  const openBriefings = (): Db =>
    new PouchDB(paths.briefings, {
      auto_compaction: true,
      db: briefingsAdapter,
    } as PouchDB.Configuration.DatabaseConfiguration);
  const openReturns = (): Db =>
    new PouchDB(paths.returns, {
      db: returnsAdapter,
    } as PouchDB.Configuration.DatabaseConfiguration);
  // PouchDB opens lazily; `info()` makes a refused key or a damaged record fail here, at once.
  const opened = async (open: () => Db): Promise<Db> => {
    const db = open();
    try {
      await guard(() => db.info());
      return db;
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
  };
  let briefings: Db;
  let returns: Db;
  try {
    returns = await opened(openReturns);
    try {
      briefings = await opened(openBriefings);
    } catch (error) {
      await returns.close().catch(() => undefined);
      throw error;
    }
  } catch (error) {
    if (keyCheckFailure) {
      logger.warn('the data key does not open the local store', {
        reason: (keyCheckFailure as StoreKeyCheckError).reason,
      });
      throw await locked(STORE_ERROR_CODES.keyMismatch);
    }
    throw error;
  }

  // The briefings database's changes are announced by its writers (the pull, removeBriefings):
  // its live feed would read back every document a sync writes. The returns keep theirs.
  const briefingsFeed = createChangeFeed(logger);
  const returnsFeed = createChangeFeed(logger);
  returnsFeed.attach(returns);
  const briefingsGate = createDbGate(briefings, guard);
  const returnsGate = createDbGate(returns, guard);
  const withBriefings = briefingsGate.use;
  const reopen = (open: () => Db, feed: typeof briefingsFeed | null) => (): Db => {
    const db = open();
    feed?.attach(db);
    return db;
  };
  const briefingsWrites = createBriefingsWrites({
    use: withBriefings,
    feed: briefingsFeed,
    logger,
  });
  const writeBriefings = briefingsWrites.write;

  let closed = false;
  const acceptBriefing = options.acceptBriefing;
  const returnsSide = createReturnsSide({
    gate: returnsGate,
    feed: returnsFeed,
    folder,
    location: paths.returns,
    reopen: reopen(openReturns, returnsFeed),
    withdrawnBriefings: (ids) =>
      withBriefings(async (db) => {
        const found = await db.allDocs({ keys: [...ids] });
        return new Set(
          found.rows.flatMap((row) =>
            'value' in row && row.value?.deleted === true ? [row.id] : [],
          ),
        );
      }),
    logger,
  });

  // Before the pull replaces briefings held here, their current texts may be kept (types.ts).
  let replacing: ((ids: readonly string[]) => Promise<void>) | null = null;
  const beforeReplace = async (docs: readonly ReplicatedDoc[]): Promise<void> => {
    const listener = replacing;
    // A first revision replaces nothing, and a deletion needs nothing kept: a first sync, all
    // first revisions, reads nothing more here.
    const later = docs.filter((doc) => doc._deleted !== true && (doc._revisions?.start ?? 2) > 1);
    if (!listener || later.length === 0) return;
    const found = await withBriefings((db) => db.allDocs({ keys: later.map((doc) => doc._id) }));
    const held = found.rows.flatMap((row) =>
      'value' in row && row.value && !row.value.deleted ? [row.id] : [],
    );
    if (held.length > 0) await listener(held);
  };

  const pullTarget = createPullTarget({
    use: withBriefings,
    write: writeBriefings,
    checkpointId: PULL_CHECKPOINT_ID,
    ruleKey: acceptBriefing?.key ?? null,
    accept: (docs) =>
      Promise.resolve(acceptBriefing ? docs.filter((doc) => acceptBriefing.accept(doc)) : docs),
    beforeWrite: beforeReplace,
    afterWrite: briefingsWrites.announce,
    // Local removals (removeBriefings, the purge) run with the pull stopped; a new attempt
    // reads what the database holds afresh.
    soleWriter: true,
  });

  const store: UserStore = {
    userId,
    location: folder,

    listBriefingDocs: () =>
      withBriefings(async (db) => {
        const all = await db.allDocs({ include_docs: true });
        return all.rows
          .filter((row) => isUserDoc(row.id) && row.doc)
          .map((row) => row.doc as unknown as StoredDoc);
      }),

    listBriefingRevisions: () => pullTarget.currentRevisions(),

    getBriefingDocs: (ids) =>
      withBriefings(async (db) => {
        const wanted = ids.filter(isUserDoc);
        if (wanted.length === 0) return [];
        const found = await db.allDocs({ keys: wanted, include_docs: true });
        return found.rows.flatMap((row) =>
          'doc' in row && row.doc ? [row.doc as unknown as StoredDoc] : [],
        );
      }),

    getBriefingDoc: (id) =>
      withBriefings(async (db) => {
        if (!isUserDoc(id)) return null;
        try {
          return (await db.get(id)) as unknown as StoredDoc;
        } catch (error) {
          if (isNotFound(error)) return null;
          throw error;
        }
      }),

    getBriefingAttachment: (id, name) =>
      withBriefings(async (db): Promise<AttachmentData | null> => {
        if (!isUserDoc(id)) return null;
        try {
          const doc = await db.get(id);
          const stub = doc._attachments?.[name];
          if (!stub) return null;
          const data = await db.getAttachment(id, name);
          return {
            contentType: stub.content_type,
            data: Buffer.isBuffer(data) ? data : Buffer.from(await data.arrayBuffer()),
          };
        } catch (error) {
          if (isNotFound(error)) return null;
          throw error;
        }
      }),

    // Between writes only: what a write changed is read once its changes are told (an unshare
    // leaves the search index before a follower of the feed can list it gone).
    briefingChangesSince: async (since, limit) => {
      await briefingsWrites.settled();
      return withBriefings((db) => changesSince(db, since, limit));
    },
    briefingsUpdateSeq: () => withBriefings(async (db) => (await db.info()).update_seq),
    summaryIndexFile: createSummaryIndexFile({ folder, dataKey, logger }),

    onBriefingsReplacing: (listener) => {
      replacing = listener;
      return () => {
        if (replacing === listener) replacing = null;
      };
    },
    keepVersionText: (text) => withBriefings((db) => keepVersionText(db, text)),
    readVersionText: (briefingId, version) =>
      withBriefings((db) => readVersionText(db, briefingId, version)),

    ...returnsSide,

    onBriefingsChange: (listener) => briefingsFeed.subscribe(listener),
    onBriefingsWritten: briefingsWrites.onWritten,

    pullTarget,

    removeBriefings: (ids) =>
      writeBriefings(async (db) => {
        const found = await db.allDocs({ keys: [...ids] });
        const present = found.rows.flatMap((row) =>
          'value' in row && row.value && !row.value.deleted
            ? [{ _id: row.id, _rev: row.value.rev, _deleted: true }]
            : [],
        );
        if (present.length > 0) await db.bulkDocs(present);
        briefingsFeed.announceNow(present.map((doc) => ({ id: doc._id, deleted: true })));
        return present.length;
      }),

    purgeDeleted: () =>
      briefingsGate.maintain(
        async (db) => {
          // The kept texts of their earlier versions go with them (version-texts.pouch.ts).
          const versionTexts = await dropWithdrawnVersionTexts(db);
          // PouchDB compaction drops the bodies and attachments of non-leaf revisions (for a
          // deleted briefing: everything but its tombstone) from the live key space ...
          await db.compact();
          await db.close();
          // ... and the vacuum removes them from the files (see vacuum.leveldown.ts).
          const { entries } = await vacuumLevelDb(paths.briefings);
          logger.info('purged deleted briefings from disk', { entries, versionTexts });
        },
        reopen(openBriefings, null),
      ),

    deriveKey: (purpose) =>
      Buffer.from(
        hkdfSync(
          'sha256',
          new Uint8Array(storeKey.buffer, storeKey.byteOffset, storeKey.byteLength),
          new Uint8Array(0),
          `attache-store:v1:${purpose}`,
          32,
        ),
      ),

    close: async () => {
      if (closed) return;
      await briefingsGate.idle();
      await returnsGate.idle();
      closed = true;
      await returnsSide.close();
      briefingsFeed.close();
      returnsFeed.close();
      await Promise.allSettled([briefingsGate.current().close(), returnsGate.current().close()]);
    },
  };
  return store;
}
