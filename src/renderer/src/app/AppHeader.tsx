import { useRef } from 'react';
import { BriefcaseBusiness, Info, Moon, Settings, Sun } from 'lucide-react';
import type { SyncStatus } from '../../../shared/ipc.js';
import type { ApiSource } from '../bridge/resolve-api.js';
import { UserMenu } from '../session/UserMenu.js';
import type { SignInActions } from '../session/use-sign-in.js';
import { SettingsDialog } from '../settings/SettingsDialog.js';
import { SyncStatusIndicator } from '../sync/SyncStatusIndicator.js';
import { useTheme } from '../settings/theme.js';
import { AboutDialog } from './AboutDialog.js';
import type { SessionState } from './use-session.js';

export function AppHeader({
  session,
  sync,
  source,
  actions,
}: {
  readonly session: SessionState;
  readonly sync: SyncStatus | null;
  readonly source: ApiSource;
  readonly actions: SignInActions;
}) {
  const { theme, locked, toggle } = useTheme();
  const about = useRef<HTMLDialogElement>(null);
  const settings = useRef<HTMLDialogElement>(null);
  const user = session.phase === 'ready' ? session.session.user : null;

  return (
    <header className="app-header">
      <div className="brand">
        <span className="brand__mark" aria-hidden="true">
          <BriefcaseBusiness size={18} strokeWidth={2} />
        </span>
        <span className="brand__name">Attaché</span>
      </div>
      <div className="app-header__end">
        <SyncStatusIndicator status={sync} onSignIn={actions.signIn} />
        <span className="app-header__divider" aria-hidden="true" />
        <button
          type="button"
          className="icon-button"
          aria-label="Dark theme"
          aria-pressed={theme === 'dark'}
          aria-disabled={locked}
          title={
            locked
              ? 'Theme set by your organisation'
              : theme === 'dark'
                ? 'Switch to light theme'
                : 'Switch to dark theme'
          }
          onClick={toggle}
        >
          {theme === 'dark' ? (
            <Moon aria-hidden="true" size={18} />
          ) : (
            <Sun aria-hidden="true" size={18} />
          )}
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label="Settings"
          title="Settings"
          aria-haspopup="dialog"
          onClick={() => settings.current?.showModal()}
        >
          <Settings aria-hidden="true" size={18} />
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label="About Attaché"
          title="About Attaché"
          aria-haspopup="dialog"
          onClick={() => about.current?.showModal()}
        >
          <Info aria-hidden="true" size={18} />
        </button>
        <UserMenu user={user} loading={session.phase === 'loading'} onSignOut={actions.signOut} />
      </div>
      <AboutDialog ref={about} session={session} source={source} />
      <SettingsDialog ref={settings} />
    </header>
  );
}
