import { useRef } from 'react';
import { BriefcaseBusiness, Info, Moon, Sun } from 'lucide-react';
import type { SyncStatus } from '../../../shared/ipc.js';
import type { ApiSource } from '../bridge/resolve-api.js';
import { SyncStatusIndicator } from '../sync/SyncStatusIndicator.js';
import { useTheme } from '../ui/theme.js';
import { AboutDialog } from './AboutDialog.js';
import type { SessionState } from './use-session.js';

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return (
    (parts[0]?.[0] ?? '') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')
  ).toUpperCase();
}

export function AppHeader({
  session,
  sync,
  source,
}: {
  readonly session: SessionState;
  readonly sync: SyncStatus | null;
  readonly source: ApiSource;
}) {
  const { theme, toggle } = useTheme();
  const about = useRef<HTMLDialogElement>(null);
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
        <SyncStatusIndicator status={sync} />
        <span className="app-header__divider" aria-hidden="true" />
        <button
          type="button"
          className="icon-button"
          aria-label="Dark theme"
          aria-pressed={theme === 'dark'}
          title={theme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'}
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
          aria-label="About Attaché"
          title="About Attaché"
          aria-haspopup="dialog"
          onClick={() => about.current?.showModal()}
        >
          <Info aria-hidden="true" size={18} />
        </button>
        <div className="user-chip" data-testid="signed-in-user" data-user-id={user?.id ?? ''}>
          {user ? (
            <>
              <span className="avatar avatar--small" aria-hidden="true">
                {initials(user.displayName)}
              </span>
              <span className="user-chip__name">
                <span className="visually-hidden">Signed in as </span>
                {user.displayName}
              </span>
            </>
          ) : (
            <span className="user-chip__name user-chip__name--none">
              {session.phase === 'loading' ? 'Loading…' : 'Not signed in'}
            </span>
          )}
        </div>
      </div>
      <AboutDialog ref={about} session={session} source={source} />
    </header>
  );
}
