// Builds the device services. Both entry points use it: the Electron main process
// (src/main/index.ts) and the browser host (src/host/), so the reader talks to exactly the same
// code either way. Who is signed in decides which local store is open: the auth session says
// who, and this module opens that person's workspace (store, briefings, sync) or closes it.
import type { SessionInfo, SignedOutReason, SignOutOutcome, SyncStatus } from '../shared/ipc.js';
import type { AuthSession, AuthSnapshot } from './auth/auth-session.js';
import { createAuthSession } from './auth/auth-session.js';
import { offlinePolicy } from './auth/offline-policy.js';
import { createSessionRecordStore } from './auth/session-record.js';
import type { IdentityClient } from './auth/types.js';
import type { DeviceIdentity } from './device/device-identity.js';
import { deviceHeaders, loadOrCreateDeviceIdentity } from './device/device-identity.js';
import { confirmWipe } from './device/wipe-confirmation.js';
import type { EventBus } from './events.js';
import { createEventBus } from './events.js';
import type { IpcDispatcher } from './ipc/dispatcher.js';
import { createIpcDispatcher } from './ipc/dispatcher.js';
import { createIpcHandlers } from './ipc/handlers.js';
import type { Logger } from './logging/logger.js';
import { createLogger, errorFields } from './logging/logger.js';
import type { Keychain } from './secrets/types.js';
import { closedSyncStatus, storeFailureStatus, toSessionInfo } from './session/session-info.js';
import type { UserWorkspace } from './session/user-workspace.js';
import { openUserWorkspace } from './session/user-workspace.js';
import { moveLegacyStoreFolders } from './storage/store-folder.js';
import { countUnsentReturnsOnDisk, discardUserStore } from './storage/store.pouch.js';
import type { SyncServiceOptions } from './sync/sync-service.js';

export type DeviceAuthOptions = {
  readonly identity: IdentityClient;
  readonly keychain: Keychain;
  readonly maxOfflineDays: number;
  /** Tuning for tests; production uses the auth session's defaults. */
  readonly signInTimeoutMs?: number;
  readonly checkIntervalMs?: number;
  readonly now?: () => number;
};

export type DeviceServicesOptions = {
  /** App data folder; each user's store lives under `<dataDir>/users/<keyed name>/`. */
  readonly dataDir: string;
  /** Base URL of the auth broker. */
  readonly brokerUrl: string;
  readonly appVersion: string;
  readonly auth: DeviceAuthOptions;
  /**
   * Opens the provider's sign-in page in the system browser (Electron: shell.openExternal).
   * Without it (browser-host mode) the reader is asked to open it, by a session:open-browser
   * event.
   */
  readonly openBrowser?: (url: string) => Promise<void>;
  readonly logger?: Logger;
  /** Tuning for tests (faster back-off); production uses the defaults. */
  readonly sync?: Pick<SyncServiceOptions, 'backOff' | 'signInRetryMs' | 'purgeFallbackMs'>;
  /** How long sign-out waits for unsent returns to reach the server (default 8 s). */
  readonly signOutSendMs?: number;
  /** This install's id and label; by default read from (or made in) the data folder. */
  readonly device?: DeviceIdentity;
};

const SIGN_OUT_SEND_MS = 8_000;

