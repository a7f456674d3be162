// The filters as a person reads them: one chip per filter that is set, each saying in words
// what it keeps, and each removing only its own filter.
import type { Priority } from '../../../shared/briefing.js';
import type { SearchFilters } from '../../../shared/search.js';

export const PRIORITY_LABELS: Readonly<Record<Priority, string>> = {
  routine: 'Routine',
  priority: 'Priority',
  urgent: 'Urgent',
};

export type FilterChip = {
  readonly key: string;
  readonly label: string;
  readonly without: SearchFilters;
};

export function without(filters: SearchFilters, key: keyof SearchFilters): SearchFilters {
  const next = { ...filters };
  delete next[key];
  return next;
}

/** One chip per filter that is set, each saying in words what it keeps. */
export function filterChips(filters: SearchFilters): FilterChip[] {
  const chips: FilterChip[] = [];
  const add = (key: keyof SearchFilters, label: string) =>
    chips.push({ key, label, without: without(filters, key) });
  if (filters.classifications?.length) add('classifications', filters.classifications.join(' or '));
  if (filters.priorities?.length)
    add('priorities', filters.priorities.map((p) => PRIORITY_LABELS[p]).join(' or '));
  if (filters.unread === true) add('unread', 'Unread');
  if (filters.unread === false) add('unread', 'Read');
  if (filters.from) add('from', `From ${filters.from}`);
  if (filters.after) add('after', `On or after ${filters.after}`);
  if (filters.before) add('before', `On or before ${filters.before}`);
  if (filters.hasAttachments === true) add('hasAttachments', 'Has attachments');
  if (filters.hasNotes === true) add('hasNotes', 'Has my notes');
  return chips;
}
