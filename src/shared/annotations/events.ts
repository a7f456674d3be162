// Annotation events: what a device writes into the person's returns database each time they
// create, edit or delete a mark. Append-only (one document per event, never changed), so two
// devices can never conflict; the current state of every annotation is a fold of its events
// (fold.ts). The document is flat on purpose: the returns database's validate_doc_update and
// the broker check flat fields (server/src/returns/shapes/return-shapes.ts), and the W3C Web
// Annotation shape is built from the folded state (web-annotation.ts).
import { z } from 'zod';

/** Named colours: the reader announces the name, never only the hue. */
export const HIGHLIGHT_COLOURS = ['yellow', 'green', 'blue', 'pink'] as const;
export type HighlightColour = (typeof HIGHLIGHT_COLOURS)[number];

export const ANNOTATION_ACTIONS = ['create', 'edit', 'delete'] as const;
export type AnnotationAction = (typeof ANNOTATION_ACTIONS)[number];

/**
 * Limits the device, the broker and the returns database's validation all apply (the server's
 * shape is built from these numbers). Lengths in UTF-16 code units, as JavaScript counts.
 */
export const ANNOTATION_LIMITS = {
  /** About six pages of typed text: a note, not a document. */
  noteChars: 4000,
  /** The highlighted passage. Longer selections are refused with a clear message. */
  quoteChars: 1000,
  /** Text kept before and after the quote to tell repeated phrases apart. */
  contextChars: 64,
  /** The whole event document in UTF-8 bytes (every character of note and quote at 3 bytes). */
  maxBytes: 24_576,
  /** Per-annotation logical clock: a person does not edit one note a billion times. */
  maxClock: 1_000_000_000,
  maxPage: 100_000,
  maxPosition: 50_000_000,
} as const;

export const ANNOTATION_EVENT_TYPE = 'annotation-event';
export const ANNOTATION_EVENT_ID_PREFIX = `${ANNOTATION_EVENT_TYPE}:`;

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
    writtenAt: z.string().min(1).max(40),
    author: z.string().min(1).max(200),
  })
  .strict();
export type AnnotationEvent = z.infer<typeof annotationEventSchema>;

/** An event with the id of its document (ids are unique per event). */
export type StoredAnnotationEvent = AnnotationEvent & { readonly eventId: string };

export function annotationEventDocId(eventUuid: string): string {
  return `${ANNOTATION_EVENT_ID_PREFIX}${eventUuid}`;
}
