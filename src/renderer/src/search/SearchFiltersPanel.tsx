// Filters in words a person uses: what a briefing is marked, how urgent it is, whether it was
// read, who sent it, when, and what it carries. Each active filter also shows as a chip that
// removes it, so what narrows the results is always in sight.
import { useId, useState } from 'react';
import { ListFilter, X } from 'lucide-react';
import type { Classification, Priority } from '../../../shared/briefing.js';
import { CLASSIFICATIONS, PRIORITIES } from '../../../shared/briefing.js';
import type { SearchFilters } from '../../../shared/search.js';
import { PRIORITY_LABELS, filterChips, without } from './filter-chips.js';

export function SearchFiltersPanel({
  filters,
  onChange,
}: {
  readonly filters: SearchFilters;
  readonly onChange: (filters: SearchFilters) => void;
}) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const chips = filterChips(filters);
  const set = <K extends keyof SearchFilters>(key: K, value: SearchFilters[K] | undefined) =>
    onChange(
      value === undefined || value === '' ? without(filters, key) : { ...filters, [key]: value },
    );
  const flag = (key: 'unread' | 'hasAttachments' | 'hasNotes', on: boolean) =>
    set(key, on ? true : undefined);

  return (
    <div className="search-filters">
      <div className="search-filters__bar">
        <button
          type="button"
          className="button button--secondary button--small"
          aria-expanded={open}
          aria-controls={`${id}-panel`}
          onClick={() => setOpen((o) => !o)}
        >
          <ListFilter aria-hidden="true" size={14} />
          Filters{chips.length > 0 ? ` (${chips.length})` : ''}
        </button>
        <ul className="search-filters__chips" aria-label="Active filters">
          {chips.map((chip) => (
            <li key={chip.key}>
              <button
                type="button"
                className="filter-chip"
                aria-label={`Remove filter: ${chip.label}`}
                onClick={() => onChange(chip.without)}
              >
                {chip.label}
                <X aria-hidden="true" size={12} />
              </button>
            </li>
          ))}
        </ul>
      </div>
      {open ? (
        <fieldset id={`${id}-panel`} className="search-filters__panel">
          <legend className="visually-hidden">Search filters</legend>
          <label>
            <span>Classification</span>
            <select
              value={filters.classifications?.[0] ?? ''}
              onChange={(e) =>
                set(
                  'classifications',
                  e.target.value ? [e.target.value as Classification] : undefined,
                )
              }
            >
              <option value="">Any</option>
              {CLASSIFICATIONS.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>Priority</span>
            <select
              value={filters.priorities?.[0] ?? ''}
              onChange={(e) =>
                set('priorities', e.target.value ? [e.target.value as Priority] : undefined)
              }
            >
              <option value="">Any</option>
              {PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {PRIORITY_LABELS[p]}
                </option>
              ))}
            </select>
          </label>
          <label className="search-filters__wide">
            <span>From (sender name or role)</span>
            <input
              type="text"
              value={filters.from ?? ''}
              maxLength={200}
              onChange={(e) => set('from', e.target.value)}
            />
          </label>
          <label>
            <span>Approved on or after</span>
            <input
              type="date"
              value={filters.after ?? ''}
              onChange={(e) => set('after', e.target.value)}
            />
          </label>
          <label>
            <span>Approved on or before</span>
            <input
              type="date"
              value={filters.before ?? ''}
              onChange={(e) => set('before', e.target.value)}
            />
          </label>
          <label className="search-filters__check">
            <input
              type="checkbox"
              checked={filters.unread === true}
              onChange={(e) => flag('unread', e.target.checked)}
            />
            Unread only
          </label>
          <label className="search-filters__check">
            <input
              type="checkbox"
              checked={filters.hasAttachments === true}
              onChange={(e) => flag('hasAttachments', e.target.checked)}
            />
            Has attachments
          </label>
          <label className="search-filters__check">
            <input
              type="checkbox"
              checked={filters.hasNotes === true}
              onChange={(e) => flag('hasNotes', e.target.checked)}
            />
            Has my notes
          </label>
        </fieldset>
      ) : null}
    </div>
  );
}
