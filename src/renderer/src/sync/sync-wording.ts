// What the always-visible sync indicator says for each state. Pure, so every state's wording
// is tested and a new SyncState fails the build here (assertNever) instead of showing nothing.
import type { SyncState, SyncStatus } from '../../../shared/ipc.js';
import { assertNever } from '../../../shared/result.js';
import { formatAbsolute, parseTime, relativeTime, type TimeOptions } from '../ui/time.js';

export type SyncTone = 'neutral' | 'busy' | 'good' | 'warning' | 'danger';

export type SyncWording = {
  readonly label: string;
  readonly tone: SyncTone;
  /**
   * "Synced 3 minutes ago", "Never synced on this device"; beside a problem "Last good sync 3
   * minutes ago", never a bare "Synced just now" that reads as if all were well.
   */
  readonly lastSynced: string;
  /** What the indicator shows beside the label: the reason of a problem, else `lastSynced`. */
  readonly detail: string;
  /** The reason of a problem, to show in full where people look; null when all is well. */
  readonly problem: string | null;
  /** Absolute time for the title/tooltip, or null when never synced. */
  readonly lastSyncedExact: string | null;
  /** "2 changes waiting to upload", or null when nothing is pending. */
  readonly pending: string | null;
  /** One sentence for assistive technology and the tooltip. */
  readonly summary: string;
};

function stateLabel(state: SyncState): { label: string; tone: SyncTone } {
  switch (state) {
    case 'offline':
      return { label: 'Offline', tone: 'neutral' };
    case 'connecting':
      return { label: 'Connecting…', tone: 'busy' };
    case 'syncing':
      return { label: 'Syncing…', tone: 'busy' };
    case 'up-to-date':
      return { label: 'Up to date', tone: 'good' };
    case 'error':
      return { label: 'Sync problem', tone: 'danger' };
    case 'sign-in-needed':
      return { label: 'Sign-in needed', tone: 'warning' };
    default:
      return assertNever(state);
  }
}

/** "Retrying…" and "It resumes by itself." both become bare clauses, ready to be joined. */
export function withoutFinalStop(text: string): string {
  return text.trim().replace(/[.…!?]+$/u, '');
}

export function describeSync(
  status: SyncStatus,
  nowMs: number,
  options: TimeOptions = {},
): SyncWording {
  const { label, tone } = stateLabel(status.state);
  const syncedMs = parseTime(status.lastSyncedAt);
  const isProblem = status.state === 'error';
  const lastSynced =
    syncedMs === null
      ? 'Never synced on this device'
      : `${isProblem ? 'Last good sync' : 'Synced'} ${relativeTime(syncedMs, nowMs, options)}`;
  const problem = isProblem
    ? withoutFinalStop(status.message ?? 'Attaché could not sync and keeps retrying') + '.'
    : null;
  const lastSyncedExact = syncedMs === null ? null : formatAbsolute(syncedMs, options);
  const n = status.pendingUploads;
  const pending =
    n > 0
      ? `${n.toLocaleString(options.locale)} ${n === 1 ? 'change' : 'changes'} waiting to upload`
      : null;
  const parts = [label, status.message, lastSynced, pending]
    .filter((part): part is string => Boolean(part))
    .map(withoutFinalStop);
  return {
    label,
    tone,
    lastSynced,
    detail: problem ? withoutFinalStop(problem) : lastSynced,
    problem,
    lastSyncedExact,
    pending,
    summary: `${parts.join('. ')}.`,
  };
}
