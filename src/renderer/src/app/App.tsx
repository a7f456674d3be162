// The reader's shell. Signed out or locked, it is the sign-in screen; signed in, the header
// with the sync status, the briefing list (nav) and the open briefing (main). State that both
// panes need lives here; everything else in its pane.
import { useCallback, useEffect, useRef, useState, type MouseEvent, type ReactNode } from 'react';
import { CircleExclamationPoint, Inbox, RefreshCw, Wrench } from 'lucide-react';
import type { BriefingSummary, SessionInfo, SyncStatus } from '../../../shared/ipc.js';
import type { AppErrorInfo } from '../../../shared/app-error.js';
import type { SearchHighlight } from '../../../shared/search.js';
import type { ApiSource } from '../bridge/resolve-api.js';
import { BriefingList, type BriefingListHandle, type OpenHow } from '../briefings/BriefingList.js';
import { useBriefingList, type BriefingListState } from '../briefings/use-briefing-list.js';
import { ReaderView } from '../reader/ReaderView.js';
import { SearchField, type OpenFromSearch } from '../search/SearchPanel.js';
import { isSearchShortcut } from '../search/search-keys.js';
import { useSearch } from '../search/use-search.js';
import { SessionBanner } from '../session/SessionBanner.js';
import { SignInScreen } from '../session/SignInScreen.js';
import { useSignIn, type SignInActions } from '../session/use-sign-in.js';
import { ExportDiagnostics } from '../settings/ExportDiagnostics.js';
import { ConfigContext, useConfig, useConfigSource } from '../settings/use-config.js';
import { SyncProblemBanner } from '../sync/SyncStatusIndicator.js';
import { useSyncStatus } from '../sync/use-sync-status.js';
import { useApi } from '../api/api-context.js';
import { AppHeader } from './AppHeader.js';
import { describeStartupProblem } from './startup-problem.js';
import { useSession, type SessionState } from './use-session.js';

export function App({ source }: { readonly source: ApiSource }) {
  const config = useConfigSource(useApi());
  return (
    <ConfigContext.Provider value={config}>
      <AppScreens source={source} />
    </ConfigContext.Provider>
  );
}

/** The code with which every request is refused while a required setting has no valid value. */
const NOT_SET_UP = 'device-not-set-up';

function AppScreens({ source }: { readonly source: ApiSource }) {
  const session = useSession();
  const info = session.phase === 'ready' ? session.session : null;
  const actions = useSignIn(source, info);

  if (session.phase === 'loading') {
    return (
      <div className="screen screen--quiet" role="status">
        Opening Attaché…
      </div>
    );
  }
  if (session.phase === 'error') {
    if (session.error.code === NOT_SET_UP) return <NotSetUpScreen error={session.error} />;
    return <StartupProblemScreen error={session.error} />;
  }
  if (session.session.state !== 'signed-in' || !session.session.user) {
    return <SignInScreen session={session.session} actions={actions} source={source} />;
  }
  // Keyed by the person: a different sign-in starts the reader afresh, with nothing of the
  // previous person's list or open briefing left on screen.
  return (
    <Reader
      key={session.session.user.id}
      session={session}
      info={session.session}
      actions={actions}
      source={source}
    />
  );
}

/**
 * A required setting has no valid value: nothing can work until IT fixes the policy. The screen
 * names the setting, where it was looked for and why it is unusable, and offers the diagnostics
 * export IT will ask for.
 */
