// Re-anchoring (in the renderer, which holds the text; the package is bundled by Vite): where a quote stands in a (possibly newer) text. The quote (TextQuoteSelector)
// is the truth; the position (TextPositionSelector) is only a hint to choose between equal
// candidates, and the first place looked: when the quote and its context are still exactly
// there (an unchanged version, the common case), nothing else is searched. Then exact
// occurrences; failing those, an approximate match of the quote
// (approx-string-match: Myers' bit-parallel algorithm, no dependencies, runs unchanged in Node
// and Chromium) accepted only when it is close enough. What cannot be placed is "detached":
// the caller shows it with its original quote, never drops it.
import search from 'approx-string-match';
import type { TextPosition, TextQuote } from '../../../shared/annotations/fold.js';

export type AnchorResult =
  | {
      readonly status: 'anchored';
      readonly start: number;
      readonly end: number;
      /** False when the text under the mark differs from the quote (edited nearby). */
      readonly exact: boolean;
    }
  | { readonly status: 'detached' };

/** Share of the quote that must survive an edit for the mark to stay (by edit distance). */
export const MIN_FUZZY_QUALITY = 0.75;
/** More candidates than this of one short phrase: the context alone decides among them. */
const MAX_EXACT_CANDIDATES = 2000;

/** How much of `expected` appears right next to the candidate (1: all of it, 0: none). */
function contextScore(text: string, start: number, end: number, quote: TextQuote): number {
  const { prefix, suffix } = quote;
  const before = text.slice(Math.max(0, start - prefix.length), start);
  const after = text.slice(end, end + suffix.length);
  let same = 0;
  for (let i = 1; i <= Math.min(before.length, prefix.length); i++) {
    if (before[before.length - i] !== prefix[prefix.length - i]) break;
    same++;
  }
  let sameAfter = 0;
  for (let i = 0; i < Math.min(after.length, suffix.length); i++) {
    if (after[i] !== suffix[i]) break;
    sameAfter++;
  }
  const total = prefix.length + suffix.length;
  return total === 0 ? 0 : (same + sameAfter) / total;
}

function proximityScore(start: number, hint: TextPosition | null, textLength: number): number {
  if (!hint || textLength === 0) return 0;
  return 1 - Math.min(1, Math.abs(start - hint.start) / textLength);
}

type Candidate = { readonly start: number; readonly end: number; readonly quality: number };

function best(
  text: string,
  candidates: readonly Candidate[],
  quote: TextQuote,
  hint: TextPosition | null,
): Candidate | null {
  let chosen: Candidate | null = null;
  let chosenScore = Number.NEGATIVE_INFINITY;
  for (const candidate of candidates) {
    // The quote itself weighs most, then its context (which tells repeated phrases apart),
    // then nearness to where it was.
    const score =
      candidate.quality * 50 +
      contextScore(text, candidate.start, candidate.end, quote) * 20 +
      proximityScore(candidate.start, hint, text.length) * 2;
    if (score > chosenScore) {
      chosen = candidate;
      chosenScore = score;
    }
  }
  return chosen;
}

/**
 * The hint, when the quote stands exactly there with all its context around it: no other
 * occurrence can score higher (quality and context are both full, and it is nearest).
 */
function atHint(text: string, quote: TextQuote, hint: TextPosition | null): boolean {
  if (!hint || hint.end - hint.start !== quote.exact.length) return false;
  return (
    text.startsWith(quote.exact, hint.start) &&
    text.startsWith(quote.suffix, hint.end) &&
    hint.start >= quote.prefix.length &&
    text.startsWith(quote.prefix, hint.start - quote.prefix.length)
  );
}

/**
 * The occurrence nearest the hint, within NEIGHBOURHOOD of it, that has all its context around
 * it (text inserted or removed before the passage moved it). None farther can score higher:
 * quality and context are already full, and nearness only falls with distance. Nor can a nearer
 * one with any of its context missing, as long as what nearness adds (`best`: 2 for the whole
 * text's length) is less than one character of context takes away (20 for all of it): past
 * that distance the full comparison decides.
 */
