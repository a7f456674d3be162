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

export const sorBriefingContentSchema = z.object({
  title: z.string().trim().min(1, { error: 'title is empty' }).max(500),
  summary: z.string().max(5_000).default(''),
  bodyHtml: z.string().max(10_000_000, { error: 'body is larger than 10 MB' }),
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
