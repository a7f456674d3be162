// The briefing document schema: what the fan-out writes into a user's briefings database and
// what the device reads back. Versioned so that a device can refuse (rather than misread) a
// document written by a newer server.
import { z } from 'zod';

export const BRIEFING_SCHEMA_VERSION = 1;

/** Australian Protective Security Policy Framework markings, lowest to highest. */
export const CLASSIFICATIONS = [
  'UNOFFICIAL',
  'OFFICIAL',
  'OFFICIAL: Sensitive',
  'PROTECTED',
  'SECRET',
  'TOP SECRET',
] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export const PRIORITIES = ['routine', 'priority', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const attachmentMetaSchema = z.object({
  name: z.string().min(1).max(255),
  contentType: z.string().min(1).max(255),
  size: z.number().int().nonnegative(),
});
export type AttachmentMeta = z.infer<typeof attachmentMetaSchema>;

/** The JSON body of a briefing document (without CouchDB's `_id`, `_rev`, `_attachments`). */
export const briefingDocSchema = z.object({
  type: z.literal('briefing'),
  schemaVersion: z.literal(BRIEFING_SCHEMA_VERSION),
  sorId: z.string().min(1),
  sourceVersion: z.number().int().positive(),
  /** sha256 over the transformed content; equal hash means a replay changes nothing. */
  contentHash: z.string().min(1),
  title: z.string(),
  summary: z.string(),
  /** Already sanitised by the fan-out; the reader sanitises again before display. */
  bodyHtml: z.string(),
  classification: z.enum(CLASSIFICATIONS),
  priority: z.enum(PRIORITIES),
  sender: z.object({ name: z.string(), role: z.string() }),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** When the SOR approved this version for its recipients. */
  approvedAt: z.string(),
  attachments: z.array(attachmentMetaSchema),
});
export type BriefingDoc = z.infer<typeof briefingDocSchema>;

/** Document id of a briefing in a user's database; deterministic so replays overwrite in place. */
export function briefingDocId(sorId: string): string {
  return `briefing:${sorId}`;
}

/** Document kinds a device may write into its user's returns database. */
export const RETURN_TYPES = ['read-receipt', 'annotation-event'] as const;
export type ReturnType = (typeof RETURN_TYPES)[number];

export const readReceiptSchema = z.object({
  type: z.literal('read-receipt'),
  briefingId: z.string().min(1),
  sorId: z.string().min(1),
  sourceVersion: z.number().int().positive(),
  readAt: z.string(),
  author: z.string().min(1),
});
export type ReadReceipt = z.infer<typeof readReceiptSchema>;
