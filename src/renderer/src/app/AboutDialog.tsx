import type { Ref } from 'react';
import { X } from 'lucide-react';
import type { ApiSource } from '../bridge/resolve-api.js';
import type { SessionState } from './use-session.js';

const SHORTCUTS: readonly (readonly [string, string])[] = [
  ['↑ ↓ or K J', 'Move through the briefing list'],
  ['Home / End', 'First or last briefing'],
  ['Enter', 'Open the briefing'],
  ['Esc', 'Back to the list (or close a PDF)'],
  ['+ / −', 'Zoom a PDF'],
];

export function AboutDialog({
  ref,
  session,
  source,
}: {
  readonly ref: Ref<HTMLDialogElement>;
  readonly session: SessionState;
  readonly source: ApiSource;
}) {
  const info = session.phase === 'ready' ? session.session : null;
  return (
    <dialog ref={ref} className="about-dialog" aria-labelledby="about-title">
      <div className="about-dialog__header">
        <h2 id="about-title">About Attaché</h2>
        <button
          type="button"
          className="icon-button"
          aria-label="Close"
          autoFocus
          onClick={(event) => event.currentTarget.closest('dialog')?.close()}
        >
          <X aria-hidden="true" size={18} />
        </button>
      </div>
      <dl className="about-dialog__facts">
        <div>
          <dt>Version</dt>
          <dd>{info?.appVersion ?? '—'}</dd>
        </div>
        <div>
          <dt>Server</dt>
          <dd>{info?.serverUrl ?? '—'}</dd>
        </div>
        <div>
          <dt>Signed in as</dt>
          <dd>{info?.user ? `${info.user.displayName} (${info.user.id})` : 'Nobody'}</dd>
        </div>
        <div>
          <dt>Running in</dt>
          <dd>
            {source === 'electron' ? 'Desktop app' : 'Browser, through the local Attaché host'}
          </dd>
        </div>
      </dl>
      <h3 className="about-dialog__subheading">Keyboard</h3>
      <table className="shortcuts">
        <tbody>
          {SHORTCUTS.map(([keys, action]) => (
            <tr key={keys}>
              <th scope="row">
                <kbd>{keys}</kbd>
              </th>
              <td>{action}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </dialog>
  );
}
