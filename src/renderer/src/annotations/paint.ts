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
  for (const mark of [...root.querySelectorAll(`mark.${MARK_CLASS}`)]) {
    mark.replaceWith(...mark.childNodes);
  }
  root.normalize();
}

function textNodes(root: Node): Text[] {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node as Text);
  return nodes;
}

/** Wraps [start, end) of the root's text in marks, one per text node the passage crosses. */
function wrap(root: HTMLElement, mark: PaintedMark): void {
  let offset = 0;
  let first = true;
  for (const node of textNodes(root)) {
    const length = node.data.length;
    const from = Math.max(mark.start, offset);
    const to = Math.min(mark.end, offset + length);
    offset += length;
    if (to <= from) continue;
    let target = node;
    if (from - (offset - length) > 0) target = target.splitText(from - (offset - length));
    if (to - from < target.data.length) target.splitText(to - from);
    const element = document.createElement('mark');
    element.className = `${MARK_CLASS} ${MARK_CLASS}--${mark.colour}`;
    element.dataset['annotationId'] = mark.id;
    element.title = mark.title;
    if (first) {
      // The first piece is where "Go to passage" lands (focusable by script, not in tab order).
      element.tabIndex = -1;
      first = false;
    }
    target.replaceWith(element);
    element.append(target);
    if (offset >= mark.end) break;
  }
}

/** Shows exactly `marks` in `root` (earlier marks removed first). */
export function paintMarks(root: HTMLElement, marks: readonly PaintedMark[]): void {
  clearMarks(root);
  for (const mark of marks) wrap(root, mark);
}

/** The first element of a painted mark, to scroll to and focus. */
export function markElement(root: HTMLElement, id: string): HTMLElement | null {
  return root.querySelector<HTMLElement>(
    `mark.${MARK_CLASS}[data-annotation-id="${CSS.escape(id)}"]`,
  );
}
