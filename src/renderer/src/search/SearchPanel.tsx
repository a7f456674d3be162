// The search field and its results, at the top of the list pane. The field is a combobox that
// owns a listbox of results (WAI-ARIA combobox pattern): focus stays in the field while ↓/↑
// move through the results, Enter opens the current one, Escape clears. Titles and snippets are
// text segments from the device, rendered as text with <mark> around the matches: nothing in
// a briefing can become markup here.
import {
  Fragment,
  useEffect,
  useId,
  useState,
  type KeyboardEvent,
  type ReactNode,
  type RefObject,
} from 'react';
import { Paperclip, Search, X } from 'lucide-react';
import type {
  SearchHighlight,
  SearchHit,
  SnippetSegment,
  SnippetSource,
} from '../../../shared/search.js';
import { MarkingBadge, PriorityTag } from '../ui/markings.js';
import { formatAbsolute, formatDateTime, parseTime } from '../ui/time.js';
import { countWording } from './count-wording.js';
import { SearchFiltersPanel } from './SearchFiltersPanel.js';
import type { SearchState } from './use-search.js';

export type OpenFromSearch = (
  id: string,
  highlight: SearchHighlight,
  how: 'keyboard' | 'pointer',
) => void;

const SOURCE_LABELS: Readonly<Record<SnippetSource, string>> = {
  summary: 'Summary',
  body: 'Text',
  sender: 'Sender',
  attachments: 'Attachment',
  notes: 'My notes',
};

export function Segments({ segments }: { readonly segments: readonly SnippetSegment[] }) {
  return segments.map((segment, i) =>
    segment.match ? (
      <mark key={i}>{segment.text}</mark>
    ) : (
      <Fragment key={i}>{segment.text}</Fragment>
    ),
  );
}

export function SearchField({
  search,
  inputRef,
  onOpen,
}: {
  readonly search: SearchState;
  readonly inputRef: RefObject<HTMLInputElement | null>;
  readonly onOpen: OpenFromSearch;
}) {
  const id = useId();
  const listId = `${id}-results`;
  const hits = search.response?.hits ?? [];
  const [current, setCurrent] = useState(0);
  // New words or filters start at the first result; more results loaded keep the place.
  useEffect(() => setCurrent(0), [search.text, search.filters]);
  const activeHit = hits[Math.min(current, hits.length - 1)];
  const optionId = (hit: SearchHit) => `${id}-hit-${hit.id}`;

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Escape') {
      if (search.text !== '' || search.active) {
        event.preventDefault();
        event.stopPropagation();
        search.clear();
      } else inputRef.current?.blur();
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      if (hits.length === 0) return;
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      // ↓ on the last result loads the next page; the next ↓ moves into it.
      if (step === 1 && current >= hits.length - 1 && search.hasMore) search.showMore();
      setCurrent((c) => Math.max(0, Math.min(hits.length - 1, c + step)));
    } else if (event.key === 'Enter' && activeHit && search.response) {
      event.preventDefault();
      onOpen(activeHit.id, search.response.highlight, 'keyboard');
    }
  };

  useEffect(() => {
    if (activeHit)
      document.getElementById(optionId(activeHit))?.scrollIntoView({ block: 'nearest' });
  });

  return (
    <div className="search" role="search">
      <div className="search__field">
        <Search aria-hidden="true" size={16} className="search__icon" />
        <input
          ref={inputRef}
          type="search"
          className="search__input"
          role="combobox"
          aria-label="Search briefings"
          aria-autocomplete="list"
          aria-controls={listId}
          aria-expanded={search.active && hits.length > 0}
          aria-activedescendant={search.active && activeHit ? optionId(activeHit) : undefined}
          aria-describedby={`${id}-hint`}
          placeholder="Search briefings"
          autoComplete="off"
          spellCheck={false}
          maxLength={500}
          value={search.text}
          onChange={(e) => search.setText(e.target.value)}
          onKeyDown={onKeyDown}
        />
        <kbd className="search__shortcut" aria-hidden="true">
          {navigator.platform.startsWith('Mac') ? '⌘K' : 'Ctrl K'}
        </kbd>
        {search.text !== '' ? (
          <button
            type="button"
            className="icon-button search__clear"
            aria-label="Clear search"
            title="Clear search (Esc)"
            onClick={() => {
              search.clear();
              inputRef.current?.focus();
            }}
          >
            <X aria-hidden="true" size={16} />
          </button>
        ) : null}
      </div>
      <p id={`${id}-hint`} className="visually-hidden">
        Type words to search titles, text, senders and attachments; quotes find a phrase. Up and
        down arrows move through the results, Enter opens one, Escape clears.
      </p>
      <SearchFiltersPanel filters={search.filters} onChange={search.setFilters} />
      {search.response?.problems.length ? (
        <ul className="search__problems">
          {search.response.problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      ) : null}
      {search.active ? (
        <SearchResults
          listId={listId}
          search={search}
          currentId={activeHit?.id ?? null}
          optionId={optionId}
          onPick={(hit) => {
            setCurrent(hits.indexOf(hit));
            if (search.response) onOpen(hit.id, search.response.highlight, 'pointer');
          }}
        />
      ) : (
        <ul id={listId} role="listbox" aria-label="Search results" hidden />
      )}
    </div>
  );
}

