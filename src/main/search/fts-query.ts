// Turning a parsed query into what SQLite's FTS5 runs. Pure, so each rule is tested case by
// case (tests/unit/device/search-query.test.ts).
//
// Nothing the person typed reaches FTS5's query language as syntax: every word is quoted (FTS5
// operators, column filters and NEAR groups inside the text are just words), and filters are
// bound parameters of plain SQL.
import type { SearchFilters } from '../../shared/search.js';
import { searchWords } from '../../shared/search-words.js';
import type { ParsedQuery } from './types.js';

/** Control characters cannot be searched for or shown; they become spaces in the index. */
export function cleanText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, ' ');
}

/** One FTS5 string: the words in double quotes (a phrase when several), quotes doubled. */
function quoted(words: readonly string[]): string {
  return `"${words.join(' ').replace(/"/g, '""')}"`;
}

/**
 * The MATCH expression: every term and phrase must match (in any column), a term as itself or
 * as one of the words the index took for a typo of it (`expansions`), a prefix term as the
 * beginning of a word; `from:` words must match the sender's name or role. Null when the query
 * has no words (filters only).
 */
export function buildMatch(
  query: ParsedQuery,
  expansions: ReadonlyMap<string, readonly string[]> = new Map(),
): string | null {
  const parts: string[] = [];
  for (const term of query.terms) {
    const alternatives = [
      `${quoted([term.text])}${term.prefix ? '*' : ''}`,
      ...(expansions.get(term.text) ?? []).map((word) => quoted([word])),
    ];
    parts.push(alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join(' OR ')})`);
  }
  for (const phrase of query.phrases) parts.push(quoted(phrase));
  const from = searchWords(query.filters.from ?? '');
  if (from.length > 0) {
    parts.push(`{sender} : (${from.map((w) => `${quoted([w])}*`).join(' AND ')})`);
  }
  return parts.length === 0 ? null : parts.join(' AND ');
}

/** SQL conditions on the `meta` table (alias m) for the filters, with their parameters. */
export function buildFilterSql(filters: SearchFilters): {
  readonly where: readonly string[];
  readonly params: readonly (string | number)[];
} {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const anyOf = (column: string, values: readonly string[] | undefined): void => {
    if (!values || values.length === 0) return;
    where.push(`m.${column} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  anyOf('classification', filters.classifications);
  anyOf('priority', filters.priorities);
  // Days are UTC; approvedAt is an ISO time, so comparing strings orders them.
  if (filters.after) {
    where.push('m.approved_at >= ?');
    params.push(`${filters.after}T00:00:00.000Z`);
  }
  if (filters.before) {
    where.push('m.approved_at < ?');
    params.push(new Date(Date.parse(`${filters.before}T00:00:00Z`) + 86_400_000).toISOString());
  }
  if (filters.hasAttachments === true) where.push('m.attachment_count > 0');
  if (filters.hasAttachments === false) where.push('m.attachment_count = 0');
  // The reader's own notes, as the annotations capability fed them in (SearchIndex.setNotes).
  if (filters.hasNotes === true)
    where.push(`EXISTS (SELECT 1 FROM notes n WHERE n.id = m.id AND n.text <> '')`);
  if (filters.hasNotes === false)
    where.push(`NOT EXISTS (SELECT 1 FROM notes n WHERE n.id = m.id AND n.text <> '')`);
  return { where, params };
}

/**
 * Edit distance (insertions, deletions, substitutions, and two neighbours swapped) between two
 * words, or `max + 1` as soon as it is known to exceed `max`.
 */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  let before2: number[] = previous;
  for (let i = 1; i <= a.length; i++) {
    const current: number[] = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, (before2[j - 2] as number) + 1);
      }
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return max + 1;
    before2 = previous;
    previous = current;
  }
  return Math.min(previous[b.length] as number, max + 1);
}

/** How many typing mistakes a word of this length may carry and still be found. */
export function typoAllowance(word: string): number {
  if (word.length < 4) return 0;
  return word.length < 8 ? 1 : 2;
}
