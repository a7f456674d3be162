import { useCallback, useEffect, useRef, useState } from 'react';
import type { BriefingSummary } from '../../../shared/ipc.js';
import type { AppErrorInfo } from '../../../shared/app-error.js';
import { useApi } from '../app/api-context.js';

export type BriefingListState =
  | { readonly phase: 'loading' }
  | { readonly phase: 'ready'; readonly briefings: readonly BriefingSummary[] }
  /** `briefings` keeps the last good list so a failed refresh does not blank the screen. */
  | {
      readonly phase: 'error';
      readonly error: AppErrorInfo;
      readonly briefings: readonly BriefingSummary[] | null;
    };

export type BriefingList = {
  readonly state: BriefingListState;
  readonly reload: () => void;
  /** Shows a briefing as read at once, before the device confirms through `briefings:changed`. */
  readonly showAsRead: (id: string) => void;
};

export function useBriefingList(): BriefingList {
  const api = useApi();
  const [state, setState] = useState<BriefingListState>({ phase: 'loading' });
  const fetching = useRef(false);
  const fetchAgain = useRef(false);
  const live = useRef(true);

  // A burst of `briefings:changed` events (a sync delivering hundreds of briefings) becomes at
  // most one request in flight plus one after it, never a request per event.
  const load = useCallback(async () => {
    if (fetching.current) {
      fetchAgain.current = true;
      return;
    }
    fetching.current = true;
    try {
      do {
        fetchAgain.current = false;
        const result = await api.listBriefings({});
        if (!live.current) return;
        setState((previous) =>
          result.ok
            ? { phase: 'ready', briefings: result.value }
            : {
                phase: 'error',
                error: result.error,
                briefings: previous.phase === 'loading' ? null : previous.briefings,
              },
        );
      } while (fetchAgain.current);
    } finally {
      fetching.current = false;
    }
  }, [api]);

  useEffect(() => {
    live.current = true;
    void load();
    const unsubscribe = api.onBriefingsChanged(() => void load());
    return () => {
      live.current = false;
      unsubscribe();
    };
  }, [api, load]);

  const reload = useCallback(() => {
    setState((previous) =>
      previous.phase === 'error' && !previous.briefings ? { phase: 'loading' } : previous,
    );
    void load();
  }, [load]);

  const showAsRead = useCallback((id: string) => {
    setState((previous) => {
      if (previous.phase === 'loading' || !previous.briefings) return previous;
      const index = previous.briefings.findIndex((b) => b.id === id);
      const briefing = previous.briefings[index];
      if (!briefing || briefing.read) return previous;
      const briefings = [...previous.briefings];
      briefings[index] = { ...briefing, read: true };
      return { ...previous, briefings };
    });
  }, []);

  return { state, reload, showAsRead };
}
