// Builds the device services for one signed-in user. Both entry points use it: the Electron
// main process (src/main/index.ts) and the browser host (src/host/), so the reader talks to
// exactly the same code either way.
import type { SessionInfo } from '../shared/ipc.js';
import type { BriefingsService } from './briefings/briefings-service.js';
import { createBriefingsService } from './briefings/briefings-service.js';
import type { EventBus } from './events.js';
import { createEventBus } from './events.js';
import type { IpcDispatcher } from './ipc/dispatcher.js';
import { createIpcDispatcher } from './ipc/dispatcher.js';
import { createIpcHandlers } from './ipc/handlers.js';
import type { Logger } from './logging/logger.js';
import { createLogger, errorFields } from './logging/logger.js';
import { openUserStore } from './storage/store.pouch.js';
import type { UserStore } from './storage/types.js';
import { createDevTokenProvider } from './sync/dev-token-provider.js';
import type { SyncServiceOptions } from './sync/sync-service.js';
import { createSyncService } from './sync/sync-service.js';
import type { SyncService, TokenProvider } from './sync/types.js';

export type DeviceUser = { readonly id: string; readonly displayName: string };

export type DeviceServicesOptions = {
  /** App data folder; each user's store lives under `<dataDir>/users/<hex of user id>/`. */
  readonly dataDir: string;
  /** Base URL of the auth broker. */
  readonly brokerUrl: string;
  readonly user: DeviceUser;
  readonly appVersion: string;
  /** Defaults to the embedded server's development token endpoint on `brokerUrl`. */
  readonly tokenProvider?: TokenProvider;
  readonly logger?: Logger;
  /** Tuning for tests (faster back-off); production uses the defaults. */
  readonly sync?: Pick<SyncServiceOptions, 'backOff' | 'signInRetryMs' | 'purgeFallbackMs'>;
};

export type DeviceServices = {
  readonly dispatch: IpcDispatcher;
  readonly events: EventBus;
  readonly store: UserStore;
  readonly briefings: BriefingsService;
  readonly sync: SyncService;
  /** Starts background sync; returns at once (the store is already readable). */
  readonly start: () => void;
  readonly stop: () => Promise<void>;
};

export async function createDeviceServices(
  options: DeviceServicesOptions,
): Promise<DeviceServices> {
  const logger = options.logger ?? createLogger('device');
  const events = createEventBus((error) =>
    logger.error('event listener failed', errorFields(error)),
  );
  const store = await openUserStore({ dataDir: options.dataDir, userId: options.user.id, logger });
  const tokenProvider =
    options.tokenProvider ??
    createDevTokenProvider({ serverUrl: options.brokerUrl, userId: options.user.id });

  const briefings = createBriefingsService({
    store,
    logger,
    onChanged: (ids) => events.emit('briefings:changed', { ids }),
  });
  const sync = createSyncService({
    store,
    brokerUrl: options.brokerUrl,
    tokenProvider,
    logger,
    ...options.sync,
  });

  const session = (): SessionInfo => ({
    user: { id: options.user.id, displayName: options.user.displayName },
    serverUrl: options.brokerUrl,
    appVersion: options.appVersion,
  });
  const dispatch = createIpcDispatcher(createIpcHandlers({ briefings, sync, session }), logger);

  const unsubscribe = [
    sync.onStatus((status) => events.emit('sync:status-changed', status)),
    store.onBriefingsChange((changes) =>
      events.emit('briefings:changed', { ids: changes.map((change) => change.id) }),
    ),
  ];

  return {
    dispatch,
    events,
    store,
    briefings,
    sync,
    start: () => sync.start(),
    stop: async () => {
      for (const off of unsubscribe) off();
      await sync.stop();
      await store.close();
    },
  };
}
