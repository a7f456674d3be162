// Sign-out erases this device's copy of the person's briefings, so it is confirmed first; and
// when read receipts or notes could not reach the server, the person decides whether to wait
// for a connection or discard them. Nothing written on the device is lost without that choice.
import { useEffect, useRef, useState } from 'react';
import { LogOut, TriangleAlert } from 'lucide-react';
import type { SignOutAnswer } from './use-sign-in.js';

type Phase =
  | { readonly kind: 'confirm' }
  | { readonly kind: 'working' }
  | { readonly kind: 'unsent'; readonly unsent: number }
  | { readonly kind: 'failed'; readonly message: string };

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function SignOutDialog({
  open,
  onClose,
  signOut,
}: {
  readonly open: boolean;
  readonly onClose: () => void;
  readonly signOut: (discardUnsent: boolean) => Promise<SignOutAnswer>;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [phase, setPhase] = useState<Phase>({ kind: 'confirm' });

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      setPhase({ kind: 'confirm' });
      element.showModal();
    }
    if (!open && element.open) element.close();
  }, [open]);

  const run = (discardUnsent: boolean) => {
    setPhase({ kind: 'working' });
    void signOut(discardUnsent).then((answer) => {
      if (answer.outcome === 'signed-out') onClose();
      else if (answer.outcome === 'unsent-returns') {
        setPhase({ kind: 'unsent', unsent: answer.unsent });
      } else setPhase({ kind: 'failed', message: answer.message });
    });
  };

  const working = phase.kind === 'working';
  const unsent = phase.kind === 'unsent' ? phase.unsent : 0;
  return (
    <dialog
      ref={dialog}
      className="confirm-dialog"
      aria-labelledby="sign-out-title"
      aria-describedby="sign-out-text"
      // Esc cancels, unless the sign-out is already under way.
      onCancel={(event) => {
        event.preventDefault();
        if (!working) onClose();
      }}
    >
      {phase.kind === 'unsent' ? (
        <>
          <h2 id="sign-out-title" className="confirm-dialog__title">
            <TriangleAlert aria-hidden="true" size={20} className="confirm-dialog__warn" />
            {plural(unsent, 'item has', 'items have')} not reached the office
          </h2>
          <p id="sign-out-text">
            {plural(unsent, 'read receipt or note', 'read receipts or notes')} written on this
            device could not be sent just now. Stay signed in and{' '}
            {unsent === 1 ? 'it is' : 'they are'} sent by {unsent === 1 ? 'itself' : 'themselves'}{' '}
            once the briefing server can be reached again. Signing out now discards{' '}
            {unsent === 1 ? 'it' : 'them'}.
          </p>
          <div className="confirm-dialog__actions">
            <button type="button" className="button button--secondary" autoFocus onClick={onClose}>
              Stay signed in
            </button>
            <button type="button" className="button button--danger" onClick={() => run(true)}>
              Sign out and discard
            </button>
          </div>
        </>
      ) : (
        <>
          <h2 id="sign-out-title" className="confirm-dialog__title">
            Sign out of Attaché?
          </h2>
          <p id="sign-out-text">
            Your briefings are removed from this device. They download again when you next sign in,
            which needs a connection.
          </p>
          {phase.kind === 'failed' ? (
            <p className="confirm-dialog__error" role="alert">
              {phase.message}
            </p>
          ) : null}
          <div className="confirm-dialog__actions">
            <button
              type="button"
              className="button button--secondary"
              autoFocus
              disabled={working}
              onClick={onClose}
            >
              Cancel
            </button>
            <button
              type="button"
              className="button button--danger"
              disabled={working}
              onClick={() => run(false)}
            >
              <LogOut aria-hidden="true" size={16} />
              {working ? 'Signing out…' : 'Sign out'}
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}
