// What a briefing looks like inside the SOR (the `content` of a SorDocument). The demo SOR's admin
// API validates input against it; the fan-out validates every fetched record against it again,
// because a real SOR may hand over anything.
import { z } from 'zod';
import { CLASSIFICATIONS, PRIORITIES } from '../../../src/shared/briefing.js';

const isoDateTime = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time' });

export const senderSchema = z.object({
  name: z.string().trim().min(1).max(200),
  role: z.string().trim().max(200),
});

/** The longest body, in characters (as JavaScript counts them). */
export const BODY_MAX_CHARS = 10_000_000;

/**
 * Whether a body holds something to read: text once tags and whitespace are gone, or a picture.
 * A rough look at the markup, not a parser: it only decides whether to refuse an empty body.
 */
export function bodyHasContent(html: string): boolean {
  if (/<img\b/i.test(html)) return true;
  const text = html
    .replace(/<(script|style|template)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<[^>]*>/g, '')
    .replace(/&(nbsp|#160|#xa0);/gi, ' ');
  return text.trim().length > 0;
}

/**
 * What the demo SOR's admin API accepts as a body (create and update): text to read, within the
 * size limit, each refusal saying what to do. Records fetched from a SOR are not held to the
 * first rule (the fan-out delivers an empty body, and the reader says there is no text).
 */
export const editableBodySchema = z
  .string()
  .max(BODY_MAX_CHARS, {
    error:
      'the body is longer than 10 million characters (about 10 MB of text). Shorten it, or move long material into an attached PDF.',
  })
  .refine(bodyHasContent, {
    error:
      'the body is empty. A briefing needs text to read; for one that is only an attachment, say so in a sentence (for example "The brief is attached.").',
  });

export const sorBriefingContentSchema = z.object({
  title: z.string().trim().min(1, { error: 'title is empty' }).max(500),
  summary: z.string().max(5_000).default(''),
  bodyHtml: z.string().max(BODY_MAX_CHARS, { error: 'body is larger than 10 MB' }),
  classification: z.enum(CLASSIFICATIONS),
  priority: z.enum(PRIORITIES),
  sender: senderSchema,
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
export type SorBriefingContent = z.infer<typeof sorBriefingContentSchema>;

/** Attachment names become CouchDB attachment names: no leading underscore, no control chars. */
export const attachmentNameSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((name) => !name.startsWith('_'), { error: 'must not start with "_"' })
  // eslint-disable-next-line no-control-regex
  .refine((name) => !/[\u0000-\u001f\u007f/\\]/.test(name), {
    error: 'must not contain control characters or slashes',
  });

export const contentTypeSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i, {
    error: 'expected a media type such as application/pdf',
  });
