// Always visible in the header: what the device's sync is doing, when it last had everything,
// and what is waiting to upload. A polite live region, so a change is announced without
// interrupting; `data-state` carries the raw SyncState for tests.
import {
  CircleCheck,
  CloudOff,
  KeyRound,
  LoaderCircle,
  RefreshCw,
  TriangleExclamationPoint,
} from 'lucide-react';
import type { SyncState, SyncStatus } from '../../../shared/ipc.js';
import { assertNever } from '../../../shared/result.js';
import { useApi } from '../api/api-context.js';
import { useNow } from '../ui/use-now.js';
import { describeSync, withoutFinalStop } from './sync-wording.js';

function StateIcon({ state }: { readonly state: SyncState }) {
  const props = { 'aria-hidden': true, size: 16, strokeWidth: 2.25 } as const;
  switch (state) {
    case 'offline':
      return <CloudOff {...props} />;
    case 'connecting':
    case 'syncing':
      return <LoaderCircle {...props} className="spin" />;
    case 'up-to-date':
      return <CircleCheck {...props} />;
    case 'error':
      return <TriangleExclamationPoint {...props} />;
    case 'sign-in-needed':
      return <KeyRound {...props} />;
    default:
      return assertNever(state);
  }
}

/**
 * A sync problem's reason in full, under the header at every width (the indicator has room for
 * a few words only, and none in a narrow window). Not a live region: the indicator announces it.
 */
export function SyncProblemBanner({ status }: { readonly status: SyncStatus | null }) {
  const now = useNow(15_000);
  if (!status) return null;
  const wording = describeSync(status, now);
  if (!wording.problem) return null;
  return (
    <div className="sync-problem" data-testid="sync-problem">
      <TriangleExclamationPoint aria-hidden="true" size={16} />
      <p>
        <strong>Sync problem.</strong> {wording.problem}{' '}
        {status.lastSyncedAt ? `${wording.lastSynced}.` : null}
      </p>
    </div>
  );
}

export function SyncStatusIndicator({
  status,
  onSignIn,
}: {
  readonly status: SyncStatus | null;
  /** Starts a sign-in; offered while the sync waits for one. */
  readonly onSignIn: () => void;
}) {
  const api = useApi();
  const now = useNow(15_000);

  if (!status) {
    return (
      <div
        className="sync-status"
        role="status"
        aria-live="polite"
        data-state="unknown"
        data-tone="neutral"
      >
        <span className="sync-status__label">Checking sync…</span>
      </div>
    );
  }

  const wording = describeSync(status, now);
  const busy = status.state === 'syncing' || status.state === 'connecting';
  return (
    <div className="sync">
      <div
        className="sync-status"
        role="status"
        aria-live="polite"
        aria-atomic="true"
        data-state={status.state}
        data-tone={wording.tone}
        data-pending-uploads={status.pendingUploads}
        title={[
          wording.summary,
          wording.lastSyncedExact ? `Last synced ${wording.lastSyncedExact}.` : null,
        ]
          .filter(Boolean)
          .join(' ')}
      >
        <span className="sync-status__icon">
          <StateIcon state={status.state} />
        </span>
        <span className="sync-status__text">
          <span className="sync-status__label">{wording.label}</span>
          {status.message && !wording.problem ? (
            <span className="visually-hidden">{withoutFinalStop(status.message)}. </span>
          ) : null}
          <span className="sync-status__detail">
            {wording.problem ? (
              // The reason, where people look; the whole of it is in the banner below the header.
              <span data-testid="sync-problem-reason">{wording.detail}</span>
            ) : status.lastSyncedAt && wording.lastSyncedExact ? (
              <>
                {/* The relative words change every minute; a live region must not announce
                    that, so assistive technology gets the absolute time, which changes only
                    when a sync does. */}
                <time
                  dateTime={status.lastSyncedAt}
                  title={wording.lastSyncedExact}
                  aria-hidden="true"
                >
                  {wording.lastSynced}
                </time>
                <span className="visually-hidden">Last synced {wording.lastSyncedExact}</span>
              </>
            ) : (
              wording.lastSynced
            )}
            {wording.pending ? (
              <span className="sync-status__pending" data-testid="pending-uploads">
                {' · '}
                {wording.pending}
              </span>
            ) : null}
          </span>
        </span>
      </div>
      {status.state === 'sign-in-needed' ? (
        <button type="button" className="button button--small sync__sign-in" onClick={onSignIn}>
          Sign in again
        </button>
      ) : null}
      <button
        type="button"
        className="icon-button"
        aria-label="Sync now"
        title="Sync now"
        disabled={busy || status.state === 'sign-in-needed'}
        onClick={() => void api.syncNow({})}
      >
        <RefreshCw aria-hidden="true" size={17} />
      </button>
    </div>
  );
}
