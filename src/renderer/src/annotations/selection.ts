// Where the reader's text selection stands, for the toolbar shown beside it: inside the body
// (what marks anchor to: its offsets), elsewhere in the briefing (title, summary, byline: text
// the selectors do not cover), or nowhere. And where the toolbar goes: above the selection,
// centred on it, below it when there is no room above, never past the page's edges. Pure but
// for reading the DOM, so the placement is unit-tested without a layout engine.
import { selectionOffsets } from './paint.js';

export type Box = {
  readonly top: number;
  readonly left: number;
  readonly width: number;
  readonly height: number;
};

export type TextSelection =
  | {
      readonly where: 'body';
      readonly start: number;
      readonly end: number;
      /** The selection's bounding box, relative to the container the toolbar is placed in. */
      readonly box: Box;
    }
  | { readonly where: 'elsewhere'; readonly box: Box };

/** The selection as the toolbar needs it, or null when nothing of the briefing is selected. */
export function readSelection(
  body: HTMLElement,
  container: HTMLElement,
  selection: Selection | null,
  /** The range's box on screen (the layout engine's; a test without one gives its own). */
  measure: (range: Range) => Box = (range) => range.getBoundingClientRect(),
): TextSelection | null {
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  if (!container.contains(range.commonAncestorContainer)) return null;
  if (range.toString().trim() === '') return null;
  const rect = measure(range);
  const origin = container.getBoundingClientRect();
  const box = {
    top: rect.top - origin.top,
    left: rect.left - origin.left,
    width: rect.width,
    height: rect.height,
  };
  const offsets = selectionOffsets(body, selection);
  return offsets ? { where: 'body', ...offsets, box } : { where: 'elsewhere', box };
}

export type ToolbarPlacement = {
  readonly top: number;
  readonly left: number;
  readonly side: 'above' | 'below';
};

/** Space kept between the selection and the toolbar, and from the container's edges (px). */
const GAP = 8;

export function placeToolbar(
  selection: Box,
  toolbar: { readonly width: number; readonly height: number },
  containerWidth: number,
): ToolbarPlacement {
  const above = selection.top - GAP - toolbar.height;
  const side = above >= 0 ? 'above' : 'below';
  const centred = selection.left + selection.width / 2 - toolbar.width / 2;
  const maxLeft = Math.max(GAP, containerWidth - toolbar.width - GAP);
  return {
    side,
    top: side === 'above' ? above : selection.top + selection.height + GAP,
    left: Math.min(Math.max(GAP, centred), maxLeft),
  };
}
