// What one signed-in person has open on the device: their local store, the briefings service
// over it and its live sync. Opened when they sign in (or open the app within the offline
// policy), closed when they sign out or the reader locks.
import { randomUUID } from 'node:crypto';
import type { AnnotationsService } from '../annotations/annotations-service.js';
import { createAnnotationsService } from '../annotations/annotations-service.js';
import type { BriefingsService } from '../briefings/briefings-service.js';
import { createBriefingsService } from '../briefings/briefings-service.js';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { SearchService } from '../search/search-service.js';
import { createBusySignal, createSearchService } from '../search/search-service.js';
import type { Keychain } from '../secrets/types.js';
import { discardUserStore, openUserStore } from '../storage/store.pouch.js';
import type { StoreCeiling } from '../policy/store-ceiling.js';
import type { UserStore } from '../storage/types.js';
import { StoreLockedError } from '../storage/types.js';
import type { SyncServiceOptions } from '../sync/sync-service.js';
import { createSyncService } from '../sync/sync-service.js';
import type { SyncService, TokenProvider } from '../sync/types.js';

export type UserWorkspace = {
  readonly userId: string;
  readonly store: UserStore;
  readonly briefings: BriefingsService;
  readonly annotations: AnnotationsService;
  readonly sync: SyncService;
  readonly search: SearchService;
  /** Stops sync and closes the store (LevelDB files released). */
  readonly close: () => Promise<void>;
};

export type UserWorkspaceOptions = {
  readonly dataDir: string;
  readonly brokerUrl: string;
  readonly userId: string;
  /** Holds the data key of the person's store. */
  readonly keychain: Keychain;
  readonly tokenProvider: TokenProvider;
  readonly logger: Logger;
  readonly sync?: Pick<SyncServiceOptions, 'backOff' | 'signInRetryMs' | 'purgeFallbackMs'>;
  readonly onBriefingsChanged: (ids: readonly string[]) => void;
  /** Sent with every broker request: this device's id and label. */
  readonly deviceHeaders?: Readonly<Record<string, string>>;
  /** The broker said an administrator ordered this device wiped. */
  readonly onWipeOrdered?: (confirmation: string | null) => void;
  /** The device's classification ceiling, where it is below the top (policy/store-ceiling.ts). */
  readonly ceiling?: StoreCeiling | null;
  /** The search index changed (briefings taken in or removed); `pending` wait to be indexed. */
  readonly onSearchChanged?: (pending: number) => void;
  /** This device's id: annotation events carry it (a random one stands in for tests). */
  readonly deviceId?: string;
};

/**
 * Opens the person's store. One that cannot be decrypted any more (its key left the keychain)
 * is a copy of the server's briefings: it is discarded and downloaded again, unless it holds
 * returns the server has not confirmed, which exist nowhere else. Then the StoreLockedError
 * stands, and says so, until the keychain is restored or IT discards the store.
 */
async function openStoreRecovering(options: UserWorkspaceOptions): Promise<UserStore> {
  const { dataDir, userId, keychain, logger } = options;
  const acceptBriefing = options.ceiling?.filter;
  try {
    return await openUserStore({ dataDir, userId, keychain, logger, acceptBriefing });
  } catch (error) {
    if (!(error instanceof StoreLockedError) || error.unsentReturns > 0) throw error;
    logger.warn('the local store cannot be decrypted and holds nothing unsent: discarding it', {
      code: error.code,
    });
    await discardUserStore({ dataDir, userId, keychain });
    return openUserStore({ dataDir, userId, keychain, logger, acceptBriefing });
  }
}

export async function openUserWorkspace(options: UserWorkspaceOptions): Promise<UserWorkspace> {
  const { logger } = options;
  // The store opens from disk without the network: briefings already synced are readable at
  // once, while sync keeps retrying in the background.
  const store = await openStoreRecovering(options);
  // What a lowered ceiling no longer allows leaves the disk before anything syncs or shows.
  await options.ceiling?.purge(store);
  const briefings = createBriefingsService({
    store,
    logger,
    onChanged: (ids) => options.onBriefingsChanged(ids),
  });
  // Indexing gives way to the sync while it is writing (a first sync of thousands of briefings
  // runs at the speed of the device's CPUs, which indexing would share): the sync's status
  // tells when, once the sync service exists below.
  const syncing = createBusySignal();
  // Subscribed before the workspace's own listener: an unshared briefing leaves the index
  // before the reader is told to look again.
  const search = createSearchService({
    store,
    logger,
    yieldTo: syncing.signal,
    ...(options.onSearchChanged ? { onChanged: options.onSearchChanged } : {}),
  });
  // The reader's notes and the passages they mark are searchable: each change of a briefing's
  // annotations gives the index that briefing's note text again ('' when none are left).
  const feedNotes = (ids: readonly string[]) => {
    for (const id of ids) {
      void annotations
        .annotationTextFor(id)
        .then((text) => search.indexNotes(id, text))
        .catch((error: unknown) =>
          logger.warn('could not give the search index a briefing’s notes', errorFields(error)),
        );
    }
  };
  const annotations = createAnnotationsService({
    store,
    deviceId: options.deviceId ?? randomUUID(),
    logger,
    onChanged: (ids) => {
      feedNotes(ids);
      options.onBriefingsChanged(ids);
    },
  });
  const sync = createSyncService({
    store,
    brokerUrl: options.brokerUrl,
    tokenProvider: options.tokenProvider,
    logger,
    ...options.sync,
    ...(options.deviceHeaders ? { deviceHeaders: options.deviceHeaders } : {}),
    ...(options.onWipeOrdered ? { onWipeOrdered: options.onWipeOrdered } : {}),
  });
  const unsubscribeSyncing = sync.onStatus((status) => syncing.set(status.state === 'syncing'));
  const unsubscribeBriefings = store.onBriefingsChange((changes) =>
    options.onBriefingsChanged(changes.map((change) => change.id)),
  );
  // Returns change what the list shows (read or unread), e.g. when pulled from the server.
  // Returns pulled from the server may carry another device's annotations: their briefings'
  // notes are indexed again, as are all annotated briefings' at open (the index may predate them).
  const reindexNotes = () =>
    void annotations
      .annotatedBriefings()
      .then(feedNotes)
      .catch((error: unknown) =>
        logger.warn('could not list annotated briefings for search', errorFields(error)),
      );
  // The reader hears of them from the briefings service, with the briefings they concern.
  const unsubscribeReturns = store.onReturnsChange(() => reindexNotes());
  reindexNotes();
  return {
    userId: options.userId,
    store,
    briefings,
    annotations,
    sync,
    search,
    close: async () => {
      unsubscribeBriefings();
      unsubscribeReturns();
      unsubscribeSyncing();
      await sync.stop();
      await search.close();
      // The summary index is saved before the store it caches closes.
      await briefings.close();
      await store.close();
    },
  };
}
