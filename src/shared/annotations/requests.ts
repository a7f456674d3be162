// What the reader asks the device to do with annotations (the IPC contract's requests). The
// schema bounds every field generously; the precise limits (ANNOTATION_LIMITS) are checked by
// the annotations service, which answers with a message a person can act on ("this note has
// 4,210 characters; at most 4,000") rather than a malformed-request error.
import { z } from 'zod';
import { HIGHLIGHT_COLOURS } from './events.js';

const briefingId = z.string().min(1).max(512);
const annotationId = z.string().uuid();
/** Far above the limits, so an over-long note reaches the service and its clear message. */
const note = z.string().max(100_000);
const position = z.number().int().min(0).max(50_000_000);
const quote = z
  .object({
    exact: z.string().min(1).max(100_000),
    prefix: z.string().max(1_000),
    suffix: z.string().max(1_000),
  })
  .strict();
const textPosition = z.object({ start: position, end: position }).strict();

export const annotationChangeSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('create'),
      briefingId,
      attachment: z.string().min(1).max(255).optional(),
      page: z.number().int().min(1).max(100_000).optional(),
      quote: quote.optional(),
      position: textPosition.optional(),
      colour: z.enum(HIGHLIGHT_COLOURS).optional(),
      note: note.optional(),
    })
    .strict(),
  z
    .object({
      action: z.literal('edit'),
      annotationId,
      colour: z.enum(HIGHLIGHT_COLOURS).optional(),
      note: note.optional(),
      /**
       * Re-attach: the passage of the briefing's current version the mark now stands on (a
       * detached mark the reader placed again). With `sourceVersion`, the anchor of that earlier
       * version instead: how an undo puts a re-attached mark back where it was.
       */
      attach: z
        .object({
          quote,
          position: textPosition,
          sourceVersion: z.number().int().min(1).max(1_000_000_000).optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
  z.object({ action: z.literal('delete'), annotationId }).strict(),
]);
export type AnnotationChange = z.infer<typeof annotationChangeSchema>;

/** The text of an earlier version of a briefing, asked for to show what changed since a mark. */
export const annotatedVersionRequestSchema = z
  .object({ briefingId, sourceVersion: z.number().int().min(1).max(1_000_000_000) })
  .strict();

/**
 * An earlier version's text as the device kept it while marks were made on it (the server
 * serves only the current one). `bodyHtml` is the server's HTML: sanitise it before use.
 */
export type AnnotatedVersion = {
  readonly sourceVersion: number;
  readonly title: string;
  readonly bodyHtml: string;
  /** When this device kept it (ISO 8601). */
  readonly keptAt: string;
};
