// Live sync of one user's store through the auth broker: the device's own pull of /db/briefings
// into the local briefings database (pull.ts), PouchDB's push of the local returns database to
// /db/returns, and the live pull of /db/returns (what the person's other devices wrote), all over
// the broker transport (replications.ts). They retry network failures themselves (with our
// capped back-off); this service adds what they cannot do: a status for the reader, token
// renewal after a 401, restarts after fatal failures, and purging unshared briefings from disk,
// their annotations with them once sent.
import type { SyncStatus } from '../../shared/ipc.js';
import { backoffDelayMs } from '../../shared/backoff.js';
import { assertNever } from '../../shared/result.js';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { ReplicationHandle, UserStore } from '../storage/types.js';
import type { BrokerTransportOptions } from './broker-remote.pouch.js';
import { createBrokerTransport } from './broker-remote.pouch.js';
import type { PullTuning } from './pull.js';
import { createReplications } from './replications.js';
import { deriveStatus, sameStatus } from './status.js';
import type { SyncCore, SyncEffect, SyncEvent } from './sync-model.js';
import { INITIAL_CORE, createSyncDecisions } from './sync-model.js';
import type { BrokerTransport, SyncService, TokenProvider } from './types.js';

export type SyncServiceOptions = {
  readonly store: UserStore;
  /** Base URL of the auth broker, e.g. http://127.0.0.1:5080 */
  readonly brokerUrl: string;
  readonly tokenProvider: TokenProvider;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly backOff?: { readonly initialMs: number; readonly maxMs: number };
  /** While nobody is signed in, how often to ask the token provider again. */
  readonly signInRetryMs?: number;
  /** Purge unshared content at the latest this long after a deletion arrives, caught up or not. */
  readonly purgeFallbackMs?: number;
  /** Sent with every broker request: the device's id and label. */
  readonly deviceHeaders?: Readonly<Record<string, string>>;
  /**
   * The broker answered that an administrator ordered this device wiped, with the order's
   * one-time value for the confirmation. Called once; the sync stops asking the server anything
   * (every answer would be the same) and the caller erases.
   */
  readonly onWipeOrdered?: (confirmation: string | null) => void;
  /** How the pull sizes its requests (tests and the benchmark); defaults otherwise. */
  readonly pullTuning?: Partial<PullTuning>;
  /** The way to the broker; the real transport unless a test replaces it. */
  readonly createTransport?: (options: BrokerTransportOptions) => BrokerTransport;
  /**
   * Before an unshare is purged, how long the push may take to send that briefing's annotation
   * events (they leave the device only once the server has them).
   */
  readonly purgeSendTimeoutMs?: number;
};

/** lastSyncedAt advances with every successful long poll; this caps how often it is written. */
const PERSIST_THROTTLE_MS = 30_000;

