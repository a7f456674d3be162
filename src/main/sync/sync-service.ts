// Live sync of one user's store through the auth broker: the device's own pull of /db/briefings
// into the local briefings database (pull.ts), PouchDB's push of the local returns database to
// /db/returns, both over the broker transport (broker-remote.pouch.ts). Both retry network
// failures themselves (with our capped back-off); this service adds what they cannot do: a
// status for the reader, token renewal after a 401, restarts after fatal failures, and purging
// unshared briefings from disk.
import type { SyncStatus } from '../../shared/ipc.js';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { ReplicationEvent, ReplicationHandle, UserStore } from '../storage/types.js';
import type { BrokerTransportOptions } from './broker-remote.pouch.js';
import { createBrokerTransport } from './broker-remote.pouch.js';
import type { PullTuning } from './pull.js';
import { startPull } from './pull.js';
import type { DirectionState, Failure, SyncModel } from './status.js';
import {
  INITIAL_MODEL,
  IDLE,
  createBackOff,
  deriveStatus,
  failureForStatus,
  failureMessage,
  sameStatus,
} from './status.js';
import type { BrokerTransport, RequestOutcome, SyncService, TokenProvider } from './types.js';

type ReplicationDirection = 'pull' | 'push';

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

class SignInNeededError extends Error {
  override readonly name = 'SignInNeededError';
}

/** lastSyncedAt advances with every successful long poll; this caps how often it is written. */
const PERSIST_THROTTLE_MS = 30_000;

function statusOf(error: unknown): number | null {
  const status =
    typeof error === 'object' && error !== null
      ? (error as { status?: unknown }).status
      : undefined;
  return typeof status === 'number' ? status : null;
}

function seqNumber(seq: string | number): number | null {
  const n = typeof seq === 'number' ? seq : Number.parseInt(seq, 10);
  return Number.isFinite(n) ? n : null;
}

