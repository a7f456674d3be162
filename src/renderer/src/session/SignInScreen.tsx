// The locked reader: nobody is signed in (perhaps because the organisation wiped this device),
// or the device stayed offline too long. Product name,
// what signing in does, one button; while the browser is open, what to do there and Cancel.
import { useEffect, useRef } from 'react';
import {
  BriefcaseBusiness,
  CircleCheck,
  ExternalLink,
  LoaderCircle,
  LockKeyhole,
  ShieldAlert,
} from 'lucide-react';
import type { SessionInfo } from '../../../shared/ipc.js';
import type { ApiSource } from '../bridge/resolve-api.js';
import type { SignInActions } from './use-sign-in.js';
import { signInNoticeTone } from './sign-in-notice.js';

function lockedExplanation(session: SessionInfo): string {
  switch (session.lockReason) {
    case 'clock-moved-back':
      return 'This device’s clock was turned back, so Attaché cannot tell how long it has been offline. Connect to your network and sign in to open your briefings again.';
    case 'offline-too-long':
    case null:
      return 'This device has been offline for longer than your organisation allows. Connect to your network and sign in to open your briefings again.';
  }
}

export function SignInScreen({
  session,
  actions,
  source,
}: {
  readonly session: SessionInfo;
  readonly actions: SignInActions;
  readonly source: ApiSource;
}) {
  const { signIn } = session;
  const waiting = signIn.phase === 'waiting';
  const locked = session.state === 'locked';
  const signInButton = useRef<HTMLButtonElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);

  // Focus follows the one thing to do next: Sign in, or Cancel while the browser is open.
  useEffect(() => {
    (waiting ? cancelButton : signInButton).current?.focus();
  }, [waiting]);

  return (
    <main className="screen" aria-labelledby="sign-in-title">
      <div className="screen__card">
        <span className="brand__mark sign-in__mark" aria-hidden="true">
          <BriefcaseBusiness size={26} strokeWidth={2} />
        </span>
        <h1 id="sign-in-title" className="screen__title">
          Attaché
        </h1>
        {locked && session.user ? (
          <div className="sign-in__locked">
            <LockKeyhole aria-hidden="true" size={18} />
            <p>
              <strong>{session.user.displayName}</strong>, your briefings are locked.{' '}
              {lockedExplanation(session)}
            </p>
          </div>
        ) : session.signedOutReason === 'device-wiped' && !waiting ? (
          <div className="sign-in__notice" role="status" data-testid="device-wiped-notice">
            <ShieldAlert aria-hidden="true" size={18} />
            <p>
              Your organisation removed Attaché’s briefings from this device. Your briefings and
              your sign-in are no longer on it. If you did not expect this, please contact your IT
              support; you can sign in again if your organisation allows it.
            </p>
          </div>
        ) : actions.signOutProblem !== null && !waiting ? (
          <div className="sign-in__notice" role="alert" data-testid="sign-out-problem">
            <ShieldAlert aria-hidden="true" size={18} />
            <p>{actions.signOutProblem}</p>
          </div>
        ) : actions.signedOut && !waiting ? (
          <div className="sign-in__notice" role="status">
            <CircleCheck aria-hidden="true" size={18} />
            <p>
              You are signed out. Your briefings and your sign-in were removed from this device.
              Signing in again downloads your briefings anew.
            </p>
          </div>
        ) : (
          <p className="screen__lead">
            Your briefings, on this device, online or offline. Sign in with your organisation
            account to open them.
          </p>
        )}

        {waiting ? (
          <div className="sign-in__waiting" role="status" aria-live="polite">
            <p className="sign-in__waiting-title">
              <LoaderCircle aria-hidden="true" size={18} className="spin" />
              Continue in your browser…
            </p>
            <p className="sign-in__hint">
              Finish signing in on the page that opened in your browser. Attaché continues by itself
              once you are done.
            </p>
            {source === 'browser-host' && signIn.url ? (
              <p className="sign-in__hint">
                No page opened?{' '}
                <a href={signIn.url} target="_blank" rel="noopener noreferrer">
                  Open the sign-in page
                  <ExternalLink aria-hidden="true" size={14} />
                </a>
              </p>
            ) : null}
            <button
              ref={cancelButton}
              type="button"
              className="button button--secondary"
              onClick={actions.cancel}
            >
              Cancel
            </button>
          </div>
        ) : (
          <>
            {signIn.phase === 'failed' ? (
              signInNoticeTone(signIn.error) === 'calm' ? (
                <p className="sign-in__note" role="status">
                  {signIn.error.message}
                </p>
              ) : (
                <p className="sign-in__error" role="alert">
                  {signIn.error.message}
                </p>
              )
            ) : null}
            <button
              ref={signInButton}
              type="button"
              className="button sign-in__button"
              onClick={actions.signIn}
            >
              Sign in
            </button>
            <p className="sign-in__hint">
              Attaché opens your organisation’s sign-in page in your web browser. Your password
              never passes through Attaché.
            </p>
          </>
        )}
      </div>
    </main>
  );
}
