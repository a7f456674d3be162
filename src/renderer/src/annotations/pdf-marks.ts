// Highlights on a PDF page: the reader's marks anchored to the text of pdf.js's text layer and
// painted with the CSS Custom Highlight API (`::highlight(annotation-<colour>)`), like a search's
// matches, so the text layer pdf.js made is never rewritten. Offsets are those of the layer's
// text nodes in order, exactly its `textContent`, as a selection on it is read
// (paint.ts, selectionOffsets), so a mark made on a page lands on the same characters.
import type { Annotation } from '../../../shared/annotations/fold.js';
import { HIGHLIGHT_COLOURS, type HighlightColour } from '../../../shared/annotations/limits.js';
import { anchorQuote } from './anchor.js';

/** NodeFilter.SHOW_TEXT, spelled out: the constant is not a global outside a browser. */
const SHOW_TEXT = 0x4;
const highlightName = (colour: HighlightColour) => `annotation-${colour}`;

/** The ranges each page painted, by colour; every page's are painted together per colour. */
const owners = new Map<string, ReadonlyMap<HighlightColour, readonly Range[]>>();

function repaint(): void {
  if (typeof CSS === 'undefined' || !('highlights' in CSS) || typeof Highlight === 'undefined')
    return;
  for (const colour of HIGHLIGHT_COLOURS) {
    const ranges = [...owners.values()].flatMap((byColour) => byColour.get(colour) ?? []);
    if (ranges.length === 0) CSS.highlights.delete(highlightName(colour));
    else CSS.highlights.set(highlightName(colour), new Highlight(...ranges));
  }
}

/** A DOM range over [start, end) of the text under `root`, or null when out of its bounds. */
export function textRange(root: Node, start: number, end: number): Range | null {
  const doc = root.ownerDocument ?? (root as Document);
  const walker = doc.createTreeWalker(root, SHOW_TEXT);
  let offset = 0;
  let from: { node: Text; at: number } | null = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node as Text;
    const next = offset + text.data.length;
    if (!from && start < next) from = { node: text, at: start - offset };
    if (from && end <= next) {
      const range = doc.createRange();
      range.setStart(from.node, from.at);
      range.setEnd(text, end - offset);
      return range;
    }
    offset = next;
  }
  return null;
}

/**
 * Paints the highlights of `annotations` (this page's) on the page's text layer; returns the
 * ids of those whose passage is not on the page (shown as such in the list, never dropped).
 */
export function paintPageMarks(
  owner: string,
  textLayer: HTMLElement,
  annotations: readonly Annotation[],
): string[] {
  const text = textLayer.textContent ?? '';
  const byColour = new Map<HighlightColour, Range[]>();
  const missing: string[] = [];
  for (const annotation of annotations) {
    const { quote, position } = annotation.target;
    if (!quote) continue;
    const anchored = anchorQuote(text, quote, position);
    const range =
      anchored.status === 'anchored' ? textRange(textLayer, anchored.start, anchored.end) : null;
    if (!range) {
      missing.push(annotation.id);
      continue;
    }
    const colour = annotation.colour ?? 'yellow';
    byColour.set(colour, [...(byColour.get(colour) ?? []), range]);
  }
  if (byColour.size === 0) owners.delete(owner);
  else owners.set(owner, byColour);
  repaint();
  return missing;
}

/** Takes a page's highlights off (the page left the screen, or the viewer closed). */
export function clearPageMarks(owner: string): void {
  if (owners.delete(owner)) repaint();
}
