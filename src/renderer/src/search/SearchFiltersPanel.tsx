// Filters in words a person uses: what a briefing is marked, how urgent it is, whether it was
// read, who sent it, when, and what it carries. Each active filter also shows as a chip that
// removes it, so what narrows the results is always in sight.
import { useId, useState } from 'react';
import { ListFilter, X } from 'lucide-react';
import type { Classification } from '../../../shared/briefing.js';
import { CLASSIFICATIONS, PRIORITIES } from '../../../shared/briefing.js';
import type { SearchFilters } from '../../../shared/search.js';
import { PRIORITY_LABELS, filterChips, without } from './filter-chips.js';

/** The day filters, each a date field. */
const DAYS = [
  { key: 'after', label: 'Approved on or after' },
  { key: 'before', label: 'Approved on or before' },
] as const;

/** The yes-or-any filters, each a checkbox. */
const FLAGS = [
  { key: 'unread', label: 'Unread only' },
  { key: 'hasAttachments', label: 'Has attachments' },
  { key: 'hasNotes', label: 'Has my notes' },
] as const;

const CLASSIFICATION_LABELS = Object.fromEntries(CLASSIFICATIONS.map((c) => [c, c])) as Readonly<
  Record<Classification, string>
>;

/** A choice of one value, or any. */
function OneOf<T extends string>({
  label,
  values,
  labels,
  value,
  onChange,
}: {
  readonly label: string;
  readonly values: readonly T[];
  readonly labels: Readonly<Record<T, string>>;
  readonly value: T | undefined;
  readonly onChange: (value: T | undefined) => void;
}) {
  return (
    <label>
      <span>{label}</span>
      <select
        value={value ?? ''}
        onChange={(e) => onChange(e.target.value === '' ? undefined : (e.target.value as T))}
      >
        <option value="">Any</option>
        {values.map((v) => (
          <option key={v} value={v}>
            {labels[v]}
          </option>
        ))}
      </select>
    </label>
  );
}

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
  const flag = (key: (typeof FLAGS)[number]['key'], on: boolean) => set(key, on ? true : undefined);

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
          <OneOf
            label="Classification"
            values={CLASSIFICATIONS}
            labels={CLASSIFICATION_LABELS}
            value={filters.classifications?.[0]}
            onChange={(c) => set('classifications', c ? [c] : undefined)}
          />
          <OneOf
            label="Priority"
            values={PRIORITIES}
            labels={PRIORITY_LABELS}
            value={filters.priorities?.[0]}
            onChange={(p) => set('priorities', p ? [p] : undefined)}
          />
          <label className="search-filters__wide">
            <span>From (sender name or role)</span>
            <input
              type="text"
              value={filters.from ?? ''}
              maxLength={200}
              onChange={(e) => set('from', e.target.value)}
            />
          </label>
          {DAYS.map(({ key, label }) => (
            <label key={key}>
              <span>{label}</span>
              <input
                type="date"
                value={filters[key] ?? ''}
                onChange={(e) => set(key, e.target.value)}
              />
            </label>
          ))}
          {FLAGS.map(({ key, label }) => (
            <label key={key} className="search-filters__check">
              <input
                type="checkbox"
                checked={filters[key] === true}
                onChange={(e) => flag(key, e.target.checked)}
              />
              {label}
            </label>
          ))}
        </fieldset>
      ) : null}
    </div>
  );
}
