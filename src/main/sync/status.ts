// The sync status the reader shows, derived from what each replication direction is doing.
// Pure: the sync service feeds it facts; tests can drive it without a network.
import type { SyncState, SyncStatus } from '../../shared/ipc.js';
import { assertNever } from '../../shared/result.js';

export type Failure = 'offline' | 'sign-in-needed' | 'error';

export type DirectionPhase =
  /** Not running (before start, after stop). */
  | 'idle'
  /** Started or restarted; nothing heard back yet. */
  | 'connecting'
  /** Transferring documents. */
  | 'active'
  /** Caught up and waiting on the live changes feed. */
  | 'caught-up'
  /** Last attempt failed; PouchDB (or the sync service) will retry after a back-off. */
  | 'failing';

export type DirectionState = {
  readonly phase: DirectionPhase;
  readonly failure: Failure | null;
  readonly message: string | null;
};

export type SyncModel = {
  readonly pull: DirectionState;
  readonly push: DirectionState;
  /** Set when the token provider says nobody is signed in; replication is not even attempted. */
  readonly signInNeeded: boolean;
  readonly lastSyncedAt: string | null;
  readonly pendingUploads: number;
};

export const IDLE: DirectionState = { phase: 'idle', failure: null, message: null };

export const INITIAL_MODEL: SyncModel = {
  pull: IDLE,
  push: IDLE,
  signInNeeded: false,
  lastSyncedAt: null,
  pendingUploads: 0,
};

const MESSAGES: Record<Failure, string> = {
  offline:
    'The briefing server cannot be reached. Briefings on this device stay readable; sync resumes by itself.',
  'sign-in-needed': 'Sign in again to receive new briefings.',
  error:
    'The briefing server refused the sync. It is retried automatically; if it persists, contact IT support.',
};

/** Classifies an HTTP status from the broker (or a gateway in front of it). */
export function failureForStatus(status: number): Failure | null {
  if (status < 400) return null;
  if (status === 401) return 'sign-in-needed';
  // A gateway that cannot reach the broker means the service is unreachable from here.
  if (status === 502 || status === 503 || status === 504) return 'offline';
  return 'error';
}

export function failureMessage(failure: Failure): string {
  return MESSAGES[failure];
}

function failureState(direction: DirectionState): Failure {
  return direction.failure ?? 'error';
}

/**
 * Precedence: a reader who must sign in is told so first; being offline explains most other
 * failures, so it outranks a server error; a healthy state needs both directions caught up.
 */
export function deriveStatus(model: SyncModel): SyncStatus {
  const { pull, push } = model;
  let state: SyncState;
  let message: string | null = null;
  const failing = [pull, push].filter((d) => d.phase === 'failing');
  const failures = failing.map(failureState);

  if (model.signInNeeded || failures.includes('sign-in-needed')) {
    state = 'sign-in-needed';
  } else if (failures.includes('offline')) {
    state = 'offline';
  } else if (failures.includes('error')) {
    state = 'error';
    message = failing.find((d) => d.message)?.message ?? null;
  } else if (pull.phase === 'idle' && push.phase === 'idle') {
    state = 'offline';
  } else if (pull.phase === 'active' || push.phase === 'active') {
    state = 'syncing';
  } else if (pull.phase === 'caught-up' && push.phase === 'caught-up') {
    state = 'up-to-date';
  } else {
    state = 'connecting';
  }

  switch (state) {
    case 'offline':
    case 'sign-in-needed':
      message = MESSAGES[state];
      break;
    case 'error':
      message = message ?? MESSAGES.error;
      break;
    case 'connecting':
    case 'syncing':
    case 'up-to-date':
      break;
    default:
      assertNever(state);
  }
  return { state, lastSyncedAt: model.lastSyncedAt, pendingUploads: model.pendingUploads, message };
}

export function sameStatus(a: SyncStatus, b: SyncStatus): boolean {
  return (
    a.state === b.state &&
    a.lastSyncedAt === b.lastSyncedAt &&
    a.pendingUploads === b.pendingUploads &&
    a.message === b.message
  );
}