export type DeviceServices = {
  readonly dispatch: IpcDispatcher;
  readonly events: EventBus;
  readonly auth: AuthSession;
  /** The open workspace of the signed-in person, if any. */
  readonly workspace: () => UserWorkspace | null;
  readonly session: () => SessionInfo;
  readonly syncStatus: () => SyncStatus;
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
  const auth = createAuthSession({
    identity: options.auth.identity,
    records: createSessionRecordStore(options.auth.keychain, logger.child('auth')),
    policy: offlinePolicy(options.auth.maxOfflineDays),
    openBrowser:
      options.openBrowser ??
      ((url) => {
        events.emit('session:open-browser', { url });
        return Promise.resolve();
      }),
    logger,
    ...(options.auth.signInTimeoutMs === undefined
      ? {}
      : { signInTimeoutMs: options.auth.signInTimeoutMs }),
    ...(options.auth.checkIntervalMs === undefined
      ? {}
      : { checkIntervalMs: options.auth.checkIntervalMs }),
    ...(options.auth.now === undefined ? {} : { now: options.auth.now }),
  });

  const device = options.device ?? (await loadOrCreateDeviceIdentity(options.dataDir));
  const brokerHeaders = deviceHeaders(device);
  let running = false;
  let stopped = false;
  /** While a wipe erases the store, nothing may open it again. */
  let erasing = false;
  let signedOutReason: SignedOutReason | null = null;
  let workspace: UserWorkspace | null = null;
  /** Why the signed-in person's store did not open (shown to them in the sync status). */
  let workspaceError: Error | null = null;
  let unsubscribeSync: (() => void) | null = null;
  const context = { serverUrl: options.brokerUrl, appVersion: options.appVersion };
  // What the reader sees is published only once the workspace matches it: a reader told
  // "signed in" can list briefings at once.
  const sessionInfo = (): SessionInfo =>
    toSessionInfo(auth.snapshot(), { ...context, signedOutReason });
  let published: SessionInfo = sessionInfo();
  let lastSnapshot: AuthSnapshot = auth.snapshot();

  const syncStatus = (): SyncStatus => {
    if (workspace) return workspace.sync.status();
    if (workspaceError && auth.snapshot().state === 'signed-in') {
      return storeFailureStatus(workspaceError);
    }
    return closedSyncStatus(auth.snapshot());
  };

  const closeWorkspace = async (): Promise<void> => {
    const current = workspace;
    if (!current) return;
    workspace = null;
    unsubscribeSync?.();
    unsubscribeSync = null;
    events.emit('sync:status-changed', syncStatus());
    try {
      await current.close();
    } catch (error) {
      logger.error('the local store did not close cleanly', errorFields(error));
    }
  };

  const openWorkspace = async (userId: string): Promise<void> => {
    try {
      const opened = await openUserWorkspace({
        dataDir: options.dataDir,
        brokerUrl: options.brokerUrl,
        userId,
        keychain: options.auth.keychain,
        tokenProvider: auth.tokenProvider,
        logger,
        ...(options.sync ? { sync: options.sync } : {}),
        onBriefingsChanged: (ids) => events.emit('briefings:changed', { ids }),
        deviceHeaders: brokerHeaders,
        deviceId: device.id,
        onWipeOrdered: (confirmation) => void wipe(userId, confirmation),
      });
      workspace = opened;
      workspaceError = null;
      unsubscribeSync = opened.sync.onStatus((status) => {
        // The broker accepted the token: proof for the offline policy that the sign-in holds.
        if (status.state === 'up-to-date') auth.noteServerContact();
        events.emit('sync:status-changed', status);
      });
      if (running) opened.sync.start();
      events.emit('sync:status-changed', opened.sync.status());
      events.emit('briefings:changed', { ids: [] });
    } catch (error) {
      workspaceError = error instanceof Error ? error : new Error(String(error));
      logger.error('could not open the local store of the signed-in person', errorFields(error));
      events.emit('sync:status-changed', syncStatus());
    }
  };

  const apply = async (): Promise<void> => {
    const snapshot = auth.snapshot();
    const wanted =
      snapshot.state === 'signed-in' && snapshot.account && !stopped && !erasing
        ? snapshot.account.userId
        : null;
    // The wipe notice stays until someone signs in again.
    if (snapshot.state === 'signed-in') signedOutReason = null;
    if (workspace && workspace.userId !== wanted) await closeWorkspace();
    if (!wanted) workspaceError = null;
    if (!workspace && wanted) await openWorkspace(wanted);
    // A renewed sign-in after "sign in again": sync at once rather than at the next retry.
    if (workspace && lastSnapshot.signInNeeded && !snapshot.signInNeeded) {
      void workspace.sync.syncNow();
    }
    lastSnapshot = snapshot;
    const next = sessionInfo();
    if (JSON.stringify(next) !== JSON.stringify(published)) {
      published = next;
      events.emit('session:changed', published);
    }
  };

  // Serialised: a sign-out racing a slow store open must close what the open produced.
  let transitions: Promise<void> = Promise.resolve();
  const reconcile = (): Promise<void> => {
    transitions = transitions
      .then(apply)
      .catch((error: unknown) => logger.error('session transition failed', errorFields(error)));
    return transitions;
  };

  /** Runs after the transitions queued before it: nothing opens a store while it is erased. */
  const serially = (work: () => Promise<void>): Promise<void> => {
    const run = transitions.then(work);
    transitions = run.catch(() => undefined);
    return run;
  };

  // Sign-out leaves nothing of the person on the device: a laptop handed on, or taken, after
  // sign-out holds no token, no key and no briefing. Returns the server has not confirmed
  // exist nowhere else, so they are sent first, and never erased without the person's say.
  const signOut = async (discardUnsent: boolean): Promise<SignOutOutcome> => {
    // A store still opening or closing (the reader locking, say) settles first.
    await transitions;
    const account = auth.snapshot().account;
    let unsent = 0;
    if (account) {
      const open = workspace?.userId === account.userId ? workspace : null;
      unsent = open
        ? await open.sync.sendPending(options.signOutSendMs ?? SIGN_OUT_SEND_MS)
        : await countUnsentReturnsOnDisk({
            dataDir: options.dataDir,
            userId: account.userId,
            keychain: options.auth.keychain,
          });
      if (unsent > 0 && !discardUnsent) {
        logger.info('sign-out held: returns not yet confirmed by the server', { unsent });
        return { outcome: 'unsent-returns', unsent };
      }
    }
    await auth.signOut();
    await reconcile();
    if (account) {
      await serially(async () => {
        try {
          await discardUserStore({
            dataDir: options.dataDir,
            userId: account.userId,
            keychain: options.auth.keychain,
          });
        } catch (error) {
          logger.error('signed out, but the local copy could not be erased', errorFields(error));
          throw new Error(
            'You are signed out, but the copy of your briefings on this device could not be erased. Make sure the system keychain is unlocked and sign out again, or ask IT support.',
            { cause: error },
          );
        }
        logger.info('erased the local copy on sign-out', { discardedUnsent: unsent });
      });
    }
    return { outcome: 'signed-out' };
  };

  // A remote wipe is an order, not a question: the person's store goes with whatever it holds
  // unsent, exactly as a sign-out that discards them. The order names a person (the workspace
  // whose requests were answered with it): if someone else is signed in by the time it is
  // carried out, nothing is erased. The token for the confirmation is taken first, while the
  // sign-in is still there; then the store is erased and the sign-in leaves the keychain; only
  // then is the broker told, with the order's one-time value, so a completed order always means
  // nothing of the person is left.
  // If the erase fails, nothing is confirmed and the tokens stay, so the next contact orders it
  // again; if only the confirmation fails, the order stays pending and the same person's next
  // sign-in on this device is wiped once more (an empty store) and confirms then.
  let wiping: Promise<void> | null = null;
  const wipe = (orderedFor: string, confirmation: string | null): Promise<void> => {
    wiping ??= (async () => {
      await transitions;
      const account = auth.snapshot().account;
      if (!account || account.userId !== orderedFor) return;
      logger.warn('an administrator ordered this device wiped: erasing the local copy');
      erasing = true;
      try {
        const token = await auth.tokenProvider.getAccessToken().catch(() => null);
        await reconcile();
        await serially(() =>
          discardUserStore({
            dataDir: options.dataDir,
            userId: account.userId,
            keychain: options.auth.keychain,
          }),
        );
        signedOutReason = 'device-wiped';
        await auth.signOut();
        const confirmed =
          token !== null &&
          confirmation !== null &&
          (await confirmWipe({
            brokerUrl: options.brokerUrl,
            token,
            deviceHeaders: brokerHeaders,
            confirmation,
          }));
        if (!confirmed) logger.warn('wiped, but the server could not be told yet');
        logger.info("wiped on the organisation's order", { confirmed });
      } catch (error) {
        logger.error('the ordered wipe did not complete', errorFields(error));
      } finally {
        erasing = false;
        await reconcile();
      }
    })().finally(() => {
      wiping = null;
    });
    return wiping;
  };

  // Stores of earlier releases were named by the hex of the user id: renamed before any opens.
  // A keychain that cannot be reached now fails the store's own open later, with its message.
  try {
    const moved = await moveLegacyStoreFolders({
      dataDir: options.dataDir,
      keychain: options.auth.keychain,
      logger,
    });
    if (moved > 0) logger.info('moved local stores to keyed folder names', { moved });
  } catch (error) {
    logger.warn('could not move local stores to keyed folder names yet', errorFields(error));
  }

  const offAuth = auth.onChange(() => void reconcile());
  await auth.start();
  await reconcile();

  const dispatch = createIpcDispatcher(
    createIpcHandlers({
      briefings: () => {
        if (workspace) return workspace.briefings;
        // A typed store error (StoreLockedError) reaches the reader with its code and advice.
        if (workspaceError) throw workspaceError;
        return null;
      },
      annotations: () => workspace?.annotations ?? null,
      sync: {
        status: syncStatus,
        syncNow: () => workspace?.sync.syncNow() ?? Promise.resolve(),
      },
      session: {
        info: () => published,
        signIn: () => auth.signIn(),
        cancelSignIn: () => auth.cancelSignIn(),
        signOut: ({ discardUnsent }) => signOut(discardUnsent),
      },
    }),
    logger,
  );

  return {
    dispatch,
    events,
    auth,
    workspace: () => workspace,
    session: () => published,
    syncStatus,
    start: () => {
      running = true;
      workspace?.sync.start();
    },
    stop: async () => {
      running = false;
      stopped = true;
      // A wipe under way finishes first: quitting halfway would leave the person's sign-in.
      await wiping;
      offAuth();
      await auth.stop();
      await reconcile();
      await closeWorkspace();
    },
  };
}
