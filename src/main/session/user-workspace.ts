// What one signed-in person has open on the device: their local store, the briefings service
// over it and its live sync. Opened when they sign in (or open the app within the offline
// policy), closed when they sign out or the reader locks.
import type { BriefingsService } from '../briefings/briefings-service.js';
import { createBriefingsService } from '../briefings/briefings-service.js';
import type { Logger } from '../logging/logger.js';
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
  readonly sync: SyncService;
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
  const sync = createSyncService({
    store,
    brokerUrl: options.brokerUrl,
    tokenProvider: options.tokenProvider,
    logger,
    ...options.sync,
    ...(options.deviceHeaders ? { deviceHeaders: options.deviceHeaders } : {}),
    ...(options.onWipeOrdered ? { onWipeOrdered: options.onWipeOrdered } : {}),
  });
  const unsubscribeBriefings = store.onBriefingsChange((changes) =>
    options.onBriefingsChanged(changes.map((change) => change.id)),
  );
  // Returns change what the list shows (read or unread), e.g. when restored from the server.
  const unsubscribeReturns = store.onReturnsChange(() => options.onBriefingsChanged([]));
  return {
    userId: options.userId,
    store,
    briefings,
    sync,
    close: async () => {
      unsubscribeBriefings();
      unsubscribeReturns();
      await sync.stop();
      // The summary index is saved before the store it caches closes.
      await briefings.close();
      await store.close();
    },
  };
}
