// The briefing list as the reader holds it: the newest page first, further pages as the person
// scrolls (loadMore), and on `briefings:changed` only the summaries of the briefings it names,
// merged into what is held (list-pages.ts). Requests run one at a time, in order, so each page
// is asked at the offset the merges before it left.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { BriefingPage, BriefingSummary } from '../../../shared/ipc.js';
import { LIST_PAGE_SIZE, MAX_LIST_PAGE } from '../../../shared/ipc.js';
import type { AppErrorInfo } from '../../../shared/app-error.js';
import type { Result } from '../../../shared/result.js';
import { useApi } from '../api/api-context.js';
import { appendPage, mergeChanged } from './list-pages.js';

/** The whole list's counts, from the device: the reader holds only the pages it has shown. */
export type ListCounts = { readonly total: number; readonly unread: number };

export type BriefingListState =
  | { readonly phase: 'loading' }
  | ({ readonly phase: 'ready'; readonly briefings: readonly BriefingSummary[] } & ListCounts)
  /** `briefings` keeps the last good list so a failed refresh does not blank the screen. */
  | ({
      readonly phase: 'error';
      readonly error: AppErrorInfo;
      readonly briefings: readonly BriefingSummary[] | null;
    } & ListCounts);

export type BriefingList = {
  readonly state: BriefingListState;
  readonly reload: () => void;
  /** Asks for the next page, if there is one (the list calls it near its end). */
  readonly loadMore: () => void;
  /** Shows a briefing as read at once, before the device confirms through `briefings:changed`. */
  readonly showAsRead: (id: string) => void;
};

type Held = { briefings: BriefingSummary[]; total: number; unread: number } | null;

export function useBriefingList(): BriefingList {
  const api = useApi();
  const [state, setState] = useState<BriefingListState>({ phase: 'loading' });
  const held = useRef<Held>(null);
  const live = useRef(true);
  // What is asked for next: `reload` refetches what is held, `more` the next page, `changed`
  // the briefings changes named. A burst of changes (a sync delivering hundreds of briefings)
  // becomes one request for all of them.
  const wanted = useRef({ reload: true, more: false, changed: new Set<string>() });
  const running = useRef(false);

  const publish = useCallback((next: Held, failure: AppErrorInfo | null) => {
    if (!live.current) return;
    if (failure) {
      setState({
        phase: 'error',
        error: failure,
        briefings: next?.briefings ?? null,
        total: next?.total ?? 0,
        unread: next?.unread ?? 0,
      });
    } else if (next) {
      setState({ phase: 'ready', ...next });
    }
  }, []);

  const step = useCallback(async (): Promise<Result<Held> | null> => {
    const current = held.current;
    const want = wanted.current;
    const counts = (page: BriefingPage) => ({ total: page.total, unread: page.unread });
    if (want.reload || !current) {
      want.reload = false;
      want.changed.clear();
      // What was held, again (the read state of any of it may have changed), at least a page.
      const target = Math.max(LIST_PAGE_SIZE, current?.briefings.length ?? 0);
      let briefings: BriefingSummary[] = [];
      let last: BriefingPage | null = null;
      while (briefings.length < target) {
        const limit = Math.min(MAX_LIST_PAGE, target - briefings.length);
        const result = await api.listBriefings({ offset: briefings.length, limit });
        if (!result.ok) return result;
        last = result.value;
        briefings = appendPage(briefings, result.value.items);
        if (result.value.items.length < limit) break;
      }
      return { ok: true, value: { briefings, ...(last ? counts(last) : { total: 0, unread: 0 }) } };
    }
    if (want.changed.size > 0) {
      const asked = [...want.changed].slice(0, MAX_LIST_PAGE);
      for (const id of asked) want.changed.delete(id);
      const result = await api.getSummaries({ ids: asked });
      if (!result.ok) return result;
      const complete = current.briefings.length >= current.total;
      return {
        ok: true,
        value: {
          briefings: mergeChanged(current.briefings, complete, asked, result.value.items),
          ...counts(result.value),
        },
      };
    }
    if (want.more) {
      want.more = false;
      if (current.briefings.length >= current.total) return null;
      const result = await api.listBriefings({
        offset: current.briefings.length,
        limit: LIST_PAGE_SIZE,
      });
      if (!result.ok) return result;
      return {
        ok: true,
        value: {
          briefings: appendPage(current.briefings, result.value.items),
          ...counts(result.value),
        },
      };
    }
    return null;
  }, [api]);

  const run = useCallback(async () => {
    if (running.current) return;
    running.current = true;
    try {
      for (;;) {
        const result = await step();
        if (!live.current || result === null) return;
        if (result.ok) {
          held.current = result.value;
          publish(result.value, null);
        } else {
          // Asked again on the next change or retry: what failed is not lost, it is refetched.
          wanted.current.reload = true;
          publish(held.current, result.error);
          return;
        }
      }
    } finally {
      running.current = false;
    }
  }, [step, publish]);

  useEffect(() => {
    live.current = true;
    wanted.current.reload = true;
    void run();
    const unsubscribe = api.onBriefingsChanged(({ ids }) => {
      // No ids: something changed for many (receipts restored from the server), so all again.
      if (ids.length === 0) wanted.current.reload = true;
      for (const id of ids) wanted.current.changed.add(id);
      void run();
    });
    return () => {
      live.current = false;
      unsubscribe();
    };
  }, [api, run]);

  const reload = useCallback(() => {
    setState((previous) =>
      previous.phase === 'error' && !previous.briefings ? { phase: 'loading' } : previous,
    );
    wanted.current.reload = true;
    void run();
  }, [run]);

  const loadMore = useCallback(() => {
    const current = held.current;
    if (!current || current.briefings.length >= current.total) return;
    wanted.current.more = true;
    void run();
  }, [run]);

  const showAsRead = useCallback((id: string) => {
    const mark = (list: readonly BriefingSummary[]): BriefingSummary[] | null => {
      const index = list.findIndex((b) => b.id === id);
      const briefing = list[index];
      if (!briefing || briefing.read) return null;
      const next = [...list];
      next[index] = { ...briefing, read: true };
      return next;
    };
    const current = held.current;
    const marked = current ? mark(current.briefings) : null;
    if (!current || !marked) return;
    held.current = { ...current, briefings: marked, unread: Math.max(0, current.unread - 1) };
    setState((previous) =>
      previous.phase === 'loading' || !previous.briefings
        ? previous
        : { ...previous, briefings: marked, unread: Math.max(0, previous.unread - 1) },
    );
  }, []);

  return { state, reload, loadMore, showAsRead };
}
