// Titles and snippets of a page of results, built from the indexed text with the same notion of a
// word and of a match that the reader uses to mark a briefing's text (shared/search.ts), so what
// a snippet marks is what the reader marks. Pure, tested case by case
// (tests/unit/device/search-snippets.test.ts).
//
// Why not FTS5's snippet(): it needs the MATCH evaluated again for each row of the page, and for
// a prefix that meant merging the lists of every word with that beginning fifty times; it also
// reads every column of a row to the end. Here a column is read only up to its first match.
import type { SnippetSegment } from '../../shared/search.js';
import type { SearchHighlight } from '../../shared/search-words.js';
import type { WordReader } from '../../shared/search-words.js';
import { asciiWords, findMatches, normalizeWord } from '../../shared/search-words.js';

/** Words a snippet shows. */
export const SNIPPET_WORDS = 14;
/** Words shown before the first match, so it reads in context. */
const LEAD_WORDS = 3;
const ELLIPSIS = '…';
const WORD = /[\p{L}\p{N}]+/gu;
const WORD_CHAR = /[\p{L}\p{N}]/u;
/** Characters of lead-in read before a match found by position: more than LEAD_WORDS words. */
const LEAD_CHARS = 160;
// eslint-disable-next-line no-control-regex
const ASCII = /^[\u0000-\u007f]*$/;

/**
 * The words of a text from `from` on, one at a time, read only as far as asked: plain ASCII by
 * its character codes (shared/search-words.ts: snippets are made for every result of every
 * keystroke), other text by the Unicode word pattern.
 */
function wordReader(text: string, from: number, ascii: boolean): WordReader {
  if (ascii) return asciiWords(text, from);
  const reader: WordReader = { start: 0, end: 0, next: () => false };
  const word = new RegExp(WORD);
  word.lastIndex = from;
  reader.next = () => {
    for (let match = word.exec(text); match; match = word.exec(text)) {
      // A run of combining marks alone normalises to nothing: not a word.
      if (normalizeWord(match[0]) === '') continue;
      reader.start = match.index;
      reader.end = match.index + match[0].length;
      return true;
    }
    return false;
  };
  return reader;
}

function segmentsOf(text: string, highlight: SearchHighlight): SnippetSegment[] {
  const segments: SnippetSegment[] = [];
  let at = 0;
  for (const { start, end } of findMatches(text, highlight)) {
    if (start > at) segments.push({ text: text.slice(at, start), match: false });
    segments.push({ text: text.slice(start, end), match: true });
    at = end;
  }
  if (at < text.length) segments.push({ text: text.slice(at), match: false });
  return segments;
}

/** The whole text (a title), its matches marked. */
export function markAll(text: string, highlight: SearchHighlight): SnippetSegment[] {
  return segmentsOf(text, highlight);
}

/**
 * A window of SNIPPET_WORDS words around the first match in `text`, matches marked, with an
 * ellipsis where text was left out; null when nothing in it matches. With `orStart`, the first
 * words instead of null (a snippet for a result found by its filters alone).
 */
export function snippet(
  text: string,
  highlight: SearchHighlight,
  options: { readonly orStart?: boolean } = {},
): SnippetSegment[] | null {
  const exact = new Set(highlight.terms.filter((t) => !t.prefix).map((t) => t.text));
  const prefixes = highlight.terms.filter((t) => t.prefix && t.text !== '').map((t) => t.text);
  const phraseStarts = new Set(highlight.phrases.map((p) => p[0]).filter((w) => w !== undefined));
  const ascii = ASCII.test(text);
  // A word matches as itself, as the first word of a phrase, or (a prefix) by its beginning.
  // In plain ASCII text, compared in place in one lower-cased copy; in other text, normalised.
  let matchesAt: (start: number, end: number) => boolean;
  let firstAt = 0;
  if (ascii) {
    const lower = text.toLowerCase();
    const whole = [...exact, ...phraseStarts];
    matchesAt = (start, end) => {
      for (const w of whole)
        if (w.length === end - start && lower.startsWith(w, start)) return true;
      for (const p of prefixes)
        if (p.length <= end - start && lower.startsWith(p, start)) return true;
      return false;
    };
    // The first match is found by position, and only the words around it are read.
    firstAt = firstMatchAt(lower, exact, prefixes, phraseStarts);
  } else {
    matchesAt = (start, end) => {
      const word = normalizeWord(text.slice(start, end));
      return exact.has(word) || phraseStarts.has(word) || prefixes.some((p) => word.startsWith(p));
    };
  }
  if (firstAt < 0) {
    return options.orStart ? snippetFrom(text, ascii, highlight, 0, () => true) : null;
  }
  return snippetFrom(text, ascii, highlight, Math.max(0, firstAt - LEAD_CHARS), matchesAt, options);
}

