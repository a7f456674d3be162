// Contracts of the sync capability: where the bearer token comes from, and what the rest of
// the device sees of replication (a status and two verbs).
import type { SyncStatus } from '../../shared/ipc.js';

/**
 * Source of the access token the broker requires. `null` means nobody is signed in (or the
 * session cannot be renewed): the reader must sign in; it is not an error. Throwing means the
 * token could not be obtained right now (for example the identity provider is unreachable).
 */
export type TokenProvider = {
  readonly getAccessToken: () => Promise<string | null>;
  /** Drops a cached token the broker has just refused, so the next call fetches a fresh one. */
  readonly invalidate?: () => void;
};

export type SyncService = {
  /** Starts live replication in the background; never waits for the network. */
  readonly start: () => void;
  readonly stop: () => Promise<void>;
  readonly status: () => SyncStatus;
  /** Retries at once instead of waiting out the back-off (the reader's "Sync now"). */
  readonly syncNow: () => Promise<void>;
  /**
   * Pushes the returns the server has not confirmed yet, waiting at most `timeoutMs` (less when
   * an attempt fails); resolves with how many are still unconfirmed.
   */
  readonly sendPending: (timeoutMs: number) => Promise<number>;
  readonly onStatus: (listener: (status: SyncStatus) => void) => () => void;
};
