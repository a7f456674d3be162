// How search tells words apart and matches them, shared by the index (main, its own thread),
// the reader's highlighting of a briefing's text and of a PDF's page: letters and digits, case
// and accents ignored, so what was found is what is marked. Nothing here imports a library: the
// index's thread loads this at its start, and every module it loads is time before the first
// answer.

/**
 * Counted up to this many: past it the reader says "more than 1,000", as a mail client does.
 * Counting every match of a short prefix (half the briefings) cost more than the whole page.
 */
export const SEARCH_COUNT_CAP = 1_000;

/** What to mark in a briefing's text: whole words, word beginnings and phrases. */
export type SearchHighlight = {
  readonly terms: readonly { readonly text: string; readonly prefix: boolean }[];
  readonly phrases: readonly (readonly string[])[];
};

// eslint-disable-next-line no-control-regex
const ASCII = /^[\u0000-\u007f]*$/;

/** Case and accents do not matter: "Résumé" and "resume" are one word. */
export function normalizeWord(word: string): string {
  // Plain ASCII (most words) has no accents to take off: the Unicode work is skipped.
  if (ASCII.test(word)) return word.toLowerCase();
  return word
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

const WORD = /[\p{L}\p{N}]+/gu;

export type WordSpan = { readonly word: string; readonly start: number; readonly end: number };

/** The words of a text with where each stands in it (offsets into the original text). */
export function wordSpans(text: string): WordSpan[] {
  const spans: WordSpan[] = [];
  for (const match of text.matchAll(WORD)) {
    const start = match.index;
    const word = normalizeWord(match[0]);
    // A run of combining marks alone normalises to nothing: not a word.
    if (word !== '') spans.push({ word, start, end: start + match[0].length });
  }
  return spans;
}

/** The normalised words of a text, in order. */
export function searchWords(text: string): string[] {
  return wordSpans(text).map((span) => span.word);
}

/**
 * Where the highlight matches in `text`: half-open [start, end) ranges in its own offsets,
 * sorted and not overlapping. A term matches a whole word (or the beginning of one, for a
 * prefix term); a phrase matches its words in a row, whatever lies between them that is not a
 * word (spaces, punctuation, line breaks).
 */
export function findMatches(
  text: string,
  highlight: SearchHighlight,
): { readonly start: number; readonly end: number }[] {
  const spans = wordSpans(text);
  const exact = new Set(highlight.terms.filter((t) => !t.prefix).map((t) => t.text));
  const prefixes = highlight.terms.filter((t) => t.prefix && t.text !== '').map((t) => t.text);
  const phrases = highlight.phrases.filter((p) => p.length > 0);
  const ranges: { start: number; end: number }[] = [];
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i] as WordSpan;
    let end = -1;
    for (const phrase of phrases) {
      if (i + phrase.length > spans.length) continue;
      if (phrase.every((word, k) => (spans[i + k] as WordSpan).word === word)) {
        end = Math.max(end, (spans[i + phrase.length - 1] as WordSpan).end);
      }
    }
    if (end < 0 && (exact.has(span.word) || prefixes.some((p) => span.word.startsWith(p)))) {
      end = span.end;
    }
    if (end < 0) continue;
    const last = ranges[ranges.length - 1];
    if (last && span.start < last.end) last.end = Math.max(last.end, end);
    else ranges.push({ start: span.start, end });
  }
  return ranges;
}

export const EMPTY_HIGHLIGHT: SearchHighlight = { terms: [], phrases: [] };