function exactNear(text: string, quote: TextQuote, hint: TextPosition): Candidate | null {
  const { exact, prefix, suffix } = quote;
  let chosen: Candidate | null = null;
  const from = Math.max(0, hint.start - NEIGHBOURHOOD);
  const until = hint.start + NEIGHBOURHOOD;
  for (
    let at = text.indexOf(exact, from);
    at !== -1 && at <= until;
    at = text.indexOf(exact, at + 1)
  ) {
    const end = at + exact.length;
    const full =
      at >= prefix.length &&
      text.startsWith(prefix, at - prefix.length) &&
      text.startsWith(suffix, end);
    if (!full) continue;
    if (!chosen || Math.abs(at - hint.start) < Math.abs(chosen.start - hint.start)) {
      chosen = { start: at, end, quality: 1 };
    }
    // Past the hint, every later occurrence is farther than this one.
    if (at >= hint.start) break;
  }
  if (!chosen) return null;
  const contextChars = prefix.length + suffix.length;
  const distance = Math.abs(chosen.start - hint.start);
  return contextChars > 0 && 2 * distance * contextChars < 20 * text.length ? chosen : null;
}

export function anchorQuote(
  text: string,
  quote: TextQuote,
  hint: TextPosition | null = null,
): AnchorResult {
  const { exact } = quote;
  if (exact.length === 0) return { status: 'detached' };
  if (hint && atHint(text, quote, hint)) {
    return { status: 'anchored', start: hint.start, end: hint.end, exact: true };
  }
  const near = hint ? exactNear(text, quote, hint) : null;
  if (near) return { status: 'anchored', start: near.start, end: near.end, exact: true };
  const exactHits: Candidate[] = [];
  for (
    let at = text.indexOf(exact);
    at !== -1 && exactHits.length < MAX_EXACT_CANDIDATES;
    at = text.indexOf(exact, at + 1)
  ) {
    exactHits.push({ start: at, end: at + exact.length, quality: 1 });
  }
  const exactBest = best(text, exactHits, quote, hint);
  if (exactBest)
    return { status: 'anchored', start: exactBest.start, end: exactBest.end, exact: true };

  const maxErrors = Math.floor(exact.length * (1 - MIN_FUZZY_QUALITY));
  if (maxErrors === 0) return { status: 'detached' };
  // Close around its old place first (an edit seldom moves much), then its neighbourhood, then
  // the whole text: the approximate search costs in proportion to the text searched, and the
  // first window holding a close enough match decides.
  let fuzzyBest: Candidate | null = null;
  if (hint) {
    for (const reach of [exact.length + NEAR, NEIGHBOURHOOD]) {
      fuzzyBest = fuzzyIn(text, quote, hint, maxErrors, hint.start - reach, hint.end + reach);
      if (fuzzyBest) break;
    }
  }
  fuzzyBest ??= fuzzyIn(text, quote, hint, maxErrors, 0, text.length);
  return fuzzyBest
    ? { status: 'anchored', start: fuzzyBest.start, end: fuzzyBest.end, exact: false }
    : { status: 'detached' };
}

/** Characters searched either side of the old position before the whole text is. */
const NEIGHBOURHOOD = 4000;
/** The first, close window: this much beyond a quote's length either side of its old place. */
const NEAR = 256;

function fuzzyIn(
  text: string,
  quote: TextQuote,
  hint: TextPosition | null,
  maxErrors: number,
  from: number,
  to: number,
): Candidate | null {
  const start = Math.max(0, from);
  const end = Math.min(text.length, to);
  if (end <= start) return null;
  const candidates = search(text.slice(start, end), quote.exact, maxErrors)
    .map((match) => ({
      start: start + match.start,
      end: start + match.end,
      quality: 1 - match.errors / quote.exact.length,
    }))
    .filter((candidate) => candidate.quality >= MIN_FUZZY_QUALITY);
  return best(text, candidates, quote, hint);
}

/** The quote selector for text[start, end): the passage and a little context either side. */
export function quoteAt(text: string, start: number, end: number, contextChars: number): TextQuote {
  return {
    exact: text.slice(start, end),
    prefix: text.slice(Math.max(0, start - contextChars), start),
    suffix: text.slice(end, end + contextChars),
  };
}
