// What the wiring lets a capability see of the signed-in session (managed policy reads the open
// workspace and the session to filter and protect what the reader is given), without the
// capability importing the wiring itself.
import type { SessionInfo, SyncStatus } from '../../shared/ipc.js';
import type { OpenWorkspace } from './workspace-thread.js';

export type SessionView = {
  /** The open workspace of the signed-in person, if any. */
  readonly workspace: () => OpenWorkspace | null;
  readonly session: () => SessionInfo;
  readonly syncStatus: () => SyncStatus;
};
