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
  return ASCII.test(text) ? asciiMatches(text, highlight) : unicodeMatches(text, highlight);
}

/** The highlight's parts, each looked for the way the match rules say. */
function parts(highlight: SearchHighlight) {
  return {
    exact: highlight.terms.filter((t) => !t.prefix).map((t) => t.text),
    prefixes: highlight.terms.filter((t) => t.prefix && t.text !== '').map((t) => t.text),
    phrases: highlight.phrases.filter((p) => p.length > 0),
  };
}

/** Adds [start, end) to sorted, non-overlapping ranges (joined with the last if they overlap). */
function addRange(ranges: { start: number; end: number }[], start: number, end: number): void {
  const last = ranges[ranges.length - 1];
  if (last && start < last.end) last.end = Math.max(last.end, end);
  else ranges.push({ start, end });
}

function unicodeMatches(text: string, highlight: SearchHighlight) {
  const spans = wordSpans(text);
  const { exact, prefixes, phrases } = parts(highlight);
  const exactSet = new Set(exact);
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
    if (end < 0 && (exactSet.has(span.word) || prefixes.some((p) => span.word.startsWith(p)))) {
      end = span.end;
    }
    if (end >= 0) addRange(ranges, span.start, end);
  }
  return ranges;
}

/** An ASCII letter or digit: in ASCII text, exactly what WORD takes for a word's letters. */
export function isAsciiWordCode(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** A reader of words: `next()` moves to the next one (false at the end), which stands at [start, end). */
export type WordReader = { start: number; end: number; next: () => boolean };

/**
 * The words of ASCII text from `from` on, read by their character codes only as far as asked,
 * without a string or an object per word.
 */
export function asciiWords(text: string, from: number): WordReader {
  let at = from;
  const reader: WordReader = {
    start: 0,
    end: 0,
    next: () => {
      while (at < text.length && !isAsciiWordCode(text.charCodeAt(at))) at++;
      if (at >= text.length) return false;
      reader.start = at;
      while (at < text.length && isAsciiWordCode(text.charCodeAt(at))) at++;
      reader.end = at;
      return true;
    },
  };
  return reader;
}

/**
 * The same answer as unicodeMatches for ASCII text (where normalising a word is lower-casing
 * it), without a string or an object per word: the words are compared in place in one
 * lower-cased copy. Snippets and titles are made for every result of every keystroke.
 */
function asciiMatches(text: string, highlight: SearchHighlight) {
  const lower = text.toLowerCase();
  const { exact, prefixes, phrases } = parts(highlight);
  const starts: number[] = [];
  const ends: number[] = [];
  for (const words = asciiWords(lower, 0); words.next();) {
    starts.push(words.start);
    ends.push(words.end);
  }
  const wordIs = (i: number, word: string): boolean =>
    (ends[i] as number) - (starts[i] as number) === word.length &&
    lower.startsWith(word, starts[i]);
  // Plain loops, no callback per word: this runs for every title and snippet of every keystroke.
  const ranges: { start: number; end: number }[] = [];
  for (let i = 0; i < starts.length; i++) {
    let end = -1;
    for (let p = 0; p < phrases.length; p++) {
      const phrase = phrases[p] as readonly string[];
      if (i + phrase.length > starts.length) continue;
      let k = 0;
      while (k < phrase.length && wordIs(i + k, phrase[k] as string)) k++;
      if (k === phrase.length) end = Math.max(end, ends[i + phrase.length - 1] as number);
    }
    const length = (ends[i] as number) - (starts[i] as number);
    for (let t = 0; end < 0 && t < exact.length; t++) {
      if (wordIs(i, exact[t] as string)) end = ends[i] as number;
    }
    for (let t = 0; end < 0 && t < prefixes.length; t++) {
      const prefix = prefixes[t] as string;
      if (prefix.length <= length && lower.startsWith(prefix, starts[i])) end = ends[i] as number;
    }
    if (end >= 0) addRange(ranges, starts[i] as number, end);
  }
  return ranges;
}

export const EMPTY_HIGHLIGHT: SearchHighlight = { terms: [], phrases: [] };
