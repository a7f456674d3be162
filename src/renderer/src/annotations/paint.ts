// Between text offsets (what annotations store) and the briefing's DOM (what the reader sees).
// Offsets count the characters of the body's text nodes in document order, exactly
// `root.textContent`, so anchoring (anchor.ts) works on a plain string. Marks are <mark>
// elements wrapped around text; they add no text, so offsets stay the same with marks shown.

export type PaintedMark = {
  readonly id: string;
  readonly start: number;
  readonly end: number;
  readonly colour: string;
  /** Tooltip: the colour's name and whether the mark has a note. */
  readonly title: string;
};

const MARK_CLASS = 'annotation-mark';

/** The selection's offsets inside `root`, or null when it is empty or not inside `root`. */
export function selectionOffsets(
  root: Node,
  selection: Selection | null,
): { readonly start: number; readonly end: number } | null {
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  if (!root.contains(range.startContainer) || !root.contains(range.endContainer)) return null;
  const before = document.createRange();
  before.setStart(root, 0);
  before.setEnd(range.startContainer, range.startOffset);
  const start = before.toString().length;
  const end = start + range.toString().length;
  return end > start ? { start, end } : null;
}

/** Removes every mark painted by `paintMarks`, leaving the text as it was. */
export function clearMarks(root: HTMLElement): void {
  const marks = root.querySelectorAll(`mark.${MARK_CLASS}`);
  // Nothing painted (a briefing just opened): nothing to join again either.
  if (marks.length === 0) return;
  for (const mark of [...marks]) mark.replaceWith(...mark.childNodes);
  root.normalize();
}

type Piece = { node: Text; start: number };

/** The last piece starting at or before `offset` (pieces are in text order): a binary search. */
function firstPiece(list: readonly Piece[], offset: number): number {
  let low = 0;
  let high = list.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((list[mid]?.start ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  return Math.max(0, low);
}

function pieces(root: Node): Piece[] {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const found: Piece[] = [];
  let offset = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node as Text;
    found.push({ node: text, start: offset });
    offset += text.data.length;
  }
  return found;
}

/** Wraps [start, end) of the root's text in marks, one per text node the passage crosses. */
function wrap(list: readonly Piece[], mark: PaintedMark): void {
  let first = true;
  // Last piece first: splitting a text node keeps its beginning in the same node, so the
  // pieces before it stay valid for the marks painted after this one (see paintMarks).
  const parts: { node: Text; from: number; to: number }[] = [];
  for (let i = firstPiece(list, mark.start); i < list.length; i++) {
    const piece = list[i];
    if (!piece) break;
    const { node, start } = piece;
    const from = Math.max(mark.start, start);
    const to = Math.min(mark.end, start + node.data.length);
    if (to > from) parts.push({ node, from: from - start, to: to - start });
    if (start >= mark.end) break;
  }
  for (const [index, { node, from, to }] of parts.entries()) {
    let target = node;
    if (from > 0) target = target.splitText(from);
    if (to - from < target.data.length) target.splitText(to - from);
    const element = document.createElement('mark');
    element.className = `${MARK_CLASS} ${MARK_CLASS}--${mark.colour}`;
    element.dataset['annotationId'] = mark.id;
    element.title = mark.title;
    if (first && index === 0) {
      // The first piece is where "Go to passage" lands (focusable by script, not in tab order).
      element.tabIndex = -1;
      first = false;
    }
    target.replaceWith(element);
    element.append(target);
  }
}

/**
 * Shows exactly `marks` in `root` (earlier marks removed first). Marks are painted from the
 * last to the first, so one walk over the text serves them all; a mark that overlaps one
 * already painted walks the text again (the pieces it needs were split).
 */
export function paintMarks(root: HTMLElement, marks: readonly PaintedMark[]): void {
  clearMarks(root);
  const ordered = [...marks].sort((a, b) => b.start - a.start || b.end - a.end);
  let list = pieces(root);
  let paintedFrom = Number.POSITIVE_INFINITY;
  for (const mark of ordered) {
    if (mark.end > paintedFrom) list = pieces(root);
    wrap(list, mark);
    paintedFrom = Math.min(paintedFrom, mark.start);
  }
}

/** The first element of a painted mark, to scroll to and focus. */
export function markElement(root: HTMLElement, id: string): HTMLElement | null {
  return root.querySelector<HTMLElement>(
    `mark.${MARK_CLASS}[data-annotation-id="${CSS.escape(id)}"]`,
  );
}
