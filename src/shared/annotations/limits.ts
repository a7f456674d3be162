// The annotation event's names and limits, without zod: the server's returns shapes
// (server/src/returns/shapes/return-shapes.ts) are built from these same numbers, so the
// device, the broker and the returns database's validation can never disagree.
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

export const ANNOTATION_EVENT_TYPE = 'annotation-event' as const;
export const ANNOTATION_EVENT_ID_PREFIX = `${ANNOTATION_EVENT_TYPE}:`;
