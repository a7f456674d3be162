import { useCallback, useEffect, useState } from 'react';
import type { BriefingDetail } from '../../../shared/ipc.js';
import type { AppErrorInfo } from '../../../shared/app-error.js';
import { useApi } from '../api/api-context.js';

export type BriefingState =
  | { readonly phase: 'none' }
  | { readonly phase: 'loading'; readonly id: string }
  | { readonly phase: 'ready'; readonly briefing: BriefingDetail }
  /** Unshared (or never existed): the device no longer holds it. */
  | { readonly phase: 'gone'; readonly id: string }
  | { readonly phase: 'error'; readonly id: string; readonly error: AppErrorInfo };

/** The open briefing, refetched when `briefings:changed` names it (or names nothing in particular). */
export function useBriefing(id: string | null): { state: BriefingState; reload: () => void } {
  const api = useApi();
  const [state, setState] = useState<BriefingState>({ phase: 'none' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (id === null) {
      setState({ phase: 'none' });
      return;
    }
    let live = true;
    const fetchDetail = async (showLoading: boolean) => {
      if (showLoading) setState({ phase: 'loading', id });
      const result = await api.getBriefing({ id });
      if (!live) return;
      if (!result.ok) setState({ phase: 'error', id, error: result.error });
      else if (result.value === null) setState({ phase: 'gone', id });
      else setState({ phase: 'ready', briefing: result.value });
    };
    void fetchDetail(true);
    const unsubscribe = api.onBriefingsChanged(({ ids }) => {
      // Refresh in place: a new version replaces the old without flashing a loading state.
      if (ids.length === 0 || ids.includes(id)) void fetchDetail(false);
    });
    return () => {
      live = false;
      unsubscribe();
    };
  }, [api, id, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { state, reload };
}
