// What changed between the version of a briefing a reader marked and the version shown now: a
// word diff of the two texts (jsdiff's diffWords: Myers' algorithm on word tokens, with a time
// limit), the reader's marks of the earlier version laid on its text, and long unchanged
// stretches shortened to the words around each change. Pure, so it is unit-tested without a DOM.
import { diffWords } from 'diff';
import type { TextPosition, TextQuote } from '../../../shared/annotations/fold.js';
import { anchorQuote } from './anchor.js';

export type DiffPiece =
  | {
      /** Text in both versions, text only in the earlier one, or only in the current one. */
      readonly kind: 'same' | 'removed' | 'added';
      readonly text: string;
      /** Under one of the reader's marks of the earlier version (never for added text). */
      readonly marked: boolean;
    }
  /** Unchanged text left out here. */
  | { readonly kind: 'gap'; readonly text: ''; readonly marked: false };

export type VersionDiff =
  | { readonly status: 'same' }
  /** The texts differ too much to compare word by word within the time allowed. */
  | { readonly status: 'too-different' }
  | {
      readonly status: 'changed';
      readonly pieces: readonly DiffPiece[];
      /** Stretches removed, added or replaced. */
      readonly changes: number;
      /** Marks of the earlier version found in its text (and so shown on it). */
      readonly marksShown: number;
    };

export type MarkOnVersion = {
  readonly quote: TextQuote;
  readonly position: TextPosition | null;
};

export type VersionDiffOptions = {
  /** Characters of unchanged text kept beside a change or a mark. */
  readonly context?: number;
  /** Give up comparing word by word after this long. */
  readonly timeoutMs?: number;
};

type Range = { readonly start: number; readonly end: number };

/** Splits a piece of the earlier text at the marks' edges. */
function splitAtMarks(
  kind: 'same' | 'removed',
  text: string,
  at: number,
  marks: readonly Range[],
): DiffPiece[] {
  const cuts = new Set<number>([0, text.length]);
  for (const mark of marks) {
    for (const edge of [mark.start - at, mark.end - at]) {
      if (edge > 0 && edge < text.length) cuts.add(edge);
    }
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  const pieces: DiffPiece[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const from = sorted[i] ?? 0;
    const to = sorted[i + 1] ?? text.length;
    const middle = at + (from + to) / 2;
    pieces.push({
      kind,
      text: text.slice(from, to),
      marked: marks.some((mark) => mark.start <= middle && middle < mark.end),
    });
  }
  return pieces;
}

/** The first `length` characters of `text`, cut back to a space where there is one. */
function head(text: string, length: number): string {
  const cut = text.lastIndexOf(' ', length);
  return text.slice(0, cut > length / 2 ? cut + 1 : length);
}
/** The last `length` characters of `text`, cut forward to a space where there is one. */
function tail(text: string, length: number): string {
  const from = text.length - length;
  const cut = text.indexOf(' ', from);
  return text.slice(cut !== -1 && cut < from + length / 2 ? cut + 1 : from);
}

/** Shortens unchanged, unmarked stretches to the words beside what is shown. */
function shorten(pieces: readonly DiffPiece[], context: number): DiffPiece[] {
  const gap: DiffPiece = { kind: 'gap', text: '', marked: false };
  const out: DiffPiece[] = [];
  pieces.forEach((piece, index) => {
    if (piece.kind !== 'same' || piece.marked || piece.text.length <= context * 2 + 40) {
      out.push(piece);
      return;
    }
    const first = index === 0;
    const last = index === pieces.length - 1;
    if (!first) out.push({ ...piece, text: head(piece.text, context) });
    out.push(gap);
    if (!last) out.push({ ...piece, text: tail(piece.text, context) });
  });
  return out;
}

export function diffVersions(
  earlier: string,
  current: string,
  marks: readonly MarkOnVersion[],
  options: VersionDiffOptions = {},
): VersionDiff {
  if (earlier === current) return { status: 'same' };
  const changes = diffWords(earlier, current, { timeout: options.timeoutMs ?? 400 });
  if (!changes) return { status: 'too-different' };
  const ranges: Range[] = [];
  for (const mark of marks) {
    const found = anchorQuote(earlier, mark.quote, mark.position);
    if (found.status === 'anchored') ranges.push({ start: found.start, end: found.end });
  }
  const pieces: DiffPiece[] = [];
  let at = 0;
  let stretches = 0;
  let inChange = false;
  for (const change of changes) {
    if (change.added) {
      pieces.push({ kind: 'added', text: change.value, marked: false });
    } else {
      const kind = change.removed ? 'removed' : 'same';
      pieces.push(...splitAtMarks(kind, change.value, at, ranges));
      at += change.value.length;
    }
    const changed = change.added || change.removed;
    if (changed && !inChange) stretches++;
    inChange = changed;
  }
  if (stretches === 0) return { status: 'same' };
  return {
    status: 'changed',
    pieces: shorten(pieces, options.context ?? 80),
    changes: stretches,
    marksShown: ranges.length,
  };
}
