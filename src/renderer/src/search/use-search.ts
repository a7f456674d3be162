// The search the reader is typing: its words and filters, and the device's latest answer.
// Every change asks again (the index answers in milliseconds), but only the newest answer is
// shown: a slow answer to "crit" never replaces the answer to "critical".
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AppErrorInfo } from '../../../shared/app-error.js';
import type { SearchFilters, SearchResponse } from '../../../shared/search.js';
import { useApi } from '../api/api-context.js';

/** Typing faster than this asks once, for what stands when the typing pauses. */
const SETTLE_MS = 40;
const LIMIT = 50;

export type SearchState = {
  readonly text: string;
  readonly filters: SearchFilters;
  /** Words or filters are set: the reader shows results instead of the list. */
  readonly active: boolean;
  readonly response: SearchResponse | null;
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
  const active = text.trim() !== '' || hasFilters(filters);

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
      void api.search({ text, filters, limit: LIMIT }).then((result) => {
        if (ask !== asked.current) return;
        setBusy(false);
        if (result.ok) {
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

  const clear = useCallback(() => {
    setText('');
    setFilters({});
  }, []);

  return { text, filters, active, response, error, busy, setText, setFilters, clear };
}
