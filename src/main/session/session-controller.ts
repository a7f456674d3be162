// The session controller: who is signed in decides which local store is open. The auth session
// says who; this opens that person's workspace (store, briefings, sync) or closes it, one
// transition at a time, and publishes to the reader what matches the open workspace. Sign-out
// (session/sign-out.ts) and the remote wipe (device/remote-wipe.ts) erase a store through the
// same queue of transitions, so nothing opens a store while it is being erased.
import type { SessionInfo, SignedOutReason, SyncStatus } from '../../shared/ipc.js';
import type { AuthSession, AuthSnapshot } from '../auth/auth-session.js';
import type { AnnotationsService } from '../annotations/annotations-service.js';
import type { SearchService } from '../search/search-service.js';
import type { BriefingsService } from '../briefings/briefings-service.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { StoreCeiling } from '../policy/store-ceiling.js';
import type { Keychain } from '../secrets/types.js';
import { moveLegacyStoreFolders } from '../storage/store-folder.js';
import type { SyncServiceOptions } from '../sync/sync-service.js';
import { closedSyncStatus, storeFailureStatus, toSessionInfo } from './session-info.js';
import type { OpenWorkspace, WorkspaceThreadLaunch } from './workspace-thread.js';
import { launchWorkspaceThread, openWorkspaceThread } from './workspace-thread.js';

export type SessionControllerOptions = {
  /** App data folder; each user's store lives under `<dataDir>/users/<keyed name>/`. */
  readonly dataDir: string;
  readonly brokerUrl: string;
  readonly appVersion: string;
  readonly keychain: Keychain;
  readonly auth: AuthSession;
  readonly events: EventBus;
  readonly logger: Logger;
  readonly sync?: Pick<SyncServiceOptions, 'backOff' | 'signInRetryMs' | 'purgeFallbackMs'>;
  /** Sent with every broker request (device/device-identity.ts). */
  readonly deviceHeaders: Readonly<Record<string, string>>;
  /** This device's id: annotation events carry it. */
  readonly deviceId: string;
  readonly storeCeiling: StoreCeiling | null;
  /** The broker answered this person's requests with a wipe order (device/remote-wipe.ts). */
  readonly onWipeOrdered: (userId: string, confirmation: string | null) => void;
  /**
   * A workspace thread the app started at launch (src/main/index.ts), before it knew who would
   * sign in: the first workspace opens in it, its modules already loaded. Without one, `open`
   * starts one before it reads the sign-in.
   */
  readonly spareThread?: WorkspaceThreadLaunch;
};

/** What sign-out and the remote wipe need of the controller: its queue and its flags. */
export type SessionTransitions = {
  /** The open workspace of the signed-in person, if any. */
  readonly workspace: () => OpenWorkspace | null;
  /** Resolves once the transitions queued so far have run. */
  readonly settled: () => Promise<void>;
  /** Brings the open workspace in line with the auth session (queued). */
  readonly reconcile: () => Promise<void>;
  /** Runs `work` after the transitions queued before it; its failure reaches the caller. */
  readonly serially: (work: () => Promise<void>) => Promise<void>;
  /** While true, no store opens: a wipe is erasing one. */
  readonly setErasing: (erasing: boolean) => void;
  /** Why the reader shows the sign-in screen; cleared by the next sign-in. */
  readonly setSignedOutReason: (reason: SignedOutReason) => void;
};

export type SessionController = SessionTransitions & {
  /** What the reader was last told; published only once the workspace matches it. */
  readonly session: () => SessionInfo;
  readonly syncStatus: () => SyncStatus;
  /** The signed-in person's briefings; null while nobody's may be opened; throws a store error. */
  readonly briefings: () => BriefingsService | null;
  /** The signed-in person's search; null while nobody's briefings may be opened. */
  readonly search: () => SearchService | null;
  /** The same person's annotations; there whenever `briefings` is. */
  readonly annotations: () => AnnotationsService | null;
  readonly syncNow: () => Promise<void>;
  /** Moves legacy store folders, follows the auth session and opens the signed-in person's store. */
  readonly open: () => Promise<void>;
  /** Starts background sync of the open workspace, and of any opened later. */
  readonly startSync: () => void;
  /** From now on no store opens; call before waiting for a wipe under way. */
  readonly halt: () => void;
  /** Stops following the auth session, stops it and closes the open workspace. */
  readonly close: () => Promise<void>;
};