function SearchResults({
  listId,
  search,
  currentId,
  optionId,
  onPick,
}: {
  readonly listId: string;
  readonly search: SearchState;
  readonly currentId: string | null;
  readonly optionId: (hit: SearchHit) => string;
  readonly onPick: (hit: SearchHit) => void;
}) {
  const { response, error } = search;
  let status: ReactNode;
  if (error) status = error.message;
  else if (!response) status = 'Searching…';
  else status = countWording(response.total, response.pending, response.totalCapped);

  return (
    <div className="search-results">
      <p className="search-results__count" role="status" data-testid="search-count">
        {status}
      </p>
      <ul
        id={listId}
        role="listbox"
        aria-label="Search results"
        className="search-results__list"
        data-testid="search-results"
      >
        {(response?.hits ?? []).map((hit) => (
          <SearchResult
            key={hit.id}
            hit={hit}
            id={optionId(hit)}
            current={hit.id === currentId}
            onPick={onPick}
          />
        ))}
      </ul>
      {response && search.hasMore ? (
        <div className="search-results__more">
          <p>
            Showing the best {response.hits.length.toLocaleString()}; add words or filters to narrow
            the search.
          </p>
          <button
            type="button"
            className="button button--small"
            data-testid="search-more"
            // The field keeps focus, as when a result is picked.
            onMouseDown={(e) => e.preventDefault()}
            onClick={search.showMore}
          >
            Show more results
          </button>
        </div>
      ) : null}
    </div>
  );
}

function SearchResult({
  hit,
  id,
  current,
  onPick,
}: {
  readonly hit: SearchHit;
  readonly id: string;
  readonly current: boolean;
  readonly onPick: (hit: SearchHit) => void;
}) {
  const approvedMs = parseTime(hit.approvedAt);
  return (
    <li
      id={id}
      role="option"
      aria-selected={current}
      className="search-hit"
      data-briefing-id={hit.id}
      data-unread={hit.read ? undefined : 'true'}
      // The field keeps focus; a press picks without moving it.
      onMouseDown={(e) => e.preventDefault()}
      onClick={() => onPick(hit)}
    >
      <span className="search-hit__title">
        {hit.read ? null : <span className="visually-hidden">Unread: </span>}
        <Segments segments={hit.title} />
      </span>
      <span className="search-hit__meta">
        <MarkingBadge marking={hit.classification} />
        <PriorityTag priority={hit.priority} />
        <span className="search-hit__sender">{hit.senderName}</span>
        {approvedMs !== null ? (
          <time dateTime={hit.approvedAt} title={formatAbsolute(approvedMs)}>
            {formatDateTime(approvedMs)}
          </time>
        ) : null}
        {hit.attachmentCount > 0 ? (
          <Paperclip aria-label={`${hit.attachmentCount} attachments`} size={12} />
        ) : null}
      </span>
      {hit.snippet.length > 0 ? (
        <span className="search-hit__snippet" data-testid="search-snippet">
          <span className="search-hit__source">{SOURCE_LABELS[hit.snippetSource]}: </span>
          <Segments segments={hit.snippet} />
        </span>
      ) : null}
    </li>
  );
}
