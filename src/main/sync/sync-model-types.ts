// The sync model's vocabulary: its state (SyncCore), the events the shell feeds it, the
// effects it asks for, and its policy. The decisions themselves are in sync-model.ts.
import type { ReplicationEvent } from '../storage/types.js';
import type { Failure, SyncModel } from './status.js';
import { INITIAL_MODEL } from './status.js';
import type { RequestOutcome } from './types.js';

export type Direction = 'pull' | 'push';

/** Where the device's own pull stands: a first sync goes newest-first, fill, final pass, live. */
export type PullPhase = 'not-started' | 'newest-first' | 'fill' | 'final-pass' | 'live';

export type PerDirection<T> = { readonly pull: T; readonly push: T };

export type SyncCore = {
  readonly running: boolean;
  /** Bumped on every (re)connect, purge and stop; events from an older generation are stale. */
  readonly generation: number;
  /** What the reader is shown (deriveStatus turns it into the status). */
  readonly status: SyncModel;
  readonly pullPhase: PullPhase;
  /** Failed attempts per direction, so a wait can tell a fresh failure from an old one. */
  readonly failures: PerDirection<number>;
  /** What the last request of each direction said; explains an error without a status. */
  readonly lastFailure: PerDirection<Failure | null>;
  /**
   * Each direction's failed attempts in a row, and the delay decided for the latest. PouchDB
   * resets its own back-off whenever a replication turns 'active', which a push with pending
   * local returns does on every retry even while offline; so the count is kept here, reset only
   * when the server actually answers.
   */
  readonly retryAttempts: PerDirection<number>;
  readonly retryDelay: PerDirection<number>;
  /**
   * A 429 (the broker's request rate, or its limit on returns per hour) asks for a pause: the
   * back-off then keeps growing through the answers that precede the refused write in each
   * retry, until a batch gets through. It is back-pressure, never shown as an error by itself.
   */
  readonly throttled: PerDirection<boolean>;
  /** Restarts of both directions in a row (after a fatal stop or no token), for their back-off. */
  readonly restartAttempts: number;
  readonly restartScheduled: boolean;
  /** Connection attempts in a row that the broker refused with 401 (one per generation). */
  readonly refusedAttempts: number;
  readonly refusedGeneration: number;
  readonly pushedSeq: string | number;
  readonly purgeWanted: boolean;
  readonly purgeFallbackScheduled: boolean;
  readonly purging: boolean;
  readonly wipeOrdered: boolean;
};

export const INITIAL_CORE: SyncCore = {
  running: false,
  generation: 0,
  status: INITIAL_MODEL,
  pullPhase: 'not-started',
  failures: { pull: 0, push: 0 },
  lastFailure: { pull: null, push: null },
  retryAttempts: { pull: 0, push: 0 },
  retryDelay: { pull: 0, push: 0 },
  throttled: { pull: false, push: false },
  restartAttempts: 0,
  restartScheduled: false,
  refusedAttempts: 0,
  refusedGeneration: -1,
  pushedSeq: 0,
  purgeWanted: false,
  purgeFallbackScheduled: false,
  purging: false,
  wipeOrdered: false,
};

/** The token provider said nobody is signed in; the request was not even sent. */
export class SignInNeededError extends Error {
  override readonly name = 'SignInNeededError';
}

export type SyncEvent =
  | { readonly type: 'started' }
  | { readonly type: 'stopping' }
  | { readonly type: 'stopped' }
  | {
      readonly type: 'persisted-state-read';
      readonly lastSyncedAt: string | null;
      readonly pushedSeq: string | number;
    }
  | { readonly type: 'pending-counted'; readonly count: number }
  /** A (re)connect begins: a new generation; the shell asks for a token next. */
  | { readonly type: 'connecting' }
  | { readonly type: 'token-unavailable'; readonly generation: number; readonly error: unknown }
  | { readonly type: 'token-answered'; readonly generation: number; readonly signedIn: boolean }
  /** A request of a replication could not get its Authorization header. */
  | {
      readonly type: 'authorize-failed';
      readonly direction: Direction;
      readonly generation: number;
      readonly failure: 'offline' | 'sign-in-needed';
    }
  | {
      readonly type: 'request';
      readonly direction: Direction;
      readonly generation: number;
      readonly outcome: RequestOutcome;
      readonly at: Date;
    }
  | {
      readonly type: 'replication';
      readonly direction: Direction;
      readonly generation: number;
      readonly event: ReplicationEvent;
      readonly at: Date;
    }
  | { readonly type: 'pull-phase'; readonly generation: number; readonly phase: PullPhase }
  /** A replication failed and asks how long to wait before its own retry. */
  | { readonly type: 'retry-wanted'; readonly direction: Direction }
  | { readonly type: 'restart-due' }
  /** The shell is about to cancel the replications and connect again. */
  | { readonly type: 'reconnecting' }
  /** The person (or sendPending) asks for a sync now. */
  | { readonly type: 'sync-wanted'; readonly resetRefusals: boolean }
  | { readonly type: 'briefings-deleted' }
  | { readonly type: 'purge-fallback-due' }
  | { readonly type: 'purge-begun' }
  | { readonly type: 'purge-ended' };

export type SyncEffect =
  | { readonly type: 'schedule-restart'; readonly delayMs: number }
  | { readonly type: 'cancel-restart' }
  | { readonly type: 'reconnect' }
  | { readonly type: 'cancel-replications' }
  | { readonly type: 'start-replications'; readonly generation: number }
  | { readonly type: 'invalidate-token' }
  | { readonly type: 'persist'; readonly force: boolean }
  | { readonly type: 'refresh-pending' }
  | { readonly type: 'purge' }
  | { readonly type: 'schedule-purge-fallback'; readonly delayMs: number }
  | { readonly type: 'cancel-purge-fallback' }
  | { readonly type: 'wipe-ordered'; readonly confirmation: string | null }
  | {
      readonly type: 'log';
      readonly level: 'debug' | 'info' | 'warn';
      readonly message: string;
      readonly fields: Readonly<Record<string, unknown>>;
    };

export type Decision = { readonly model: SyncCore; readonly effects: readonly SyncEffect[] };

export type SyncPolicy = {
  /** Delay before retry number `attempt` (1 = first): the shared capped back-off. */
  readonly delayFor: (attempt: number) => number;
  readonly signInRetryMs: number;
  readonly purgeFallbackMs: number;
};
