// The words of the index a mistyped word may have meant (search-index.sqlite.ts asks only when
// a query finds nothing: every word must match, so a query that finds something has none to
// correct).
import { editDistance, termMatch, typoAllowance } from './fts-query.js';
import type { prepareStatements } from './search-statements.sqlite.js';

type Statements = ReturnType<typeof prepareStatements>;

/** Typo candidates kept per word: the closest, then the most common. */
const MAX_EXPANSIONS = 3;

/** The first string after every string that starts with `prefix`. */
function prefixEnd(prefix: string): string {
  return prefix + '\u{10FFFF}';
}

/** Words of the index a mistyped word may have meant, closest and most common first. */
export function typoExpansions(statements: Statements, word: string, prefix: boolean): string[] {
  const allowed = typoAllowance(word);
  if (allowed === 0) return [];
  // A word the index has (or, being typed, the beginning of one) is taken as meant. A whole
  // word is asked of the index itself, which stops at its first briefing (0.03 ms; the
  // vocabulary table counts all of them first, 0.2 to 0.5 ms); the beginning of one of the
  // vocabulary, which stops at the first word (the index would open the list of every word
  // it begins, up to 6 ms for six letters).
  const known = prefix
    ? statements.anyWithPrefix.get(word, prefixEnd(word))
    : statements.anyMatch.get(termMatch(word, false));
  if (known !== undefined) return [];
  // Typos rarely touch the first letter; keeping it bounds the words to compare.
  const first = String.fromCodePoint(word.codePointAt(0) as number);
  const candidates: { term: string; distance: number; doc: number }[] = [];
  for (const row of statements.termRange.iterate(first, prefixEnd(first))) {
    const distance = editDistance(word, row.term, allowed);
    if (distance <= allowed) candidates.push({ term: row.term, distance, doc: row.doc });
  }
  return candidates
    .sort((a, b) => a.distance - b.distance || b.doc - a.doc)
    .slice(0, MAX_EXPANSIONS)
    .map((c) => c.term);
}
