// Marks a search's matches in text already on screen (a briefing's page, a PDF page's text
// layer) with the CSS Custom Highlight API: ranges over the existing text nodes, painted by
// `::highlight(search-match)`. Nothing is inserted into or rewritten in the document, so the
// sanitised briefing stays exactly as sanitised, and no text ever becomes markup.
import type { SearchHighlight } from '../../../shared/search.js';
import { findMatches } from '../../../shared/search.js';

export const HIGHLIGHT_NAME = 'search-match';
/** NodeFilter.SHOW_TEXT, spelled out: the constant is not a global outside a browser. */
const SHOW_TEXT = 0x4;

/** Ranges per owner (the briefing, each PDF page), painted together under one name. */
const owners = new Map<string, readonly Range[]>();

function repaint(): void {
  // Older engines (and jsdom) have no highlight registry: the text shows unmarked.
  if (typeof CSS === 'undefined' || !('highlights' in CSS) || typeof Highlight === 'undefined')
    return;
  const all = [...owners.values()].flat();
  if (all.length === 0) CSS.highlights.delete(HIGHLIGHT_NAME);
  else CSS.highlights.set(HIGHLIGHT_NAME, new Highlight(...all));
}

/** Paints these ranges for `owner`, replacing what it painted before; none clears it. */
export function paintMatches(owner: string, ranges: readonly Range[]): void {
  if (ranges.length === 0) owners.delete(owner);
  else owners.set(owner, ranges);
  repaint();
}

/**
 * The matches of `highlight` in the text under `root`, as DOM ranges in document order. The
 * text nodes are read as one text, a space between each two, so a phrase split by inline
 * markup ("critical <b>minerals</b>") is still found, and words of neighbouring blocks never
 * run together.
 */
export function matchRanges(root: Node, highlight: SearchHighlight): Range[] {
  const doc = root.ownerDocument ?? (root as Document);
  const walker = doc.createTreeWalker(root, SHOW_TEXT);
  const nodes: { node: Text; start: number }[] = [];
  let text = '';
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const value = (node as Text).data;
    if (value === '') continue;
    if (text !== '') text += ' ';
    nodes.push({ node: node as Text, start: text.length });
    text += value;
  }
  if (nodes.length === 0) return [];

  /** The node holding offset `at` of the joined text; `end` prefers the node a range ends in. */
  const locate = (at: number, end: boolean): { node: Text; offset: number } => {
    let low = 0;
    let high = nodes.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      const start = (nodes[mid] as { start: number }).start;
      if (start < at || (!end && start === at)) low = mid;
      else high = mid - 1;
    }
    const found = nodes[low] as { node: Text; start: number };
    return { node: found.node, offset: Math.min(at - found.start, found.node.data.length) };
  };

  return findMatches(text, highlight).map(({ start, end }) => {
    const from = locate(start, false);
    const to = locate(end, true);
    const range = doc.createRange();
    range.setStart(from.node, from.offset);
    range.setEnd(to.node, to.offset);
    return range;
  });
}