export function createSyncService(options: SyncServiceOptions): SyncService {
  const { store, tokenProvider } = options;
  const logger = options.logger.child('sync');
  const now = options.now ?? (() => new Date());
  const nextDelay = createBackOff(options.backOff ?? { initialMs: 1_000, maxMs: 30_000 });
  const signInRetryMs = options.signInRetryMs ?? 30_000;
  const purgeFallbackMs = options.purgeFallbackMs ?? 30_000;
  const createTransport = options.createTransport ?? createBrokerTransport;
  const transportFor = (
    direction: ReplicationDirection,
    gen: number,
    onOutcome: (outcome: RequestOutcome) => void = (outcome) => onRequest(direction, gen, outcome),
  ): BrokerTransport =>
    createTransport({
      brokerUrl: options.brokerUrl,
      authorization: () => authorize(direction, gen),
      onRequest: onOutcome,
      ...(options.deviceHeaders ? { headers: options.deviceHeaders } : {}),
    });

  let model: SyncModel = INITIAL_MODEL;
  let published: SyncStatus = deriveStatus(model);
  const listeners = new Set<(status: SyncStatus) => void>();
  /** Internal: told of every model change (sendPending waits on the push through them). */
  const watchers = new Set<() => void>();
  /** Failed attempts per direction, so a wait can tell a fresh failure from an old one. */
  const failures: Record<ReplicationDirection, number> = { pull: 0, push: 0 };

  let running = false;
  /** Bumped on every (re)connect and stop; events from an older generation are stale. */
  let generation = 0;
  let handles: ReplicationHandle[] = [];
  let restartTimer: NodeJS.Timeout | null = null;
  let restartDelay = 0;
  /** Connection attempts in a row that the broker refused with 401 (one per generation). */
  let refusedAttempts = 0;
  let refusedGeneration = -1;
  const lastFailure: Record<ReplicationDirection, Failure | null> = { pull: null, push: null };
  // PouchDB resets its back-off whenever a replication turns 'active', which a push with
  // pending local returns does on every retry even while offline; so each direction keeps its
  // own delay, reset only when the server actually answers.
  const retryDelay: Record<ReplicationDirection, number> = { pull: 0, push: 0 };
  // A 429 (the broker's request rate, or its limit on returns per hour) asks for a pause: the
  // back-off then keeps growing through the answers that precede the refused write in each
  // retry, until a batch gets through.
  const throttled: Record<ReplicationDirection, boolean> = { pull: false, push: false };
  let pushedSeq: string | number = 0;
  let returnsRestored = false;
  let restoring: Promise<void> | null = null;
  let lastPersistedAt = 0;
  let unsubscribers: Array<() => void> = [];
  let purgeWanted = false;
  let purgeTimer: NodeJS.Timeout | null = null;
  let purging: Promise<void> | null = null;
  let booted: Promise<void> | null = null;
  let wipeOrdered = false;

  const publish = (): void => {
    const next = deriveStatus(model);
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
  const setModel = (patch: Partial<SyncModel>): void => {
    model = { ...model, ...patch };
    publish();
    for (const watcher of watchers) watcher();
  };
  const setDirection = (direction: ReplicationDirection, state: DirectionState): void => {
    setModel(direction === 'pull' ? { pull: state } : { push: state });
  };
  const fail = (direction: ReplicationDirection, failure: Failure, message?: string): void => {
    failures[direction] += 1;
    setDirection(direction, {
      phase: 'failing',
      failure,
      message: message ?? failureMessage(failure),
    });
  };

  const persist = async (force: boolean): Promise<void> => {
    const at = now().getTime();
    if (!force && at - lastPersistedAt < PERSIST_THROTTLE_MS) return;
    lastPersistedAt = at;
    try {
      await store.writeSyncState({ lastSyncedAt: model.lastSyncedAt, pushedSeq, returnsRestored });
    } catch (error) {
      logger.warn('could not persist sync state', errorFields(error));
    }
  };

  const touchLastSynced = (force: boolean): void => {
    setModel({ lastSyncedAt: now().toISOString() });
    void persist(force);
  };

  // Serialised so that a slow count cannot overwrite a newer one.
  let pendingCount: Promise<void> = Promise.resolve();
  const refreshPending = (): Promise<void> => {
    pendingCount = pendingCount.then(async () => {
      try {
        setModel({ pendingUploads: await store.countReturnsSince(pushedSeq) });
      } catch (error) {
        logger.warn('could not count pending uploads', errorFields(error));
      }
    });
    return pendingCount;
  };

  const advancePushed = (seq: string | number): void => {
    const next = seqNumber(seq);
    const current = seqNumber(pushedSeq);
    if (next !== null && current !== null && next <= current) return;
    pushedSeq = seq;
    void persist(true);
    void refreshPending();
  };

  const authorize = async (direction: ReplicationDirection, gen: number): Promise<string> => {
    let token: string | null;
    try {
      token = await tokenProvider.getAccessToken();
    } catch (error) {
      if (gen === generation) lastFailure[direction] = 'offline';
      throw error;
    }
    if (token === null) {
      if (gen === generation) {
        lastFailure[direction] = 'sign-in-needed';
        setModel({ signInNeeded: true });
      }
      throw new SignInNeededError('No signed-in user');
    }
    return `Bearer ${token}`;
  };

  const onRequest = (
    direction: ReplicationDirection,
    gen: number,
    outcome: RequestOutcome,
  ): void => {
    if (outcome.kind === 'wipe-ordered') {
      if (wipeOrdered) return;
      wipeOrdered = true;
      logger.warn('the server ordered this device wiped');
      running = false;
      generation += 1;
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = null;
      void cancelAll();
      options.onWipeOrdered?.(outcome.confirmation);
      return;
    }
    if (gen !== generation || !running) return;
    if (outcome.kind === 'network-error') {
      lastFailure[direction] = 'offline';
      // Do not wait for PouchDB's back-off to say so: a dropped long poll means offline now.
      fail(direction, 'offline');
      return;
    }
    if (outcome.status === 429) throttled[direction] = true;
    else if (outcome.status < 500 && !throttled[direction]) retryDelay[direction] = 0;
    if (outcome.status < 300 && model[direction].phase === 'failing') {
      // The server answers again; PouchDB is resuming this direction.
      setDirection(direction, { phase: 'active', failure: null, message: null });
    }
    const failure = failureForStatus(outcome.status);
    if (outcome.status === 401) {
      if (refusedGeneration !== gen) {
        refusedGeneration = gen;
        refusedAttempts += 1;
        tokenProvider.invalidate?.();
      }
    } else if (failure === null) {
      refusedAttempts = 0;
    }
    lastFailure[direction] = failure;
    if (failure === null && direction === 'pull' && model.pull.phase === 'caught-up') {
      // A long poll that comes back empty proves the device still holds everything.
      touchLastSynced(false);
    }
  };

  const classify = (direction: ReplicationDirection, error: unknown): Failure => {
    if (error instanceof SignInNeededError) return 'sign-in-needed';
    const status = statusOf(error);
    if (status !== null) {
      const byStatus = failureForStatus(status);
      if (byStatus !== null) return byStatus;
    }
    return lastFailure[direction] ?? 'offline';
  };

  const onEvent = (direction: ReplicationDirection, gen: number, event: ReplicationEvent): void => {
    if (gen !== generation || !running) return;
    switch (event.kind) {
      case 'active':
        // A retry while offline also starts 'active' (the push finds its pending local
        // returns before it reaches the network); only a real answer ends 'failing'.
        if (model[direction].phase !== 'failing')
          setDirection(direction, { phase: 'active', failure: null, message: null });
        return;
      case 'paused':
        if (event.error) {
          const failure = classify(direction, event.error);
          // Retries while offline repeat this every back-off period; log the transition only.
          const level = model[direction].phase === 'failing' ? 'debug' : 'info';
          logger[level]('replication paused on failure', {
            direction,
            failure,
            ...errorFields(event.error),
          });
          fail(direction, failure);
          return;
        }
        restartDelay = 0;
        retryDelay[direction] = 0;
        throttled[direction] = false;
        if (direction === 'pull') {
          setModel({
            pull: { phase: 'caught-up', failure: null, message: null },
            signInNeeded: false,
            lastSyncedAt: now().toISOString(),
          });
          void persist(true);
          if (purgeWanted) void purge();
        } else {
          setModel({
            push: { phase: 'caught-up', failure: null, message: null },
            signInNeeded: false,
          });
          // What was pushed is known from the checkpoints alone. (Reading the returns update
          // sequence here would race with a write just after the pause, and count it as sent:
          // PouchDB pauses a push with nothing to send without asking the server anything.)
        }
        return;
      case 'change':
        throttled[direction] = false;
        logger.debug('replicated', { direction, docsWritten: event.docsWritten });
        return;
      case 'checkpoint':
        if (direction === 'push') advancePushed(event.seq);
        return;
      case 'denied':
        // The server refused one document (its validation). It stays local and pending.
        logger.warn('server refused a document', { direction, ...errorFields(event.error) });
        return;
      case 'stopped':
        onStopped(direction, gen, event.error);
        return;
    }
  };

  const onStopped = (direction: ReplicationDirection, gen: number, error: unknown): void => {
    // PouchDB gives up on 401/403 even with retry: true; anything else ending a live
    // replication we did not cancel is unexpected. Either way, restart after a back-off.
    const failure = error ? classify(direction, error) : 'error';
    logger.warn('replication stopped', {
      direction,
      failure,
      ...(error ? errorFields(error) : {}),
    });
    if (statusOf(error) === 401 && refusedGeneration === gen && refusedAttempts <= 1) {
      // First refused attempt: most likely an expired token. Retry at once with a fresh one;
      // only a fresh token refused too means the reader must sign in again.
      scheduleRestart(0);
      return;
    }
    fail(direction, failure);
    scheduleRestart();
  };

  // Once per store: a new store (first sign-in here, or after a sign-out erased the last one)
  // gets the read receipts and notes the server already holds. Retried at the next connection
  // until it succeeds; alongside the live replications, so briefings do not wait for it.
  const restoreReturns = (gen: number): void => {
    if (returnsRestored || restoring) return;
    restoring = (async () => {
      try {
        const written = await store.restoreReturns(
          // Only an order counts here: this one-shot copy says nothing about the live sync.
          transportFor('push', gen, (outcome) => {
            if (outcome.kind === 'wipe-ordered') onRequest('push', gen, outcome);
          }).remoteDatabase('returns'),
        );
        returnsRestored = true;
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

  const scheduleRestart = (delayMs?: number): void => {
    if (!running || restartTimer) return;
    const delay = delayMs ?? (restartDelay = nextDelay(restartDelay));
    restartTimer = setTimeout(() => {
      restartTimer = null;
      void reconnect();
    }, delay);
  };

  const connect = async (): Promise<void> => {
    const gen = ++generation;
    lastFailure.pull = null;
    lastFailure.push = null;
    // A direction that is failing stays so until the server answers: reconnecting while
    // offline must not make the status flicker.
    const connecting = (state: DirectionState): DirectionState =>
      state.phase === 'failing' ? state : { ...IDLE, phase: 'connecting' };
    setModel({ pull: connecting(model.pull), push: connecting(model.push) });

    // Ask for a token before starting: with nobody signed in, replication would only fail.
    let token: string | null;
    try {
      token = await tokenProvider.getAccessToken();
    } catch (error) {
      if (gen !== generation) return;
      const level = model.pull.phase === 'failing' ? 'debug' : 'info';
      logger[level]('no access token: server unreachable', errorFields(error));
      fail('pull', 'offline');
      fail('push', 'offline');
      scheduleRestart();
      return;
    }
    if (gen !== generation || !running) return;
    if (token === null) {
      setModel({ signInNeeded: true, pull: IDLE, push: IDLE });
      scheduleRestart(signInRetryMs);
      return;
    }
    setModel({ signInNeeded: false });

    restoreReturns(gen);
    const backOff = (direction: ReplicationDirection) => () =>
      (retryDelay[direction] = nextDelay(retryDelay[direction]));
    handles = [
      startPull({
        transport: transportFor('pull', gen),
        target: store.pullTarget,
        logger,
        onEvent: (event) => onEvent('pull', gen, event),
        backOff: backOff('pull'),
        ...(options.pullTuning ? { tuning: options.pullTuning } : {}),
      }),
      store.pushReturns({
        remote: transportFor('push', gen).remoteDatabase('returns'),
        onEvent: (event) => onEvent('push', gen, event),
        backOff: backOff('push'),
      }),
    ];
  };

  const reconnect = async (): Promise<void> => {
    if (restartTimer) clearTimeout(restartTimer);
    restartTimer = null;
    generation += 1;
    await cancelAll();
    if (running) await connect();
  };

  const purge = (): Promise<void> => {
    if (purging) return purging;
    purgeWanted = false;
    if (purgeTimer) clearTimeout(purgeTimer);
    purgeTimer = null;
    purging = (async () => {
      // The store swaps its briefings database during the purge; no replication may write to it.
      generation += 1;
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = null;
      await cancelAll();
      try {
        await store.purgeDeleted();
      } catch (error) {
        logger.error(
          'purging unshared briefings failed; retried on the next unshare or restart',
          errorFields(error),
        );
      }
      if (running) await connect();
    })().finally(() => {
      purging = null;
    });
    return purging;
  };

  const boot = async (): Promise<void> => {
    try {
      const persisted = await store.readSyncState();
      pushedSeq = persisted.pushedSeq;
      returnsRestored = persisted.returnsRestored === true;
      setModel({ lastSyncedAt: persisted.lastSyncedAt });
    } catch (error) {
      logger.warn('could not read persisted sync state', errorFields(error));
    }
    unsubscribers = [
      store.onReturnsChange(() => void refreshPending()),
      store.onBriefingsChange((changes) => {
        if (!changes.some((change) => change.deleted)) return;
        // Purge once the pull has caught up (one purge for a burst of unshares), or after the
        // fallback delay if it does not catch up soon (content must not linger while offline).
        purgeWanted = true;
        if (model.pull.phase === 'caught-up') {
          void purge();
          return;
        }
        purgeTimer ??= setTimeout(() => {
          purgeTimer = null;
          if (purgeWanted && running) void purge();
        }, purgeFallbackMs);
      }),
    ];
    await refreshPending();
    if (running) await connect();
  };

  return {
    start: () => {
      if (running) return;
      running = true;
      booted = boot().catch((error: unknown) =>
        logger.error('sync failed to start', errorFields(error)),
      );
    },

    stop: async () => {
      if (!running) return;
      running = false;
      generation += 1;
      if (restartTimer) clearTimeout(restartTimer);
      if (purgeTimer) clearTimeout(purgeTimer);
      restartTimer = null;
      purgeTimer = null;
      await booted;
      await purging;
      await restoring;
      await cancelAll();
      for (const unsubscribe of unsubscribers) unsubscribe();
      unsubscribers = [];
      await pendingCount;
      await persist(true);
      setModel({ pull: IDLE, push: IDLE });
    },

    status: () => published,

    syncNow: async () => {
      if (!running) return;
      await booted;
      restartDelay = 0;
      refusedAttempts = 0;
      if (purging) return;
      // Reconnecting waits on the network (token request); the caller only needs it started.
      void reconnect();
    },

    sendPending: async (timeoutMs) => {
      if (!running) {
        // Not syncing (never started, or stopped): what the persisted watermark says.
        return store.countReturnsSince((await store.readSyncState()).pushedSeq);
      }
      await booted;
      await refreshPending();
      if (model.pendingUploads === 0) return 0;
      const failedBefore = failures.push;
      await new Promise<void>((resolve) => {
        const finish = (): void => {
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        };
        // Done when the server confirmed everything, or a fresh attempt failed (offline,
        // refused): waiting longer would only keep the person at the door.
        const check = (): void => {
          if (model.pendingUploads === 0 || failures.push > failedBefore || model.signInNeeded)
            finish();
        };
        const timer = setTimeout(finish, timeoutMs);
        watchers.add(check);
        if (!purging) {
          restartDelay = 0;
          void reconnect();
        }
        check();
      });
      await refreshPending();
      return model.pendingUploads;
    },

    onStatus: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
