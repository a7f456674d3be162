// What the reader is told about the session: the auth state machine's snapshot, minus anything
// secret (tokens never reach a snapshot in the first place), in the shared contract's words.
import type { SessionInfo, SignedOutReason, SyncStatus } from '../../shared/ipc.js';
import type { AuthSnapshot } from '../auth/auth-session.js';
import { isAppError } from '../../shared/app-error.js';
import { KeychainError } from '../secrets/types.js';
import { STORE_ERROR_CODES, StoreLockedError } from '../storage/types.js';

export function toSessionInfo(
  snapshot: AuthSnapshot,
  context: {
    readonly serverUrl: string;
    readonly appVersion: string;
    readonly signedOutReason?: SignedOutReason | null;
  },
): SessionInfo {
  const { account, attempt } = snapshot;
  return {
    state: snapshot.state,
    user: account ? { id: account.userId, displayName: account.displayName } : null,
    serverUrl: context.serverUrl,
    appVersion: context.appVersion,
    signInNeeded: snapshot.signInNeeded,
    offlineAccessUntil:
      snapshot.offlineAccessUntil === null
        ? null
        : new Date(snapshot.offlineAccessUntil).toISOString(),
    lockReason: snapshot.lockReason,
    signedOutReason: snapshot.state === 'signed-out' ? (context.signedOutReason ?? null) : null,
    signIn:
      attempt.phase === 'failed'
        ? {
            phase: 'failed',
            error: { code: `sign-in-${attempt.failure}`, message: attempt.message },
          }
        : attempt,
  };
}

/** The sync status while no one's briefings are open (signed out or locked). */
export function closedSyncStatus(snapshot: AuthSnapshot): SyncStatus {
  return {
    state: 'sign-in-needed',
    lastSyncedAt: null,
    pendingUploads: 0,
    message:
      snapshot.state === 'locked'
        ? 'This device has been offline for too long. Connect to the network and sign in again.'
        : 'Sign in to receive your briefings.',
  };
}

/** The sync status while the signed-in person's store could not be opened. */
export function storeFailureStatus(error: Error): SyncStatus {
  // These messages say what to do; anything else is for the logs, not the reader.
  const known =
    error instanceof StoreLockedError ||
    // From the workspace thread it arrives as an AppError with the integrity failure's code.
    (isAppError(error) && error.code === STORE_ERROR_CODES.integrity) ||
    error instanceof KeychainError;
  return {
    state: 'error',
    lastSyncedAt: null,
    pendingUploads: error instanceof StoreLockedError ? error.unsentReturns : 0,
    message: known
      ? error.message
      : 'Attaché could not open the briefings stored on this device. Export the logs for IT support.',
  };
}