export function createSessionController(options: SessionControllerOptions): SessionController {
  const { auth, events, logger } = options;
  let running = false;
  let stopped = false;
  /** While a wipe erases the store, nothing may open it again. */
  let erasing = false;
  let signedOutReason: SignedOutReason | null = null;
  let workspace: OpenWorkspace | null = null;
  /** Why the signed-in person's store did not open (shown to them in the sync status). */
  let workspaceError: Error | null = null;
  let unsubscribeSync: (() => void) | null = null;
  let offAuth: (() => void) | null = null;
  /** A started thread waiting for the next workspace to open (the first one only). */
  let spare: WorkspaceThreadLaunch | null = options.spareThread ?? null;
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
    // A spare that ended (a crash) is not used: a new thread starts instead.
    const launched = spare?.usable() ? spare : undefined;
    spare = null;
    try {
      const opened = await openWorkspaceThread(
        {
          dataDir: options.dataDir,
          brokerUrl: options.brokerUrl,
          userId,
          keychain: options.keychain,
          tokenProvider: auth.tokenProvider,
          logger,
          ...(options.sync ? { sync: options.sync } : {}),
          onBriefingsChanged: (ids) => events.emit('briefings:changed', { ids }),
          deviceHeaders: options.deviceHeaders,
          deviceId: options.deviceId,
          onWipeOrdered: (confirmation) => options.onWipeOrdered(userId, confirmation),
          onSearchChanged: (pending) => events.emit('search:changed', { pending }),
          ceiling: options.storeCeiling?.level ?? null,
        },
        launched,
      );
      workspace = opened;
      opened.onGone((error) => {
        if (workspace !== opened) return;
        logger.error('the workspace of the signed-in person stopped', errorFields(error));
        workspace = null;
        workspaceError = error;
        unsubscribeSync?.();
        unsubscribeSync = null;
        events.emit('sync:status-changed', syncStatus());
      });
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

  const serially = (work: () => Promise<void>): Promise<void> => {
    const run = transitions.then(work);
    transitions = run.catch(() => undefined);
    return run;
  };

  return {
    workspace: () => workspace,
    settled: () => transitions,
    reconcile,
    serially,
    setErasing: (value) => {
      erasing = value;
    },
    setSignedOutReason: (reason) => {
      signedOutReason = reason;
    },
    session: () => published,
    syncStatus,
    briefings: () => {
      if (workspace) return workspace.briefings;
      // A typed store error (StoreLockedError) reaches the reader with its code and advice.
      if (workspaceError) throw workspaceError;
      return null;
    },
    search: () => workspace?.search ?? null,
    annotations: () => workspace?.annotations ?? null,
    syncNow: () => workspace?.sync.syncNow() ?? Promise.resolve(),
    open: async () => {
      // The thread loads its modules while the legacy folders move and the sign-in is read.
      if (!stopped) spare ??= launchWorkspaceThread(logger);
      // Stores of earlier releases were named by the hex of the user id: renamed before any
      // opens. A keychain that cannot be reached now fails the store's own open later, with its
      // message.
      try {
        const moved = await moveLegacyStoreFolders({
          dataDir: options.dataDir,
          keychain: options.keychain,
          logger,
        });
        if (moved > 0) logger.info('moved local stores to keyed folder names', { moved });
      } catch (error) {
        logger.warn('could not move local stores to keyed folder names yet', errorFields(error));
      }
      offAuth = auth.onChange(() => void reconcile());
      await auth.start();
      await reconcile();
    },
    startSync: () => {
      running = true;
      workspace?.sync.start();
    },
    halt: () => {
      running = false;
      stopped = true;
    },
    close: async () => {
      stopped = true;
      offAuth?.();
      offAuth = null;
      await auth.stop();
      await reconcile();
      await closeWorkspace();
      const unused = spare;
      spare = null;
      await unused?.discard();
    },
  };
}
