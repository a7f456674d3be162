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
import { errorFields } from '../logging/logger.js';
import type { Keychain } from '../secrets/types.js';
import {
  countUnsentReturns,
  readPushWatermark,
  writePushWatermark,
} from './returns-backlog.leveldown.js';
import { createIntegrityGuard } from './integrity-guard.js';
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
import type {
  AttachmentData,
  ChangesPage,
  LocalChange,
  PersistedSyncState,
  PullCheckpoint,
  PullTarget,
  PushOptions,
  ReplicationEvent,
  ReplicationHandle,
  StoredDoc,
  UserStore,
} from './types.js';
import { STORE_ERROR_CODES, StoreLockedError } from './types.js';
import { recoverInterruptedVacuum, vacuumLevelDb } from './vacuum.leveldown.js';

type Db = PouchDB.Database;

const SYNC_STATE_ID = '_local/attache-sync-state';
/** The device's own pull's checkpoint (sync/pull.ts), beside what it pulled. */
const PULL_CHECKPOINT_ID = '_local/attache-pull';
const INITIAL_SYNC_STATE: PersistedSyncState = {
  lastSyncedAt: null,
  pushedSeq: 0,
  returnsRestored: false,
};
/** How long `cancel()` waits for PouchDB to settle; a replication sleeping in back-off only
 * notices the cancel when its timer fires, and nothing it does after that touches our data. */
const CANCEL_GRACE_MS = 2_000;
const CHANGE_COALESCE_MS = 25;

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

function isNotFound(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 404
  );
}

function isConflict(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 409
  );
}

function isUserDoc(id: string): boolean {
  // Design documents (the server's write guard) replicate down but are not content.
  return !id.startsWith('_design/');
}

