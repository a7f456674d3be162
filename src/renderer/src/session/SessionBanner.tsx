// While the reader stays open (signed in, renewing with "Sign in again"), a sign-in in the
// browser shows here rather than replacing the briefings.
import { ExternalLink, LoaderCircle } from 'lucide-react';
import type { SessionInfo } from '../../../shared/ipc.js';
import type { ApiSource } from '../bridge/resolve-api.js';
import { signInNoticeTone } from './sign-in-notice.js';
import type { SignInActions } from './use-sign-in.js';

export function SessionBanner({
  session,
  actions,
  source,
}: {
  readonly session: SessionInfo;
  readonly actions: SignInActions;
  readonly source: ApiSource;
}) {
  const { signIn } = session;
  if (signIn.phase === 'waiting') {
    return (
      <div className="session-banner" role="status" aria-live="polite">
        <LoaderCircle aria-hidden="true" size={16} className="spin" />
        <span>
          Continue in your browser… Finish signing in there; Attaché continues by itself.
          {source === 'browser-host' && signIn.url ? (
            <>
              {' '}
              <a href={signIn.url} target="_blank" rel="noopener noreferrer">
                Open the sign-in page
                <ExternalLink aria-hidden="true" size={13} />
              </a>
            </>
          ) : null}
        </span>
        <button
          type="button"
          className="button button--secondary button--small"
          onClick={actions.cancel}
        >
          Cancel
        </button>
      </div>
    );
  }
  if (signIn.phase === 'failed') {
    const calm = signInNoticeTone(signIn.error) === 'calm';
    return (
      <div
        className={calm ? 'session-banner' : 'session-banner session-banner--error'}
        role={calm ? 'status' : 'alert'}
      >
        <span>{signIn.error.message}</span>
        <button type="button" className="button button--small" onClick={actions.signIn}>
          Sign in again
        </button>
        <button
          type="button"
          className="button button--secondary button--small"
          onClick={actions.cancel}
        >
          Dismiss
        </button>
      </div>
    );
  }
  return null;
}
