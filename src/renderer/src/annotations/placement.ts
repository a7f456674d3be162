// Where each annotation of a briefing stands in the text the reader shows: the panel's order
// (general notes first, then marks in document order, then the detached ones) and the marks to
// paint. Pure, so it is unit-tested without a DOM.
import type { Annotation } from '../../../shared/annotations/fold.js';
import type { HighlightColour } from '../../../shared/annotations/limits.js';
import { anchorQuote } from './anchor.js';

export type Placement =
  | { readonly kind: 'general'; readonly annotation: Annotation }
  | {
      readonly kind: 'anchored';
      readonly annotation: Annotation;
      readonly start: number;
      readonly end: number;
      /** The text under the mark differs from what was marked (edited in a newer version). */
      readonly changed: boolean;
    }
  /** Its passage is not in this version: shown with its original quote, never dropped. */
  | { readonly kind: 'detached'; readonly annotation: Annotation };

export const COLOUR_NAMES: Readonly<Record<HighlightColour, string>> = {
  yellow: 'Yellow',
  green: 'Green',
  blue: 'Blue',
  pink: 'Pink',
};

/** Annotations of the briefing's own text (PDF page notes are placed by the PDF viewer). */
export function placeAnnotations(
  text: string,
  annotations: readonly Annotation[],
): readonly Placement[] {
  const general: Placement[] = [];
  const anchored: Placement[] = [];
  const detached: Placement[] = [];
  for (const annotation of annotations) {
    if (annotation.target.attachment !== null) continue;
    const { quote, position } = annotation.target;
    if (!quote) {
      general.push({ kind: 'general', annotation });
      continue;
    }
    const result = anchorQuote(text, quote, position);
    if (result.status === 'detached') detached.push({ kind: 'detached', annotation });
    else {
      anchored.push({
        kind: 'anchored',
        annotation,
        start: result.start,
        end: result.end,
        changed: !result.exact,
      });
    }
  }
  anchored.sort((a, b) =>
    a.kind === 'anchored' && b.kind === 'anchored' ? a.start - b.start || a.end - b.end : 0,
  );
  return [...general, ...anchored, ...detached];
}