export function createSyncService(options: SyncServiceOptions): SyncService {
  const { store, tokenProvider } = options;
  const logger = options.logger.child('sync');
  const now = options.now ?? (() => new Date());
  const { initialMs: baseDelayMs, maxMs: maxDelayMs } = options.backOff ?? {
    initialMs: 1_000,
    maxMs: 30_000,
  };
  const decide = createSyncDecisions({
    delayFor: (attempt) => backoffDelayMs(attempt, { baseDelayMs, maxDelayMs }),
    signInRetryMs: options.signInRetryMs ?? 30_000,
    purgeFallbackMs: options.purgeFallbackMs ?? 30_000,
  });
  const createTransport = options.createTransport ?? createBrokerTransport;

  let model: SyncCore = INITIAL_CORE;
  let published: SyncStatus = deriveStatus(model.status);
  const listeners = new Set<(status: SyncStatus) => void>();
  /** Internal: told of every model change (sendPending waits on the push through them). */
  const watchers = new Set<() => void>();

  // What the shell owns: timers, the replications under way, and the async work in progress.
  let handles: ReplicationHandle[] = [];
  let restartTimer: NodeJS.Timeout | null = null;
  let purgeTimer: NodeJS.Timeout | null = null;
  let purging: Promise<void> | null = null;
  let booted: Promise<void> | null = null;
  let unsubscribers: Array<() => void> = [];
  let lastPersistedAt = 0;

  const publish = (): void => {
    const next = deriveStatus(model.status);
    if (sameStatus(next, published)) return;
    published = next;
    for (const listener of listeners) {
      try {
        listener(next);
      } catch (error) {
        logger.error('status listener failed', errorFields(error));
      }
    }
  };

  /** Feeds one event to the decisions, then carries out what they say, in order. */
  const dispatch = (event: SyncEvent): void => {
    const decision = decide(model, event);
    model = decision.model;
    publish();
    for (const watcher of watchers) watcher();
    for (const effect of decision.effects) perform(effect);
  };

  const perform = (effect: SyncEffect): void => {
    switch (effect.type) {
      case 'schedule-restart':
        restartTimer = setTimeout(() => {
          restartTimer = null;
          dispatch({ type: 'restart-due' });
        }, effect.delayMs);
        return;
      case 'cancel-restart':
        if (restartTimer) clearTimeout(restartTimer);
        restartTimer = null;
        return;
      case 'reconnect':
        void reconnect();
        return;
      case 'cancel-replications':
        void cancelAll();
        return;
      case 'start-replications':
        startReplications(effect.generation);
        return;
      case 'invalidate-token':
        tokenProvider.invalidate?.();
        return;
      case 'persist':
        void persist(effect.force);
        return;
      case 'refresh-pending':
        void refreshPending();
        return;
      case 'purge':
        void purge();
        return;
      case 'schedule-purge-fallback':
        purgeTimer = setTimeout(() => {
          purgeTimer = null;
          dispatch({ type: 'purge-fallback-due' });
        }, effect.delayMs);
        return;
      case 'cancel-purge-fallback':
        if (purgeTimer) clearTimeout(purgeTimer);
        purgeTimer = null;
        return;
      case 'wipe-ordered':
        options.onWipeOrdered?.(effect.confirmation);
        return;
      case 'log':
        logger[effect.level](effect.message, effect.fields);
        return;
      default:
        assertNever(effect);
    }
  };

  const persist = async (force: boolean): Promise<void> => {
    const at = now().getTime();
    if (!force && at - lastPersistedAt < PERSIST_THROTTLE_MS) return;
    lastPersistedAt = at;
    try {
      await store.writeSyncState({
        lastSyncedAt: model.status.lastSyncedAt,
        pushedSeq: model.pushedSeq,
      });
    } catch (error) {
      logger.warn('could not persist sync state', errorFields(error));
    }
  };

  // Serialised so that a slow count cannot overwrite a newer one.
  let pendingCount: Promise<void> = Promise.resolve();
  const refreshPending = (): Promise<void> => {
    pendingCount = pendingCount.then(async () => {
      try {
        dispatch({
          type: 'pending-counted',
          count: await store.countReturnsSince(model.pushedSeq),
        });
      } catch (error) {
        logger.warn('could not count pending uploads', errorFields(error));
      }
    });
    return pendingCount;
  };

  const replications = createReplications({
    store,
    brokerUrl: options.brokerUrl,
    tokenProvider,
    logger,
    now,
    ...(options.deviceHeaders ? { deviceHeaders: options.deviceHeaders } : {}),
    ...(options.pullTuning ? { pullTuning: options.pullTuning } : {}),
    createTransport,
    returnsBackOff: (previousMs) => Math.min(Math.max(previousMs * 2, baseDelayMs), maxDelayMs),
    dispatch: (event) => dispatch(event),
    model: () => model,
  });

  // Annotation events of a withdrawn briefing that were still unsent at its purge stayed; each
  // push checkpoint may have sent them, so the purge runs again for them.
  let withdrawnUnsent = false;
  const startReplications = (generation: number): void => {
    handles = replications.start(generation, (event) => {
      if (event.kind === 'checkpoint' && withdrawnUnsent) dispatch({ type: 'briefings-deleted' });
    });
  };

  const cancelAll = async (): Promise<void> => {
    const current = handles;
    handles = [];
    await Promise.all(current.map((handle) => handle.cancel()));
  };

  const connect = async (): Promise<void> => {
    dispatch({ type: 'connecting' });
    const { generation } = model;
    // Ask for a token before starting: with nobody signed in, replication would only fail.
    let token: string | null;
    try {
      token = await tokenProvider.getAccessToken();
    } catch (error) {
      dispatch({ type: 'token-unavailable', generation, error });
      return;
    }
    dispatch({ type: 'token-answered', generation, signedIn: token !== null });
  };

  const reconnect = async (): Promise<void> => {
    dispatch({ type: 'reconnecting' });
    await cancelAll();
    if (model.running) await connect();
  };

  /**
   * Waits until the server has confirmed every return written here, a fresh push attempt failed
   * (offline, refused), or `timeoutMs` passed; `kick` reconnects first rather than wait for the
   * push's own back-off.
   */
  const waitForPush = async (timeoutMs: number, kick: boolean): Promise<void> => {
    await refreshPending();
    if (model.status.pendingUploads === 0) return;
    const failedBefore = model.failures.push;
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        watchers.delete(check);
        resolve();
      };
      const check = (): void => {
        if (
          model.status.pendingUploads === 0 ||
          model.failures.push > failedBefore ||
          model.status.signInNeeded ||
          !model.running
        )
          finish();
      };
      const timer = setTimeout(finish, timeoutMs);
      watchers.add(check);
      if (kick) dispatch({ type: 'sync-wanted', resetRefusals: false });
      check();
    });
    await refreshPending();
  };

  const purge = (): Promise<void> => {
    if (purging) return purging;
    purging = (async () => {
      // An unshared briefing's annotations hold its text (quotes): they leave the device with it,
      // but only once the server has them (the SOR keeps them). The push is live: give it a
      // moment to send what is pending before the replications stop.
      await waitForPush(options.purgeSendTimeoutMs ?? 10_000, false);
      dispatch({ type: 'purge-begun' });
      await cancelAll();
      try {
        const { unsent } = await store.removeWithdrawnAnnotations(model.pushedSeq);
        withdrawnUnsent = unsent > 0;
        if (withdrawnUnsent)
          logger.info('annotations of withdrawn briefings stay until the server has them', {
            unsent,
          });
        await store.purgeDeleted();
      } catch (error) {
        logger.error(
          'purging unshared briefings failed; retried on the next unshare or restart',
          errorFields(error),
        );
      }
      if (model.running) await connect();
    })().finally(() => {
      purging = null;
      dispatch({ type: 'purge-ended' });
    });
    return purging;
  };

  const boot = async (): Promise<void> => {
    try {
      const persisted = await store.readSyncState();
      dispatch({
        type: 'persisted-state-read',
        lastSyncedAt: persisted.lastSyncedAt,
        pushedSeq: persisted.pushedSeq,
      });
    } catch (error) {
      logger.warn('could not read persisted sync state', errorFields(error));
    }
    unsubscribers = [
      store.onReturnsChange(() => void refreshPending()),
      store.onBriefingsChange((changes) => {
        if (changes.some((change) => change.deleted)) dispatch({ type: 'briefings-deleted' });
      }),
    ];
    await refreshPending();
    if (model.running) await connect();
  };

  return {
    start: () => {
      if (model.running) return;
      dispatch({ type: 'started' });
      booted = boot().catch((error: unknown) =>
        logger.error('sync failed to start', errorFields(error)),
      );
    },

    stop: async () => {
      if (!model.running) return;
      dispatch({ type: 'stopping' });
      await booted;
      await purging;
      await cancelAll();
      for (const unsubscribe of unsubscribers) unsubscribe();
      unsubscribers = [];
      await pendingCount;
      await persist(true);
      dispatch({ type: 'stopped' });
    },

    status: () => published,

    syncNow: async () => {
      if (!model.running) return;
      await booted;
      // Reconnecting waits on the network (token request); the caller only needs it started.
      dispatch({ type: 'sync-wanted', resetRefusals: true });
    },

    sendPending: async (timeoutMs) => {
      if (!model.running) {
        // Not syncing (never started, or stopped): what the persisted watermark says.
        return store.countReturnsSince((await store.readSyncState()).pushedSeq);
      }
      await booted;
      // Done when the server confirmed everything, or a fresh attempt failed (offline,
      // refused): waiting longer would only keep the person at the door.
      await waitForPush(timeoutMs, true);
      return model.status.pendingUploads;
    },

    onStatus: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
