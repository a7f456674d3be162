// Annotation events: what a device writes into the person's returns database each time they
// create, edit or delete a mark. Append-only (one document per event, never changed), so two
// devices can never conflict; the current state of every annotation is a fold of its events
// (fold.ts). The document is flat on purpose: the returns database's validate_doc_update and
// the broker check flat fields (server/src/returns/shapes/return-shapes.ts), and the W3C Web
// Annotation shape is built from the folded state (web-annotation.ts).
import { z } from 'zod';

import {
  ANNOTATION_ACTIONS,
  ANNOTATION_EVENT_TYPE,
  ANNOTATION_LIMITS,
  HIGHLIGHT_COLOURS,
} from './limits.js';

export {
  ANNOTATION_ACTIONS,
  ANNOTATION_EVENT_ID_PREFIX,
  ANNOTATION_EVENT_TYPE,
  ANNOTATION_LIMITS,
  HIGHLIGHT_COLOURS,
} from './limits.js';
export type { AnnotationAction, HighlightColour } from './limits.js';

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
const position = z.number().int().min(0).max(ANNOTATION_LIMITS.maxPosition);

/**
 * One event. `create` and `edit` carry the annotation's whole state after the change (so any
 * single winning event is enough to show it, and an edit after a delete restores it: that is
 * how undo of a delete works); `delete` carries only the ids.
 */
export const annotationEventSchema = z
  .object({
    type: z.literal(ANNOTATION_EVENT_TYPE),
    annotationId: uuid,
    action: z.enum(ANNOTATION_ACTIONS),
    /** Lamport clock of this annotation: one more than the highest clock the writer had seen. */
    clock: z.number().int().min(1).max(ANNOTATION_LIMITS.maxClock),
    /** The writing device; breaks ties between equal clocks the same way everywhere. */
    deviceId: uuid,
    briefingId: z.string().min(1).max(210),
    sorId: z.string().min(1).max(200),
    /** The briefing version the anchor (quote, position) was taken from. */
    sourceVersion: z.number().int().min(1).max(1_000_000_000),
    attachment: z.string().min(1).max(255).optional(),
    page: z.number().int().min(1).max(ANNOTATION_LIMITS.maxPage).optional(),
    /** TextQuoteSelector: the truth when re-anchoring. Absent for a general note. */
    exact: z.string().min(1).max(ANNOTATION_LIMITS.quoteChars).optional(),
    prefix: z.string().max(ANNOTATION_LIMITS.contextChars).optional(),
    suffix: z.string().max(ANNOTATION_LIMITS.contextChars).optional(),
    /** TextPositionSelector: only a hint (the text may have moved). */
    start: position.optional(),
    end: position.optional(),
    colour: z.enum(HIGHLIGHT_COLOURS).optional(),
    note: z.string().max(ANNOTATION_LIMITS.noteChars).optional(),
    /** The device's clock: shown in the history, never used to decide anything. */
    writtenAt: z.iso.datetime(),
    author: z.string().min(1).max(200),
  })
  .strict();
export type AnnotationEvent = z.infer<typeof annotationEventSchema>;

/** An event with the id of its document (ids are unique per event). */
export type StoredAnnotationEvent = AnnotationEvent & { readonly eventId: string };

export function annotationEventDocId(eventUuid: string): string {
  return `${ANNOTATION_EVENT_TYPE}:${eventUuid}`;
}