/** Watches one database's changes feed and hands coalesced batches to listeners. */
function createChangeFeed(logger: Logger) {
  const listeners = new Set<(changes: readonly LocalChange[]) => void>();
  let feed: PouchDB.Core.Changes<object> | null = null;
  let pending: LocalChange[] = [];
  let timer: NodeJS.Timeout | null = null;

  const flush = (): void => {
    timer = null;
    const batch = pending;
    pending = [];
    for (const listener of listeners) {
      try {
        listener(batch);
      } catch (error) {
        logger.error('change listener failed', errorFields(error));
      }
    }
  };

  return {
    attach(db: Db): void {
      feed = db
        .changes({ since: 'now', live: true })
        .on('change', (change) => {
          if (!isUserDoc(change.id)) return;
          pending.push({ id: change.id, deleted: change.deleted === true });
          timer ??= setTimeout(flush, CHANGE_COALESCE_MS);
        })
        .on('error', (error) => logger.warn('changes feed stopped', errorFields(error)));
    },
    detach(): void {
      feed?.cancel();
      feed = null;
    },
    subscribe(listener: (changes: readonly LocalChange[]) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close(): void {
      this.detach();
      if (timer) clearTimeout(timer);
      timer = null;
      listeners.clear();
    },
  };
}

async function changesSince(db: Db, since: string | number, limit: number): Promise<ChangesPage> {
  const changes = await db.changes({ since, limit, include_docs: true, return_docs: true });
  return {
    results: changes.results
      .filter((change) => isUserDoc(change.id))
      .map((change) => ({
        id: change.id,
        doc: change.deleted === true || !change.doc ? null : (change.doc as unknown as StoredDoc),
      })),
    lastSeq: changes.last_seq,
    more: changes.results.length >= limit,
  };
}

function startPush(local: Db, options: PushOptions, logger: Logger): ReplicationHandle {
  // The transport made it (sync/broker-remote.pouch.ts): a PouchDB http database.
  const remote = options.remote as unknown as Db;
  // Checkpoints are kept on the device side only: the broker need not accept `_local` writes on
  // the user's databases, and the device is the one that must resume.
  const replication = PouchDB.replicate(local, remote, {
    live: true,
    retry: true,
    back_off_function: options.backOff,
    batch_size: 50,
    checkpoint: 'source',
  });

  let settled = false;
  let resolveSettled: () => void = () => undefined;
  const settledPromise = new Promise<void>((resolve) => {
    resolveSettled = resolve;
  });
  const emit = (event: ReplicationEvent): void => {
    try {
      options.onEvent(event);
    } catch (error) {
      logger.error('replication listener failed', errorFields(error));
    }
  };
  const stop = (error: unknown): void => {
    if (settled) return;
    settled = true;
    // Every sync restart (network back, token renewed) makes new remote handles, and PouchDB's
    // constructor keeps each handle until it is closed (to tell it of a destroy): a reader
    // running for weeks would collect thousands. Closing an HTTP handle sends nothing.
    options.remote.close().catch(() => undefined);
    resolveSettled();
    emit({ kind: 'stopped', error });
  };

  void replication
    .on('active', () => emit({ kind: 'active' }))
    .on('paused', (error) => emit({ kind: 'paused', error: error ?? null }))
    .on('change', (info) =>
      emit({
        kind: 'change',
        docsWritten: info.docs_written,
        ids: (info.docs ?? []).map((doc) => doc._id),
      }),
    )
    .on('denied', (error) => emit({ kind: 'denied', error }))
    .on('error', (error) => stop(error))
    .on('complete', () => stop(null));
  // Not in PouchDB's typings: emitted after each checkpoint write with the source sequence.
  (replication as unknown as NodeJS.EventEmitter).on(
    'checkpoint',
    (info: { checkpoint?: string | number }) => {
      if (info.checkpoint !== undefined) emit({ kind: 'checkpoint', seq: info.checkpoint });
    },
  );

  return {
    cancel: async () => {
      if (settled) return;
      replication.cancel();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        settledPromise,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CANCEL_GRACE_MS))),
      ]);
      clearTimeout(timer);
      stop(null);
    },
  };
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

  const briefingsFeed = createChangeFeed(logger);
  const returnsFeed = createChangeFeed(logger);
  briefingsFeed.attach(briefings);
  returnsFeed.attach(returns);

  // Readers of the briefings database hold `inFlight`; a purge waits for them to drain and makes
  // new readers wait for it, because it closes and swaps the database underneath.
  let maintenance: Promise<void> | null = null;
  let inFlight = 0;
  let drained: (() => void) | null = null;
  const withBriefings = async <T>(fn: (db: Db) => Promise<T>): Promise<T> => {
    while (maintenance) await maintenance;
    inFlight += 1;
    try {
      return await guard(() => fn(briefings));
    } finally {
      inFlight -= 1;
      if (inFlight === 0 && drained) drained();
    }
  };

  // Serialises writes of the sync-state document; otherwise two quick updates race for its _rev.
  let syncStateWrite: Promise<void> = Promise.resolve();
  let closed = false;

  const ruleKey = options.acceptBriefing?.key ?? null;
  const pullTarget: PullTarget = {
    readCheckpoint: () =>
      withBriefings(async (db) => {
        try {
          const doc = (await db.get(PULL_CHECKPOINT_ID)) as unknown as Partial<
            PullCheckpoint & { rule: string | null }
          >;
          if ((doc.rule ?? null) !== ruleKey) return null;
          const since = doc.since;
          if (typeof since !== 'string' && typeof since !== 'number') return null;
          return { since, verified: doc.verified === true };
        } catch (error) {
          if (isNotFound(error)) return null;
          throw error;
        }
      }),
    writeCheckpoint: (checkpoint) =>
      withBriefings(async (db) => {
        let rev: string | undefined;
        try {
          rev = (await db.get(PULL_CHECKPOINT_ID))._rev;
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
        await db.put({
          _id: PULL_CHECKPOINT_ID,
          ...(rev ? { _rev: rev } : {}),
          rule: ruleKey,
          since: checkpoint.since,
          verified: checkpoint.verified,
        });
      }),
    missingRevisions: (revisions) =>
      withBriefings(async (db) => {
        const diff = (await db.revsDiff(
          revisions as Record<string, string[]>,
        )) as unknown as Record<string, { missing?: string[]; possible_ancestors?: string[] }>;
        const result: Record<string, { missing: string[]; have: string[] }> = {};
        for (const [id, entry] of Object.entries(diff)) {
          if (!isUserDoc(id) || !entry.missing || entry.missing.length === 0) continue;
          result[id] = { missing: entry.missing, have: entry.possible_ancestors ?? [] };
        }
        return result;
      }),
    writeReplicated: (docs) =>
      withBriefings(async (db) => {
        const accepted = docs.filter(
          (doc) => isUserDoc(doc._id) && (options.acceptBriefing?.accept(doc) ?? true),
        );
        if (accepted.length === 0) return [];
        const results = await db.bulkDocs(
          accepted as unknown as PouchDB.Core.PutDocument<object>[],
          {
            new_edits: false,
          },
        );
        // With new_edits: false PouchDB answers only failures (a missing attachment stub, ...).
        const failed = results.filter(
          (result): result is PouchDB.Core.Error => 'error' in result && result.error !== undefined,
        );
        if (failed.length > 0) {
          throw new Error(
            `could not store ${failed.length} replicated revision(s): ${failed[0]?.message ?? failed[0]?.name ?? 'unknown'}`,
          );
        }
        return accepted.map((doc) => doc._id);
      }),
  };

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

    listBriefingRevisions: () =>
      withBriefings(async (db) => {
        const all = await db.allDocs();
        return new Map(
          all.rows.filter((row) => isUserDoc(row.id)).map((row) => [row.id, row.value.rev]),
        );
      }),

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

    briefingChangesSince: (since, limit) => withBriefings((db) => changesSince(db, since, limit)),
    briefingsUpdateSeq: () => withBriefings(async (db) => (await db.info()).update_seq),
    returnChangesSince: (since, limit) => guard(() => changesSince(returns, since, limit)),
    summaryIndexFile: createSummaryIndexFile({ folder, dataKey, logger }),

    listReturnDocs: () =>
      guard(async () => {
        const all = await returns.allDocs({ include_docs: true });
        return all.rows
          .filter((row) => isUserDoc(row.id) && row.doc)
          .map((row) => row.doc as unknown as StoredDoc);
      }),

    createReturnDoc: (id, body) =>
      guard(async () => {
        await returns.put({ ...body, _id: id });
      }),

    countReturnsSince: (seq) =>
      guard(async () => {
        const changes = await returns.changes({ since: seq, return_docs: true });
        return changes.results.filter((change) => isUserDoc(change.id) && change.deleted !== true)
          .length;
      }),

    returnsUpdateSeq: () => guard(async () => (await returns.info()).update_seq),

    readSyncState: async () => {
      try {
        const doc = (await guard(() =>
          returns.get(SYNC_STATE_ID),
        )) as unknown as Partial<PersistedSyncState>;
        return {
          lastSyncedAt: typeof doc.lastSyncedAt === 'string' ? doc.lastSyncedAt : null,
          pushedSeq:
            typeof doc.pushedSeq === 'string' || typeof doc.pushedSeq === 'number'
              ? doc.pushedSeq
              : 0,
          returnsRestored: doc.returnsRestored === true,
        };
      } catch (error) {
        if (isNotFound(error)) return INITIAL_SYNC_STATE;
        throw error;
      }
    },

    writeSyncState: (state) => {
      const write = syncStateWrite.then(async () => {
        if (closed) return;
        for (let attempt = 0; ; attempt += 1) {
          let rev: string | undefined;
          try {
            rev = (await guard(() => returns.get(SYNC_STATE_ID)))._rev;
          } catch (error) {
            if (!isNotFound(error)) throw error;
          }
          try {
            await guard(() =>
              returns.put({ _id: SYNC_STATE_ID, ...(rev ? { _rev: rev } : {}), ...state }),
            );
            // The plaintext copy of the watermark, for a store whose key is lost
            // (returns-backlog.leveldown.ts); written after the encrypted state, never ahead.
            await writePushWatermark(folder, state.pushedSeq);
            return;
          } catch (error) {
            if (!isConflict(error) || attempt >= 2) throw error;
          }
        }
      });
      syncStateWrite = write.catch(() => undefined);
      return write;
    },

    onBriefingsChange: (listener) => briefingsFeed.subscribe(listener),
    onReturnsChange: (listener) => returnsFeed.subscribe(listener),

    pushReturns: (push) => startPush(returns, push, logger),
    pullTarget,

    removeBriefings: (ids) =>
      withBriefings(async (db) => {
        const found = await db.allDocs({ keys: [...ids] });
        const present = found.rows.flatMap((row) =>
          'value' in row && row.value && !row.value.deleted
            ? [{ _id: row.id, _rev: row.value.rev, _deleted: true }]
            : [],
        );
        if (present.length > 0) await db.bulkDocs(present);
        return present.length;
      }),

    restoreReturns: async (remoteDatabase) => {
      const remote = remoteDatabase as unknown as Db;
      try {
        const result = await guard(() =>
          PouchDB.replicate(remote, returns, {
            batch_size: 50,
            checkpoint: 'target',
            // The server's write guard is not the device's business.
            filter: (doc: { _id: string }) => isUserDoc(doc._id),
          }),
        );
        return result.docs_written;
      } finally {
        await remote.close().catch(() => undefined);
      }
    },

    purgeDeleted: async () => {
      while (maintenance) await maintenance;
      const run = (async () => {
        if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
        drained = null;
        briefingsFeed.detach();
        try {
          // PouchDB compaction drops the bodies and attachments of non-leaf revisions (for a
          // deleted briefing: everything but its tombstone) from the live key space ...
          await guard(() => briefings.compact());
          await briefings.close();
          // ... and the vacuum removes them from the files (see vacuum.leveldown.ts).
          const { entries } = await vacuumLevelDb(paths.briefings);
          logger.info('purged deleted briefings from disk', { entries });
        } finally {
          briefings = openBriefings();
          briefingsFeed.attach(briefings);
        }
      })();
      maintenance = run;
      try {
        await run;
      } finally {
        maintenance = null;
      }
    },

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
      while (maintenance) await maintenance;
      closed = true;
      await syncStateWrite;
      briefingsFeed.close();
      returnsFeed.close();
      await Promise.allSettled([briefings.close(), returns.close()]);
    },
  };
  return store;
}
