// What the always-visible sync indicator says for each state. Pure, so every state's wording
// is tested and a new SyncState fails the build here (assertNever) instead of showing nothing.
import type { SyncState, SyncStatus } from '../../../shared/ipc.js';
import { assertNever } from '../../../shared/result.js';
import { formatAbsolute, parseTime, relativeTime, type TimeOptions } from '../ui/time.js';

export type SyncTone = 'neutral' | 'busy' | 'good' | 'warning' | 'danger';

export type SyncWording = {
  readonly label: string;
  readonly tone: SyncTone;
  /** "Synced 3 minutes ago", "Never synced on this device". */
  readonly lastSynced: string;
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
  const lastSynced =
    syncedMs === null
      ? 'Never synced on this device'
      : `Synced ${relativeTime(syncedMs, nowMs, options)}`;
  const lastSyncedExact = syncedMs === null ? null : formatAbsolute(syncedMs, options);
  const n = status.pendingUploads;
  const pending =
    n > 0
      ? `${n.toLocaleString(options.locale)} ${n === 1 ? 'change' : 'changes'} waiting to upload`
      : null;
  const parts = [label, status.message, lastSynced, pending]
    .filter((part): part is string => Boolean(part))
    .map(withoutFinalStop);
  return { label, tone, lastSynced, lastSyncedExact, pending, summary: `${parts.join('. ')}.` };
}
