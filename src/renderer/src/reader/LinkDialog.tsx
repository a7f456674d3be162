// A link in a briefing, clicked: main decides whether policy allows it. Allowed, the person
// confirms the address before it opens in the system browser (a new tab in browser-host mode);
// refused, the reason is said plainly, on click, not only in a tooltip.
import { useEffect, useRef } from 'react';
import { ExternalLink, Link2Off } from 'lucide-react';

export type LinkPrompt =
  | { readonly kind: 'confirm'; readonly url: string }
  | { readonly kind: 'refused'; readonly address: string; readonly reason: string };

export function LinkDialog({
  prompt,
  onOpen,
  onClose,
}: {
  readonly prompt: LinkPrompt | null;
  readonly onOpen: (url: string) => void;
  readonly onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (prompt && !element.open) element.showModal();
    if (!prompt && element.open) element.close();
  }, [prompt]);
  return (
    <dialog
      ref={dialog}
      className="confirm-dialog link-dialog"
      aria-labelledby="link-dialog-title"
      data-testid="link-dialog"
      onClose={onClose}
    >
      {prompt?.kind === 'confirm' ? (
        <>
          <h2 id="link-dialog-title" className="confirm-dialog__title">
            <ExternalLink aria-hidden="true" size={18} />
            Open this link in your browser?
          </h2>
          <p className="link-dialog__address" data-testid="link-address">
            {prompt.url}
          </p>
          <div className="confirm-dialog__actions">
            <button type="button" className="button button--secondary" onClick={onClose}>
              Cancel
            </button>
            <button type="button" className="button" autoFocus onClick={() => onOpen(prompt.url)}>
              Open in browser
            </button>
          </div>
        </>
      ) : prompt?.kind === 'refused' ? (
        <>
          <h2 id="link-dialog-title" className="confirm-dialog__title">
            <Link2Off aria-hidden="true" size={18} />
            This link was not opened
          </h2>
          <p data-testid="link-reason">{prompt.reason}</p>
          <p className="link-dialog__address">{prompt.address}</p>
          <div className="confirm-dialog__actions">
            <button type="button" className="button" autoFocus onClick={onClose}>
              OK
            </button>
          </div>
        </>
      ) : null}
    </dialog>
  );
}