function NotSetUpScreen({ error }: { readonly error: AppErrorInfo }) {
  const problem = useConfig()?.notSetUp ?? null;
  return (
    <main className="screen" aria-labelledby="not-set-up-title" data-testid="not-set-up">
      <div className="screen__card">
        <span className="screen__icon" aria-hidden="true">
          <Wrench size={26} strokeWidth={1.75} />
        </span>
        <h1 id="not-set-up-title" className="screen__title">
          Attaché is not set up on this device
        </h1>
        <p className="screen__lead" role="alert">
          Contact IT support: your organisation’s settings for Attaché are incomplete.
        </p>
        {problem ? (
          <dl className="not-set-up__facts">
            <div>
              <dt>Setting</dt>
              <dd data-testid="not-set-up-setting">{problem.name}</dd>
            </div>
            <div>
              <dt>Looked for in</dt>
              <dd>{problem.from}</dd>
            </div>
            <div>
              <dt>Problem</dt>
              <dd>{problem.reason}</dd>
            </div>
          </dl>
        ) : (
          <p>{error.message}</p>
        )}
        <ExportDiagnostics />
      </div>
    </main>
  );
}

/** Centred in a card like the sign-in screen: the same first impression, whatever happened. */
function StartupProblemScreen({ error }: { readonly error: AppErrorInfo }) {
  const problem = describeStartupProblem(error);
  return (
    <main className="screen" aria-labelledby="startup-problem-title">
      <div className="screen__card">
        <span className="screen__icon screen__icon--danger" aria-hidden="true">
          <CircleExclamationPoint size={26} strokeWidth={1.75} />
        </span>
        <h1 id="startup-problem-title" className="screen__title">
          {problem.title}
        </h1>
        <p className="screen__lead" role="alert">
          {error.message}
        </p>
        {problem.canRetry ? (
          <button type="button" className="button" onClick={() => window.location.reload()}>
            <RefreshCw aria-hidden="true" size={16} />
            Try again
          </button>
        ) : null}
      </div>
    </main>
  );
}

function Reader({
  session,
  info,
  actions,
  source,
}: {
  readonly session: SessionState;
  readonly info: SessionInfo;
  readonly actions: SignInActions;
  readonly source: ApiSource;
}) {
  const sync = useSyncStatus();
  const list = useBriefingList();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [openedFromKeyboard, setOpenedFromKeyboard] = useState(false);
  const listRef = useRef<BriefingListHandle>(null);
  const search = useSearch();
  const searchRef = useRef<HTMLInputElement>(null);
  /** What to mark in the open briefing: set when it was opened from a search's results. */
  const [highlight, setHighlight] = useState<SearchHighlight | null>(null);
  // The search cleared (Escape, the clear button, the field emptied): its marks go with it.
  useEffect(() => {
    if (!search.active) setHighlight(null);
  }, [search.active]);

  // Ctrl/Cmd+K anywhere, or / where it would not be typed into a field, goes to the search.
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || !isSearchShortcut(event)) return;
      event.preventDefault();
      searchRef.current?.focus();
      searchRef.current?.select();
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);

  const readerName = info.user?.displayName ?? 'Attaché reader';

  const open = useCallback((id: string, how: OpenHow) => {
    setHighlight(null);
    setOpenedFromKeyboard(how === 'keyboard');
    setSelectedId((current) => {
      // Opening the briefing already shown: nothing reloads, so move focus here.
      if (current === id && how === 'keyboard') document.getElementById('briefing-title')?.focus();
      return id;
    });
  }, []);

  const openFromSearch = useCallback<OpenFromSearch>((id, marks, how) => {
    setHighlight(marks);
    setOpenedFromKeyboard(how === 'keyboard');
    setSelectedId(id);
  }, []);

  const skipToBriefing = (event: MouseEvent<HTMLAnchorElement>) => {
    event.preventDefault();
    (document.getElementById('briefing-title') ?? document.getElementById('briefing'))?.focus();
  };

  return (
    <div className="app" data-view={selectedId ? 'reader' : 'list'}>
      <a className="skip-link" href="#briefing" onClick={skipToBriefing}>
        Skip to briefing
      </a>
      <AppHeader session={session} sync={sync} source={source} actions={actions} />
      <SessionBanner session={info} actions={actions} source={source} />
      <SyncProblemBanner status={sync} />
      <div className="app__body">
        <nav className="list-pane" aria-label="Briefings">
          <SearchField search={search} inputRef={searchRef} onOpen={openFromSearch} />
          {search.active ? null : (
            <ListPane state={list.state} sync={sync} onRetry={list.reload}>
              {(briefings) => (
                <BriefingList
                  ref={listRef}
                  briefings={briefings}
                  selectedId={selectedId}
                  onOpen={open}
                  onNearEnd={list.loadMore}
                />
              )}
            </ListPane>
          )}
        </nav>
        <ReaderView
          id={selectedId}
          readerName={readerName}
          focusOnShow={openedFromKeyboard}
          highlight={highlight}
          onShownAsRead={list.showAsRead}
          onLeave={() => (search.active ? searchRef.current : listRef.current)?.focus()}
          onBack={() => {
            setSelectedId(null);
            // The list shows again on the next frame; focus goes back to it then.
            requestAnimationFrame(() =>
              (search.active ? searchRef.current : listRef.current)?.focus(),
            );
          }}
        />
      </div>
    </div>
  );
}

