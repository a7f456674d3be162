import type { Ref } from 'react';
import { X } from 'lucide-react';
import type { SettingSource } from '../../../shared/settings.js';
import type { ApiSource } from '../bridge/resolve-api.js';
import { useConfig } from '../settings/use-config.js';
import { Keycaps } from '../ui/Keycaps.js';
import { listKeyLabels } from '../ui/shortcuts.js';
import type { SessionState } from './use-session.js';

type Shortcut = {
  readonly caps: readonly string[];
  readonly joiner: 'or' | '/';
  readonly action: string;
};

const SHORTCUTS: readonly Shortcut[] = [
  { caps: listKeyLabels('next'), joiner: 'or', action: 'Next briefing in the list' },
  { caps: listKeyLabels('previous'), joiner: 'or', action: 'Previous briefing in the list' },
  {
    caps: [...listKeyLabels('first'), ...listKeyLabels('last')],
    joiner: '/',
    action: 'First or last briefing',
  },
  {
    caps: [...listKeyLabels('page-up'), ...listKeyLabels('page-down')],
    joiner: '/',
    action: 'A screen up or down the list',
  },
  { caps: ['Enter'], joiner: 'or', action: 'Open the briefing' },
  { caps: ['Esc'], joiner: 'or', action: 'Back to the list (or close a PDF)' },
  { caps: ['+', '−'], joiner: '/', action: 'Zoom a PDF' },
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
  const config = useConfig();
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
          <dt>Device id</dt>
          <dd data-testid="device-id">{config?.device.id ?? '—'}</dd>
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
      {config ? (
        <>
          <h3 className="about-dialog__subheading">Where each setting comes from</h3>
          <table className="setting-origins" data-testid="setting-origins">
            <tbody>
              {config.settings.map((setting) => (
                <tr key={setting.name}>
                  <th scope="row">{setting.title}</th>
                  <td>{setting.value}</td>
                  <td>{describeSource(setting.source, setting.from)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <h3 className="about-dialog__subheading">Keyboard</h3>
      <table className="shortcuts">
        <tbody>
          {SHORTCUTS.map(({ caps, joiner, action }) => (
            <tr key={action}>
              <th scope="row">
                <Keycaps caps={caps} joiner={joiner} />
              </th>
              <td>{action}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </dialog>
  );
}

function describeSource(source: SettingSource, from: string): string {
  switch (source) {
    case 'policy':
      return `Your organisation (${from})`;
    case 'development':
      return `Development (${from})`;
    case 'person':
      return 'You';
    case 'default':
      return from === 'default' ? 'Default' : `Default (${from})`;
  }
}
