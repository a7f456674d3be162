// The SOR contract on the wire (server/openapi/sor-adapter.yaml): paths and JSON shapes shared by
// the demo SOR's contract API (sor-api.ts) and the REST adapter (sor.rest.ts), which validates
// every answer against them because a SOR façade may send anything.
import { z } from 'zod';
import { RETURN_TYPES } from '../../../src/shared/briefing.js';

/** Path prefix of the contract on the demo SOR's port. */
export const SOR_API_PREFIX = '/sor/v1';

export const SOR_PATHS = {
  health: '/health',
  changes: '/changes',
  document: (sorId: string) => `/documents/${encodeURIComponent(sorId)}`,
  shareState: (sorId: string) => `/documents/${encodeURIComponent(sorId)}/recipients`,
  /** The user goes in the query: user ids may hold '/', which proxies treat badly in paths. */
  shareHistory: (sorId: string, userId: string) =>
    `/documents/${encodeURIComponent(sorId)}/share-history?${new URLSearchParams({ user: userId })}`,
  attachment: (sorId: string, version: number, name: string) =>
    `/documents/${encodeURIComponent(sorId)}/versions/${version}/attachments/${encodeURIComponent(name)}`,
  returns: '/returns',
  deliveryNotices: '/delivery-notices',
} as const;

/** Most changes one page may carry (the adapter asks for fewer). */
export const MAX_CHANGES_PER_PAGE = 10_000;

export const wireChangeSchema = z.object({
  seq: z.number().int().nonnegative(),
  kind: z.enum(['share', 'unshare']),
  sorId: z.string().min(1).max(200),
  recipient: z.string(),
  version: z.number().int().positive(),
  approvedAt: z.string().min(1),
});

/** The page envelope; entries are checked one by one so that one bad entry is not a bad page. */
export const wireChangePageSchema = z.object({
  changes: z.array(z.unknown()).max(MAX_CHANGES_PER_PAGE),
  nextCursor: z.string().min(1).max(1000),
  /** true: the SOR honoured `waitMs` (held an empty page until a change or the wait ended). */
  longPoll: z.boolean().optional(),
});

/** Longest `waitMs` Attaché asks of an SOR's long poll of the change log. */
export const MAX_LONG_POLL_MS = 60_000;

export const wireAttachmentMetaSchema = z.object({
  name: z.string().min(1).max(255),
  contentType: z.string().min(1).max(255),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected a lowercase hex SHA-256' }),
});

export const wireDocumentSchema = z.object({
  sorId: z.string().min(1),
  version: z.number().int().positive(),
  approvedAt: z.string().min(1),
  recipients: z.array(z.string()).max(100_000),
  /** Validated later, by the fan-out, against the briefing content schema. */
  content: z.unknown(),
  attachments: z.array(wireAttachmentMetaSchema).max(100),
});
export type WireDocument = z.infer<typeof wireDocumentSchema>;

export const wireShareStateSchema = z.object({
  sorId: z.string().min(1),
  version: z.number().int().positive(),
  recipients: z.array(z.string()).max(100_000),
});

/** Most share intervals of one document and user an answer may carry. */
export const MAX_SHARE_INTERVALS = 10_000;

const wireTimeSchema = z
  .string()
  .min(1)
  .max(100)
  .refine((text) => Number.isFinite(Date.parse(text)), { error: 'expected an ISO 8601 time' });

export const wireShareHistorySchema = z.object({
  sorId: z.string().min(1).max(200),
  userId: z.string().min(1).max(200),
  intervals: z
    .array(z.object({ from: wireTimeSchema, until: wireTimeSchema.nullable() }))
    .max(MAX_SHARE_INTERVALS),
});

export const wireReturnSchema = z.object({
  idempotencyKey: z.string().min(1).max(1000),
  userId: z.string().min(1).max(200),
  type: z.enum(RETURN_TYPES),
  sorId: z.string().min(1).max(200),
  payload: z.unknown(),
});

export const wireDeliveryNoticeSchema = z.object({
  idempotencyKey: z.string().min(1).max(1000),
  sorId: z.string().min(1).max(200),
  version: z.number().int().positive(),
  classification: z.string().min(1).max(100),
  reason: z.string().min(1).max(2000),
});

export const wireReturnResultSchema = z.object({ status: z.enum(['stored', 'duplicate']) });

/** "path.to.field: problem; ..." for a failed parse. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map(
      (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(record)'}: ${issue.message}`,
    )
    .join('; ');
}