function ListPane({
  state,
  sync,
  onRetry,
  children,
}: {
  readonly state: BriefingListState;
  readonly sync: SyncStatus | null;
  readonly onRetry: () => void;
  readonly children: (briefings: readonly BriefingSummary[]) => ReactNode;
}) {
  const briefings = state.phase === 'loading' ? null : state.briefings;
  // The whole list's counts: the reader holds only the pages shown so far.
  const total = state.phase === 'loading' ? 0 : state.total;
  const unread = state.phase === 'loading' ? 0 : state.unread;

  return (
    <>
      <div className="list-pane__header">
        <h2 className="list-pane__title">Briefings</h2>
        {briefings && briefings.length > 0 ? (
          <p className="list-pane__counts" data-testid="briefing-counts">
            {total.toLocaleString()} {total === 1 ? 'briefing' : 'briefings'}
            {unread > 0 ? (
              <span className="list-pane__unread">{unread.toLocaleString()} unread</span>
            ) : null}
          </p>
        ) : null}
      </div>
      {state.phase === 'error' && briefings ? (
        <div className="inline-alert" role="alert">
          <span>Showing the list as it was. {state.error.message}</span>
          <button type="button" className="button button--small" onClick={onRetry}>
            Retry
          </button>
        </div>
      ) : null}
      {state.phase === 'loading' ? (
        <div className="list-skeleton" aria-busy="true">
          <span className="visually-hidden" role="status">
            Loading briefings…
          </span>
          {Array.from({ length: 6 }, (_, i) => (
            <div key={i} className="list-skeleton__row" aria-hidden="true">
              <span />
              <span />
              <span />
            </div>
          ))}
        </div>
      ) : !briefings ? (
        <div className="empty-state" role="alert">
          <CircleExclamationPoint aria-hidden="true" size={36} strokeWidth={1.25} />
          <h3>Briefings could not be loaded</h3>
          <p>{state.phase === 'error' ? state.error.message : null}</p>
          <button type="button" className="button" onClick={onRetry}>
            <RefreshCw aria-hidden="true" size={16} />
            Try again
          </button>
        </div>
      ) : briefings.length === 0 ? (
        <div className="empty-state" role="status">
          <Inbox aria-hidden="true" size={36} strokeWidth={1.25} />
          <h3>No briefings yet</h3>
          <p>{emptyAdvice(sync)}</p>
        </div>
      ) : (
        children(briefings)
      )}
    </>
  );
}

function emptyAdvice(sync: SyncStatus | null): string {
  switch (sync?.state) {
    case 'offline':
      return 'This device is offline. Briefings shared with you will arrive as soon as it reconnects.';
    case 'sign-in-needed':
      return 'Sign in to receive the briefings shared with you.';
    case 'error':
      return 'Syncing has a problem, so new briefings cannot arrive yet. Attaché keeps retrying; use Sync now to try at once.';
    default:
      return 'Briefings approved for you appear here within seconds, and stay readable when you are offline.';
  }
}
