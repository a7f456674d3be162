// The composition root of the device: it only wires. Both entry points use it, the Electron main
// process (src/main/index.ts) and the browser host (src/host/), so the reader talks to exactly
// the same code either way. It picks the parts (auth session, device identity, the session
// controller, sign-out, remote wipe) and connects them to the IPC dispatcher; what each part
// decides lives in its own folder: session/ (which store is open, sign-out), device/ (this
// install, the remote wipe), ipc/ (validation and the answer's shape).
import type { SessionInfo, SyncStatus } from '../shared/ipc.js';
import type { AuthSession } from './auth/auth-session.js';
import { createAuthSession } from './auth/auth-session.js';
import { offlinePolicy } from './auth/offline-policy.js';
import { createSessionRecordStore } from './auth/session-record.js';
import type { IdentityClient } from './auth/types.js';
import type { DeviceIdentity } from './device/device-identity.js';
import { deviceHeaders, loadOrCreateDeviceIdentity } from './device/device-identity.js';
import { createRemoteWipe } from './device/remote-wipe.js';
import type { EventBus } from './events/event-bus.js';
import { createEventBus } from './events/event-bus.js';
import type { IpcDispatcher } from './ipc/dispatcher.js';
import { createIpcDispatcher } from './ipc/dispatcher.js';
import type { DeviceIpcHandlers, IpcHandlers } from './ipc/handlers.js';
import { createIpcHandlers } from './ipc/handlers.js';
import type { Logger } from './logging/logger.js';
import { createLogger, errorFields } from './logging/logger.js';
import type { StoreCeiling } from './policy/store-ceiling.js';
import type { Keychain } from './secrets/types.js';
import { createSessionController } from './session/session-controller.js';
import { createSignOut } from './session/sign-out.js';
import type { SessionView } from './session/session-view.js';
import type { OpenWorkspace, WorkspaceThreadLaunch } from './session/workspace-thread.js';
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
  /** The device's classification ceiling for its store: policy/store-ceiling.ts. */
  readonly storeCeiling?: StoreCeiling | null;
  /** A workspace thread started at the app's launch: session/session-controller.ts. */
  readonly spareThread?: WorkspaceThreadLaunch;
  /** Adds the managed channels (settings, policy, links, diagnostics): ipc/managed-handlers.ts. */
  readonly extendHandlers?: (
    handlers: DeviceIpcHandlers,
    services: DeviceServicesView,
  ) => IpcHandlers;
};

/** What the managed handlers may look at: never the auth session itself. */
/** What a capability may see of the session (see session/session-view.ts). */
export type DeviceServicesView = SessionView;

export type DeviceServices = {
  readonly dispatch: IpcDispatcher;
  readonly events: EventBus;
  readonly auth: AuthSession;
  /** The open workspace of the signed-in person, if any. */
  readonly workspace: () => OpenWorkspace | null;
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
  const { dataDir, brokerUrl } = options;
  const keychain = options.auth.keychain;
  const events = createEventBus((error) =>
    logger.error('event listener failed', errorFields(error)),
  );
  const auth = createAuthSession({
    identity: options.auth.identity,
    records: createSessionRecordStore(keychain, logger.child('auth')),
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

  const device = options.device ?? (await loadOrCreateDeviceIdentity(dataDir));
  const brokerHeaders = deviceHeaders(device);
  const session = createSessionController({
    deviceId: device.id,
    dataDir,
    brokerUrl,
    appVersion: options.appVersion,
    keychain,
    auth,
    events,
    logger,
    ...(options.sync ? { sync: options.sync } : {}),
    deviceHeaders: brokerHeaders,
    storeCeiling: options.storeCeiling ?? null,
    ...(options.spareThread ? { spareThread: options.spareThread } : {}),
    // Called only once a workspace is open, long after remoteWipe below exists.
    onWipeOrdered: (userId, confirmation) => void remoteWipe.carryOut(userId, confirmation),
  });
  const remoteWipe = createRemoteWipe({
    dataDir,
    brokerUrl,
    keychain,
    deviceHeaders: brokerHeaders,
    auth,
    session,
    logger,
  });
  const signOut = createSignOut({
    dataDir,
    keychain,
    auth,
    session,
    logger,
    ...(options.signOutSendMs === undefined ? {} : { sendMs: options.signOutSendMs }),
  });

  await session.open();

  const dispatch = createIpcDispatcher(
    createIpcHandlers({
      briefings: session.briefings,
      search: session.search,
      annotations: session.annotations,
      sync: { status: session.syncStatus, syncNow: session.syncNow },
      session: {
        info: session.session,
        signIn: () => auth.signIn(),
        cancelSignIn: () => auth.cancelSignIn(),
        signOut: ({ discardUnsent }) => signOut(discardUnsent),
      },
      extend: (handlers) =>
        options.extendHandlers?.(handlers, {
          workspace: session.workspace,
          session: session.session,
          syncStatus: session.syncStatus,
        }) ?? null,
    }),
    logger,
  );

  return {
    dispatch,
    events,
    auth,
    workspace: session.workspace,
    session: session.session,
    syncStatus: session.syncStatus,
    start: session.startSync,
    stop: async () => {
      session.halt();
      // A wipe under way finishes first: quitting halfway would leave the person's sign-in.
      await remoteWipe.finished();
      await session.close();
    },
  };
}
