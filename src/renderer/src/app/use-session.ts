import { useEffect, useState } from 'react';
import type { SessionInfo } from '../../../shared/ipc.js';
import type { AppErrorInfo } from '../../../shared/app-error.js';
import { useApi } from '../api/api-context.js';

export type SessionState =
  | { readonly phase: 'loading' }
  | { readonly phase: 'ready'; readonly session: SessionInfo }
  | { readonly phase: 'error'; readonly error: AppErrorInfo };

/** Who is signed in, and any sign-in in progress: fetched once, then kept current by events. */
export function useSession(): SessionState {
  const api = useApi();
  const [state, setState] = useState<SessionState>({ phase: 'loading' });
  useEffect(() => {
    let live = true;
    let heardEvent = false;
    const unsubscribe = api.onSessionChanged((session) => {
      heardEvent = true;
      if (live) setState({ phase: 'ready', session });
    });
    void api.getSession({}).then((result) => {
      // An event that arrived while the request was in flight is newer than its answer.
      if (!live || heardEvent) return;
      setState(
        result.ok
          ? { phase: 'ready', session: result.value }
          : { phase: 'error', error: result.error },
      );
    });
    return () => {
      live = false;
      unsubscribe();
    };
  }, [api]);
  return state;
}
