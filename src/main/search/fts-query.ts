// Turning a parsed query into what SQLite's FTS5 runs, and its filters into a test of a
// briefing's metadata. Pure, so each rule is tested case by case
// (tests/unit/device/search-query.test.ts).
//
// Nothing the person typed reaches FTS5's query language as syntax: every word is quoted (FTS5
// operators, column filters and NEAR groups inside the text are just words). Filters never reach
// SQL at all: they are tested on the metadata the index keeps in memory (meta-cache.ts).
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

/** One word as an FTS5 expression: itself, or (a prefix) any word it begins. */
export function termMatch(word: string, prefix: boolean): string {
  return `${quoted([word])}${prefix ? '*' : ''}`;
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
      termMatch(term.text, term.prefix),
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

/**
 * The query's words and phrases (not its `from:` words), each to be found in the title: the
 * first tier of a ranking without BM25. Null when the query has none.
 */
export function titleMatch(
  query: ParsedQuery,
  expansions: ReadonlyMap<string, readonly string[]> = new Map(),
): string | null {
  const words = buildMatch({ ...query, filters: {} }, expansions);
  return words === null ? null : `{title} : (${words})`;
}

/** What the filters look at in one indexed briefing. */
export type FilterFacts = {
  /** Its row in the index. */
  readonly rowid: number;
  readonly id: string;
  readonly classification: string;
  readonly priority: string;
  /** When it was approved, in milliseconds since 1970 (UTC). */
  readonly approvedTime: number;
  readonly sourceVersion: number;
  readonly attachmentCount: number;
};

/** What the filters need beyond a briefing's own facts. */
export type FilterContext = {
  /** Whether the reader's own notes on a briefing hold any text. */
  readonly hasNotes: (id: string) => boolean;
  /** Whether the reader has read the briefing (readTest); without it, `unread` is ignored. */
  readonly isRead?: ((briefing: FilterFacts) => boolean) | undefined;
};

/**
 * Read means this version, or a later one, was read: `readVersions` holds the newest version of
 * each briefing the reader has read.
 */
export function readTest(
  readVersions: ReadonlyMap<string, number>,
): (briefing: FilterFacts) => boolean {
  return (b) => (readVersions.get(b.id) ?? -Infinity) >= b.sourceVersion;
}

/** Midnight UTC at the start of a day given as YYYY-MM-DD, in milliseconds. */
const dayStart = (day: string): number => Date.parse(`${day}T00:00:00.000Z`);

/**
 * The filters as one test of a briefing, or null when there are none. Days are whole UTC days:
 * `after` from its midnight on, `before` up to the midnight that ends it.
 */
export function filterTest(
  filters: SearchFilters,
  context: FilterContext,
): ((briefing: FilterFacts) => boolean) | null {
  const tests: ((b: FilterFacts) => boolean)[] = [];
  const anyOf = (values: readonly string[] | undefined, field: (b: FilterFacts) => string) => {
    if (!values || values.length === 0) return;
    const allowed = new Set(values);
    tests.push((b) => allowed.has(field(b)));
  };
  anyOf(filters.classifications, (b) => b.classification);
  anyOf(filters.priorities, (b) => b.priority);
  // A time that could not be read is outside every range, either end.
  if (filters.after) {
    const from = dayStart(filters.after);
    tests.push((b) => Number.isFinite(b.approvedTime) && b.approvedTime >= from);
  }
  if (filters.before) {
    const until = dayStart(filters.before) + 86_400_000;
    tests.push((b) => Number.isFinite(b.approvedTime) && b.approvedTime < until);
  }
  if (filters.hasAttachments !== undefined) {
    const wanted = filters.hasAttachments;
    tests.push((b) => b.attachmentCount > 0 === wanted);
  }
  // The reader's own notes, as the annotations capability fed them in (SearchIndex.setNotes).
  if (filters.hasNotes !== undefined) {
    const wanted = filters.hasNotes;
    tests.push((b) => context.hasNotes(b.id) === wanted);
  }
  const isRead = context.isRead;
  if (filters.unread !== undefined && isRead) {
    const wanted = filters.unread;
    tests.push((b) => !isRead(b) === wanted);
  }
  if (tests.length === 0) return null;
  return (b) => tests.every((test) => test(b));
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
