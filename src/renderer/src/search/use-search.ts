// The search the reader is typing: its words and filters, and the device's latest answer.
// Every change asks again (the index answers in milliseconds), but only the newest answer is
// shown: a slow answer to "crit" never replaces the answer to "critical". Results come a page
// at a time: the first page as the person types, more when they ask (the button at the end of
// the list, or ↓ past the last result); snippets are made only for what is shown.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AppErrorInfo } from '../../../shared/app-error.js';
import type { SearchFilters, SearchHit, SearchResponse } from '../../../shared/search.js';
import { SEARCH_LIMIT_MAX, SEARCH_PAGE } from '../../../shared/search.js';
import { useApi } from '../api/api-context.js';

/** Typing faster than this asks once, for what stands when the typing pauses. */
const SETTLE_MS = 40;

export type SearchState = {
  readonly text: string;
  readonly filters: SearchFilters;
  /** Words or filters are set: the reader shows results instead of the list. */
  readonly active: boolean;
  /** The latest answer, its hits every page loaded so far. */
  readonly response: SearchResponse | null;
  /** More results than those loaded match. */
  readonly hasMore: boolean;
  /** Loads the next page of results (nothing while one is on its way). */
  readonly showMore: () => void;
  readonly error: AppErrorInfo | null;
  /** An answer is on its way for what is typed now. */
  readonly busy: boolean;
  readonly setText: (text: string) => void;
  readonly setFilters: (filters: SearchFilters) => void;
  readonly clear: () => void;
};

export function hasFilters(filters: SearchFilters): boolean {
  return Object.values(filters).some((value) =>
    Array.isArray(value) ? value.length > 0 : value !== undefined && value !== '',
  );
}

export function useSearch(): SearchState {
  const api = useApi();
  const [text, setText] = useState('');
  const [filters, setFilters] = useState<SearchFilters>({});
  const [response, setResponse] = useState<SearchResponse | null>(null);
  const [error, setError] = useState<AppErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const [changes, setChanges] = useState(0);
  const asked = useRef(0);
  /**
   * Hits loaded so far: asking again after a change (a briefing indexed, one read) keeps that
   * many on screen, up to SEARCH_LIMIT_MAX.
   */
  const loaded = useRef(0);
  const loadingMore = useRef(false);
  const active = text.trim() !== '' || hasFilters(filters);
  // New words or filters start from the first page.
  useEffect(() => {
    loaded.current = 0;
  }, [text, filters]);

  useEffect(() => {
    if (!active) {
      asked.current++;
      setResponse(null);
      setError(null);
      setBusy(false);
      return;
    }
    const ask = ++asked.current;
    setBusy(true);
    const timer = setTimeout(() => {
      const limit = Math.min(Math.max(SEARCH_PAGE, loaded.current), SEARCH_LIMIT_MAX);
      void api.search({ text, filters, limit }).then((result) => {
        if (ask !== asked.current) return;
        setBusy(false);
        loadingMore.current = false;
        if (result.ok) {
          loaded.current = result.value.hits.length;
          setResponse(result.value);
          setError(null);
        } else setError(result.error);
      });
    }, SETTLE_MS);
    return () => clearTimeout(timer);
  }, [api, text, filters, active, changes]);

  // New briefings indexed, one unshared, one read: the same search, asked again.
  useEffect(() => {
    const again = () => setChanges((n) => n + 1);
    const offSearch = api.onSearchChanged(again);
    const offBriefings = api.onBriefingsChanged(again);
    return () => {
      offSearch();
      offBriefings();
    };
  }, [api]);

  const hasMore =
    response !== null && (response.totalCapped || response.total > response.hits.length);
  const showMore = useCallback(() => {
    if (!response || !hasMore || loadingMore.current) return;
    loadingMore.current = true;
    const ask = asked.current;
    const shown = response.hits;
    void api.search({ text, filters, limit: SEARCH_PAGE, offset: shown.length }).then((result) => {
      // Typed on meanwhile, or the same search asked again: that answer stands.
      if (ask !== asked.current) return;
      loadingMore.current = false;
      if (!result.ok) {
        setError(result.error);
        return;
      }
      // A briefing indexed meanwhile can move one from this page to the next: shown once.
      const seen = new Set(shown.map((hit) => hit.id));
      const more: SearchHit[] = result.value.hits.filter((hit) => !seen.has(hit.id));
      const hits = [...shown, ...more];
      loaded.current = hits.length;
      // Nothing past the last shown (some left the index meanwhile): there is no more.
      const ended = result.value.hits.length === 0;
      setResponse({
        ...result.value,
        hits,
        ...(ended ? { total: hits.length, totalCapped: false } : {}),
      });
    });
  }, [api, text, filters, response, hasMore]);

  const clear = useCallback(() => {
    setText('');
    setFilters({});
  }, []);

  return {
    text,
    filters,
    active,
    response,
    hasMore,
    showMore,
    error,
    busy,
    setText,
    setFilters,
    clear,
  };
}
