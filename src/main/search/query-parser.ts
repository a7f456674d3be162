// The search field's language, as a person would type it: words (the last one still being
// typed counts as the beginning of a word), "phrases in quotes", and filters written as
// name:value (`priority:urgent`, `classification:protected`, `is:unread`, `from:jordan`,
// `has:attachment`, `has:notes`, `after:2025-01-01`, `before:2025-02-01`). Pure: a string in,
// a ParsedQuery out; nothing here can fail, what is not understood is said in `problems`.
import type { Classification, Priority } from '../../shared/briefing.js';
import { CLASSIFICATIONS, PRIORITIES } from '../../shared/briefing.js';
import type { SearchFilters } from '../../shared/search.js';
import { searchWords } from '../../shared/search-words.js';
import type { ParsedQuery, QueryTerm } from './types.js';

/** A prefix shorter than this matches too much to mean anything. */
export const MIN_PREFIX_LENGTH = 2;
/** At most this many words and phrases are searched; more only slows the answer. */
const MAX_PARTS = 16;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const key = (value: string): string => value.toLowerCase().replace(/[^a-z0-9]/g, '');

const CLASSIFICATION_BY_KEY = new Map<string, Classification>(
  CLASSIFICATIONS.map((c) => [key(c), c]),
);
// What people call them in conversation.
CLASSIFICATION_BY_KEY.set('sensitive', 'OFFICIAL: Sensitive');
CLASSIFICATION_BY_KEY.set('ts', 'TOP SECRET');

const FILTER_NAMES = [
  'classification',
  'class',
  'priority',
  'is',
  'from',
  'has',
  'after',
  'before',
];

/** Splits the text into quoted phrases and bare tokens; an unclosed quote runs to the end. */
function lex(
  text: string,
): { readonly token: string; readonly quoted: boolean; readonly last: boolean }[] {
  const parts: { token: string; quoted: boolean; last: boolean }[] = [];
  const pattern = /(\S*?)"([^"]*)("?)|(\S+)/g;
  for (const match of text.matchAll(pattern)) {
    const end = (match.index ?? 0) + match[0].length;
    const last = end === text.length;
    if (match[4] !== undefined) {
      parts.push({ token: match[4], quoted: false, last });
    } else {
      // `name:"two words"` keeps its name; a bare `"…"` is a phrase.
      const before = match[1] ?? '';
      const inside = match[2] ?? '';
      if (before.endsWith(':')) parts.push({ token: before + inside, quoted: false, last: false });
      else {
        if (before !== '') parts.push({ token: before, quoted: false, last: false });
        parts.push({ token: inside, quoted: true, last: false });
      }
    }
  }
  return parts;
}

function parseDay(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const time = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value ? null : value;
}

/**
 * Applies one `name:value` filter. Returns false when `name` is not a filter's name (the token
 * is then searched as words); a filter with a value it cannot take adds a problem.
 */
function applyFilter(
  name: string,
  value: string,
  filters: Mutable<SearchFilters>,
  problems: string[],
): boolean {
  switch (name) {
    case 'classification':
    case 'class': {
      const found = CLASSIFICATION_BY_KEY.get(key(value));
      if (found) filters.classifications = [...(filters.classifications ?? []), found];
      else
        problems.push(
          `"${value}" is not a classification: use one of ${CLASSIFICATIONS.join(', ')} (spaces may be left out, as in classification:topsecret).`,
        );
      return true;
    }
    case 'priority': {
      const found: Priority | undefined = PRIORITIES.find((p) => p === value.toLowerCase());
      if (found) filters.priorities = [...(filters.priorities ?? []), found];
      else problems.push(`"${value}" is not a priority: use ${PRIORITIES.join(', ')}.`);
      return true;
    }
    case 'is':
      if (['unread', 'new'].includes(value.toLowerCase())) filters.unread = true;
      else if (value.toLowerCase() === 'read') filters.unread = false;
      else problems.push(`is:${value} is not understood: use is:unread or is:read.`);
      return true;
    case 'from':
      if (value.trim() === '') problems.push('from: needs a name, as in from:jordan.');
      else filters.from = [filters.from, value].filter(Boolean).join(' ');
      return true;
    case 'has': {
      const what = value.toLowerCase();
      if (['attachment', 'attachments', 'pdf', 'file', 'files'].includes(what))
        filters.hasAttachments = true;
      else if (['note', 'notes', 'highlight', 'highlights'].includes(what)) filters.hasNotes = true;
      else problems.push(`has:${value} is not understood: use has:attachment or has:notes.`);
      return true;
    }
    case 'after':
    case 'before': {
      const day = parseDay(value);
      if (day === null)
        problems.push(
          `${name}:${value} needs a date written as YYYY-MM-DD, as in ${name}:2025-03-31.`,
        );
      else filters[name] = day;
      return true;
    }
    default:
      return false;
  }
}

export function parseQuery(text: string, given: SearchFilters = {}): ParsedQuery {
  const filters: Mutable<SearchFilters> = { ...given };
  const problems: string[] = [];
  const terms: QueryTerm[] = [];
  const phrases: string[][] = [];
  const seen = new Set<string>();
  const addTerm = (word: string, prefix: boolean): void => {
    const id = `${prefix ? '*' : ''}${word}`;
    if (seen.has(id)) return;
    seen.add(id);
    terms.push({ text: word, prefix });
  };
  // The last word is a prefix only while it is being typed: text ending in a space is finished.
  const typing = text.length > 0 && !/\s$/.test(text);

  for (const part of lex(text)) {
    if (terms.length + phrases.length >= MAX_PARTS) {
      problems.push(`Only the first ${MAX_PARTS} words and phrases are searched.`);
      break;
    }
    if (part.quoted) {
      const words = searchWords(part.token);
      if (words.length === 1) addTerm(words[0] as string, false);
      else if (words.length > 1) phrases.push(words);
      continue;
    }
    const colon = part.token.indexOf(':');
    if (colon > 0) {
      const name = part.token.slice(0, colon).toLowerCase();
      if (FILTER_NAMES.includes(name)) {
        applyFilter(name, part.token.slice(colon + 1), filters, problems);
        continue;
      }
    }
    const words = searchWords(part.token);
    words.forEach((word, i) => {
      const isTyped = part.last && typing && i === words.length - 1;
      addTerm(word, isTyped && word.length >= MIN_PREFIX_LENGTH);
    });
  }
  return { terms, phrases, filters, problems };
}

/** Whether the query asks for anything: words, phrases or a filter. */
export function isEmptyQuery(query: ParsedQuery): boolean {
  const { filters } = query;
  return (
    query.terms.length === 0 &&
    query.phrases.length === 0 &&
    Object.values(filters).every(
      (value) => value === undefined || (Array.isArray(value) && value.length === 0),
    )
  );
}
