import { useEffect, useState } from 'react';
import type { SessionInfo } from '../../../shared/ipc.js';
import type { AppError } from '../../../shared/result.js';
import { useApi } from './api-context.js';

export type SessionState =
  | { readonly phase: 'loading' }
  | { readonly phase: 'ready'; readonly session: SessionInfo }
  | { readonly phase: 'error'; readonly error: AppError };

export function useSession(): SessionState {
  const api = useApi();
  const [state, setState] = useState<SessionState>({ phase: 'loading' });
  useEffect(() => {
    let live = true;
    void api.getSession({}).then((result) => {
      if (!live) return;
      setState(
        result.ok
          ? { phase: 'ready', session: result.value }
          : { phase: 'error', error: result.error },
      );
    });
    return () => {
      live = false;
    };
  }, [api]);
  return state;
}