/** Where the first word that is one of `words` or begins with one of `prefixes` starts, or -1. */
function firstMatchAt(
  lower: string,
  words: ReadonlySet<string>,
  prefixes: readonly string[],
  phraseStarts: ReadonlySet<string>,
): number {
  let first = -1;
  const isWordChar = (at: number): boolean =>
    at >= 0 && at < lower.length && WORD_CHAR.test(lower[at] as string);
  const look = (needle: string, whole: boolean): void => {
    for (
      let at = lower.indexOf(needle);
      at >= 0 && (first < 0 || at < first);
      at = lower.indexOf(needle, at + 1)
    ) {
      if (isWordChar(at - 1) || (whole && isWordChar(at + needle.length))) continue;
      first = at;
      return;
    }
  };
  for (const word of words) look(word, true);
  for (const word of phraseStarts) look(word, true);
  for (const prefix of prefixes) look(prefix, false);
  return first;
}

function snippetFrom(
  text: string,
  ascii: boolean,
  highlight: SearchHighlight,
  from: number,
  matchesAt: (start: number, end: number) => boolean,
  options: { readonly orStart?: boolean } = {},
): SnippetSegment[] | null {
  // The words seen before the first match: a few of them lead into it, and when the text ends
  // soon after it, as many as fill the window (a short text is shown whole). Words are kept as
  // where they start and end, in pairs of arrays.
  const before = { starts: [] as number[], ends: [] as number[] };
  let window = { starts: [] as number[], ends: [] as number[] };
  let more = false;
  // Started inside a word: that word is not one to show.
  const partial = from > 0 && WORD_CHAR.test(text[from - 1] as string);
  const words = wordReader(text, from, ascii);
  while (words.next()) {
    const { start, end } = words;
    if (partial && start === from) continue;
    if (window.starts.length === 0) {
      if (!matchesAt(start, end)) {
        before.starts.push(start);
        before.ends.push(end);
        if (before.starts.length >= SNIPPET_WORDS) {
          before.starts.shift();
          before.ends.shift();
        }
        continue;
      }
      const lead = Math.max(0, before.starts.length - LEAD_WORDS);
      window = {
        starts: [...before.starts.splice(lead), start],
        ends: [...before.ends.splice(lead), end],
      };
      continue;
    }
    if (window.starts.length >= SNIPPET_WORDS) {
      more = true;
      break;
    }
    window.starts.push(start);
    window.ends.push(end);
  }
  if (window.starts.length > 0 && !more) {
    const from = Math.max(0, before.starts.length - (SNIPPET_WORDS - window.starts.length));
    window = {
      starts: [...before.starts.slice(from), ...window.starts],
      ends: [...before.ends.slice(from), ...window.ends],
    };
  }
  if (window.starts.length === 0) {
    if (!options.orStart) return null;
    // Nothing matched: the first words, as read.
    const first = wordReader(text, 0, ascii);
    while (first.next()) {
      if (window.starts.length >= SNIPPET_WORDS) {
        more = true;
        break;
      }
      window.starts.push(first.start);
      window.ends.push(first.end);
    }
    if (window.starts.length === 0) return text === '' ? [] : [{ text, match: false }];
  }
  const first = window.starts[0] as number;
  const last = window.ends[window.ends.length - 1] as number;
  // From the text's very start when the window begins at its first word, to its very end when
  // it ends at its last: nothing is cut that was not left out.
  const fromStart = !/[\p{L}\p{N}]/u.test(text.slice(0, first));
  const segments = segmentsOf(
    text.slice(fromStart ? 0 : first, more ? last : text.length),
    highlight,
  );
  if (!fromStart) segments.unshift({ text: ELLIPSIS, match: false });
  if (more) segments.push({ text: ELLIPSIS, match: false });
  return mergePlain(segments);
}

/** Neighbouring unmarked segments as one. */
function mergePlain(segments: SnippetSegment[]): SnippetSegment[] {
  const out: SnippetSegment[] = [];
  for (const segment of segments) {
    const previous = out[out.length - 1];
    if (previous && !previous.match && !segment.match) {
      out[out.length - 1] = { text: previous.text + segment.text, match: false };
    } else out.push(segment);
  }
  return out;
}
