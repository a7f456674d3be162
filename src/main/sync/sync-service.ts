// Live sync of one user's store through the auth broker: the device's own pull of /db/briefings
// into the local briefings database (pull.ts), PouchDB's push of the local returns database to
// /db/returns, both over the broker transport (broker-remote.pouch.ts). Both retry network
// failures themselves (with our capped back-off); this service adds what they cannot do: a
// status for the reader, token renewal after a 401, restarts after fatal failures, and purging
// unshared briefings from disk.
import type { SyncStatus } from '../../shared/ipc.js';
import { backoffDelayMs } from '../../shared/backoff.js';
import { assertNever } from '../../shared/result.js';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { ReplicationEvent, ReplicationHandle, UserStore } from '../storage/types.js';
import type { BrokerTransportOptions } from './broker-remote.pouch.js';
import { createBrokerTransport } from './broker-remote.pouch.js';
import type { PullTuning } from './pull.js';
import { startPull } from './pull.js';
import { deriveStatus, sameStatus } from './status.js';
import type { Direction, SyncCore, SyncEffect, SyncEvent } from './sync-model.js';
import { INITIAL_CORE, SignInNeededError, createSyncDecisions } from './sync-model.js';
import type { BrokerTransport, RequestOutcome, SyncService, TokenProvider } from './types.js';

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
  let restoring: Promise<void> | null = null;
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
      case 'restore-returns':
        restoreReturns(effect.generation);
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
        returnsRestored: model.returnsRestored,
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

  const authorize = async (direction: Direction, generation: number): Promise<string> => {
    let token: string | null;
    try {
      token = await tokenProvider.getAccessToken();
    } catch (error) {
      dispatch({ type: 'authorize-failed', direction, generation, failure: 'offline' });
      throw error;
    }
    if (token === null) {
      dispatch({ type: 'authorize-failed', direction, generation, failure: 'sign-in-needed' });
      throw new SignInNeededError('No signed-in user');
    }
    return `Bearer ${token}`;
  };

  const transportFor = (
    direction: Direction,
    generation: number,
    onOutcome: (outcome: RequestOutcome) => void = (outcome) =>
      dispatch({ type: 'request', direction, generation, outcome, at: now() }),
  ): BrokerTransport =>
    createTransport({
      brokerUrl: options.brokerUrl,
      authorization: () => authorize(direction, generation),
      onRequest: onOutcome,
      ...(options.deviceHeaders ? { headers: options.deviceHeaders } : {}),
    });

  const startReplications = (generation: number): void => {
    const onEvent = (direction: Direction) => (event: ReplicationEvent) =>
      dispatch({ type: 'replication', direction, generation, event, at: now() });
    // The replications ask for their next delay; the model keeps it per direction.
    const backOff = (direction: Direction) => (): number => {
      dispatch({ type: 'retry-wanted', direction });
      return model.retryDelay[direction];
    };
    handles = [
      startPull({
        transport: transportFor('pull', generation),
        target: store.pullTarget,
        logger,
        onEvent: onEvent('pull'),
        onPhase: (phase) => dispatch({ type: 'pull-phase', generation, phase }),
        backOff: backOff('pull'),
        ...(options.pullTuning ? { tuning: options.pullTuning } : {}),
      }),
      store.pushReturns({
        remote: transportFor('push', generation).remoteDatabase('returns'),
        onEvent: onEvent('push'),
        backOff: backOff('push'),
      }),
    ];
  };

  // Once per store: a new store (first sign-in here, or after a sign-out erased the last one)
  // gets the read receipts and notes the server already holds. Retried at the next connection
  // until it succeeds; alongside the live replications, so briefings do not wait for it.
  const restoreReturns = (generation: number): void => {
    if (restoring) return;
    restoring = (async () => {
      try {
        const written = await store.restoreReturns(
          // Only an order counts here: this one-shot copy says nothing about the live sync.
          transportFor('push', generation, (outcome) => {
            if (outcome.kind === 'wipe-ordered')
              dispatch({ type: 'request', direction: 'push', generation, outcome, at: now() });
          }).remoteDatabase('returns'),
        );
        dispatch({ type: 'returns-restored' });
        await persist(true);
        if (written > 0)
          logger.info('restored read receipts and notes from the server', { written });
      } catch (error) {
        logger.info('could not restore returns from the server yet', errorFields(error));
      }
    })().finally(() => {
      restoring = null;
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

  const purge = (): Promise<void> => {
    if (purging) return purging;
    purging = (async () => {
      dispatch({ type: 'purge-begun' });
      await cancelAll();
      try {
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
        returnsRestored: persisted.returnsRestored === true,
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
      await restoring;
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
      await refreshPending();
      if (model.status.pendingUploads === 0) return 0;
      const failedBefore = model.failures.push;
      await new Promise<void>((resolve) => {
        const finish = (): void => {
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        };
        // Done when the server confirmed everything, or a fresh attempt failed (offline,
        // refused): waiting longer would only keep the person at the door.
        const check = (): void => {
          if (
            model.status.pendingUploads === 0 ||
            model.failures.push > failedBefore ||
            model.status.signInNeeded
          )
            finish();
        };
        const timer = setTimeout(finish, timeoutMs);
        watchers.add(check);
        dispatch({ type: 'sync-wanted', resetRefusals: false });
        check();
      });
      await refreshPending();
      return model.status.pendingUploads;
    },

    onStatus: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
