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
import { findMatches, normalizeWord } from '../../shared/search-words.js';

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

type Span = { readonly word: string; readonly start: number; readonly end: number };

/** normalizeWord, without its Unicode work for the plain ASCII words most text is made of. */
function normalize(word: string): string {
  return ASCII.test(word) ? word.toLowerCase() : normalizeWord(word);
}

/** The words of a text from `from` on, read lazily: a caller that stops early never reads the rest. */
function* spans(text: string, from = 0): Generator<Span> {
  const word = new RegExp(WORD);
  word.lastIndex = from;
  for (let match = word.exec(text); match; match = word.exec(text)) {
    const word = normalize(match[0]);
    if (word !== '') yield { word, start: match.index, end: match.index + match[0].length };
  }
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
  const matches = (word: string): boolean =>
    exact.has(word) || phraseStarts.has(word) || prefixes.some((p) => word.startsWith(p));

  // In plain ASCII text (most of it), the first match is found by position and only the words
  // around it are read; other text is read word by word.
  const firstAt = ASCII.test(text)
    ? firstMatchAt(text.toLowerCase(), exact, prefixes, phraseStarts)
    : 0;
  if (firstAt < 0) return options.orStart ? snippetFrom(text, highlight, 0, () => true) : null;
  return snippetFrom(text, highlight, Math.max(0, firstAt - LEAD_CHARS), matches, options);
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
  highlight: SearchHighlight,
  from: number,
  matches: (word: string) => boolean,
  options: { readonly orStart?: boolean } = {},
): SnippetSegment[] | null {
  // The words seen before the first match: a few of them lead into it, and when the text ends
  // soon after it, as many as fill the window (a short text is shown whole).
  const before: Span[] = [];
  let window: Span[] = [];
  let more = false;
  // Started inside a word: that word is not one to show.
  const partial = from > 0 && WORD_CHAR.test(text[from - 1] as string);
  for (const span of spans(text, from)) {
    if (partial && span.start === from) continue;
    if (window.length === 0) {
      if (!matches(span.word)) {
        before.push(span);
        if (before.length >= SNIPPET_WORDS) before.shift();
        continue;
      }
      window = [...before.splice(Math.max(0, before.length - LEAD_WORDS)), span];
      continue;
    }
    if (window.length >= SNIPPET_WORDS) {
      more = true;
      break;
    }
    window.push(span);
  }
  if (window.length > 0 && !more) {
    window = [
      ...before.slice(Math.max(0, before.length - (SNIPPET_WORDS - window.length))),
      ...window,
    ];
  }
  if (window.length === 0) {
    if (!options.orStart) return null;
    // Nothing matched: the first words, as read.
    for (const span of spans(text)) {
      if (window.length >= SNIPPET_WORDS) {
        more = true;
        break;
      }
      window.push(span);
    }
    if (window.length === 0) return text === '' ? [] : [{ text, match: false }];
  }
  const first = window[0] as Span;
  const last = window[window.length - 1] as Span;
  // From the text's very start when the window begins at its first word, to its very end when
  // it ends at its last: nothing is cut that was not left out.
  const fromStart = !/[\p{L}\p{N}]/u.test(text.slice(0, first.start));
  const segments = segmentsOf(
    text.slice(fromStart ? 0 : first.start, more ? last.end : text.length),
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
