// Contracts of the sync capability: where the bearer token comes from, and what the rest of
// the device sees of replication (a status and two verbs).
import type { SyncStatus } from '../../shared/ipc.js';
import type { RemoteDatabase } from '../storage/types.js';

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

/** The person's two databases, as the broker names them. */
export type BrokerDatabase = 'briefings' | 'returns';

/** What happened to one request to the broker, as the sync status needs to know it. */
export type RequestOutcome =
  | { readonly kind: 'response'; readonly status: number }
  | { readonly kind: 'network-error'; readonly error: unknown }
  /**
   * The broker refused the request because an administrator ordered this device wiped; it sent
   * the order's one-time value, which the device returns when it confirms (null if none came).
   */
  | { readonly kind: 'wipe-ordered'; readonly confirmation: string | null };

export type BrokerRequest = {
  readonly method?: 'GET' | 'POST';
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly signal?: AbortSignal;
};

/**
 * The device's only way to the server: every request carries a fresh token and the device's
 * headers, a wipe order is recognised wherever it comes, and a 429 is waited out (its
 * Retry-After) and sent again rather than reported: the broker's limit is back-pressure.
 */
export type BrokerTransport = {
  /** One request to a database: `pathAndQuery` is relative to it ('' for the database itself). */
  readonly request: (
    database: BrokerDatabase,
    pathAndQuery: string,
    init?: BrokerRequest,
  ) => Promise<Response>;
  /** A database handle for the replications PouchDB still runs (the push). */
  readonly remoteDatabase: (database: BrokerDatabase) => RemoteDatabase;
};
