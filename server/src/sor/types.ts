// The System of Record (SOR) as the pipeline sees it: the SOR adapter contract.
//
// - listChanges: the SOR's append-only log of share/unshare events after an opaque cursor.
//   Every share of a document with a recipient, every new version of a shared document (one
//   share event per current recipient) and every unshare appears there, in order.
// - fetchDocument: the document's current version with its content, attachments and the users
//   it is shared with *now*. The fan-out decides from this, never from the event alone, so
//   events may be replayed, reordered or coalesced without harm.
// - fetchShareState: the same without content and attachments (a cheap re-check).
// - fetchShareHistory: when a document was shared with one user (every interval, past and
//   present), so that a return is accepted only for a briefing its author could read then.
// - writeReturn: a user's read receipt (or other return) back into the SOR, idempotent by key.
//
// Implementations: the demo SOR in process (demo-sor.sqlite.ts) and the REST adapter
// (sor.rest.ts) for any SOR behind the HTTP contract in server/openapi/sor-adapter.yaml (the
// demo SOR serves that contract too: sor-api.ts). Everything a SOR hands over is untrusted: the
// fan-out validates `content` before use.
import type { ReturnType } from '../../../src/shared/briefing.js';

export type ShareKind = 'share' | 'unshare';

/** One share/unshare event in the SOR's append-only change log. */
export type SorChange = {
  /** Position in the change log; strictly increasing. */
  readonly seq: number;
  readonly kind: ShareKind;
  readonly sorId: string;
  readonly recipient: string;
  /** Document version current when the event happened. */
  readonly version: number;
  /** When the SOR approved this share (or the unshare took effect), ISO 8601. */
  readonly approvedAt: string;
};

/** A change-log entry the adapter could not read: dead-lettered with the reason, never dropped. */
export type SorMalformedChange = {
  readonly reason: string;
  /** The entry as received (cut to a few KB), for the dead-letter queue. */
  readonly record: unknown;
};

export type SorChangePage = {
  readonly changes: readonly SorChange[];
  readonly malformed?: readonly SorMalformedChange[];
  /** Opaque; pass it back to read on. Equal to the input cursor when there was nothing new. */
  readonly nextCursor: string;
};

/** The largest attachment Attaché takes from a SOR (the REST adapter and the fan-out refuse more). */
export const MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024;

export type SorAttachment = {
  readonly name: string;
  readonly contentType: string;
  readonly data: Uint8Array;
};

export type SorDocument = {
  readonly sorId: string;
  readonly version: number;
  /** When this version was approved, ISO 8601. */
  readonly approvedAt: string;
  /** Users the document is shared with right now. */
  readonly recipients: readonly string[];
  /**
   * The briefing fields as the SOR holds them (title, summary, bodyHtml, classification,
   * priority, sender, createdAt, updatedAt). Unvalidated: see fanout/transform.ts.
   */
  readonly content: unknown;
  readonly attachments: readonly SorAttachment[];
};

/** Something a user wrote on their device (a read receipt), going back to the SOR. */
export type SorReturn = {
  /** Makes the write idempotent: the same key twice stores one return. */
  readonly idempotencyKey: string;
  readonly userId: string;
  readonly type: ReturnType;
  readonly sorId: string;
  readonly payload: unknown;
};

export type SorShareState = {
  readonly sorId: string;
  readonly version: number;
  readonly recipients: readonly string[];
};

/** A stretch of time during which a document was shared with a user. */
export type SorShareInterval = {
  /** When the share took effect, ISO 8601. */
  readonly from: string;
  /** When the unshare took effect, ISO 8601; null while it is still shared. */
  readonly until: string | null;
};

export type SorShareHistory = {
  readonly sorId: string;
  readonly userId: string;
  /** Oldest first; empty when the document was never shared with the user. */
  readonly intervals: readonly SorShareInterval[];
};

export type SorAdapter = {
  /** Changes after `cursor` (null: from the beginning), oldest first, at most `limit`. */
  listChanges(cursor: string | null, limit: number): Promise<SorChangePage>;
  /**
   * The document's current version, or null when the SOR no longer has it. Throws
   * SorRecordError when what the SOR returns cannot be a document (too large, not UTF-8, not
   * JSON): retrying will not help.
   */
  fetchDocument(sorId: string): Promise<SorDocument | null>;
  /** Current version and recipients only, or null when the SOR no longer has the document. */
  fetchShareState(sorId: string): Promise<SorShareState | null>;
  /**
   * When the document was shared with `userId`, or null when the SOR has no such document.
   * Throws SorRecordError when the SOR's answer breaks the contract.
   */
  fetchShareHistory(sorId: string, userId: string): Promise<SorShareHistory | null>;
  /** Stores a return; the same idempotency key twice stores it once ('duplicate'). */
  writeReturn(item: SorReturn): Promise<'stored' | 'duplicate'>;
  /** true when the SOR answers. */
  ping(): Promise<boolean>;
  /**
   * Optional: an SOR that can say "something changed". Resolves true as soon as there are changes
   * after `cursor`, false when `timeoutMs` passed (or `signal` aborted) without any. The poller
   * waits on it between polls, so a share reaches devices at once; without it (or when it fails)
   * the poller polls on its interval as before.
   */
  waitForChanges?(cursor: string | null, timeoutMs: number, signal: AbortSignal): Promise<boolean>;
};

/**
 * Why a shared briefing was not delivered: its marking is above the organisation's ceiling
 * (ATTACHE_CLASSIFICATION_CEILING). Sent once per document version, idempotent by key.
 */
export type SorDeliveryNotice = {
  readonly idempotencyKey: string;
  readonly sorId: string;
  readonly version: number;
  readonly classification: string;
  readonly reason: string;
};

/** The SOR is told what Attaché withheld and why (a separate port: not every use needs it). */
export type SorDeliveryNotices = {
  reportWithheld(notice: SorDeliveryNotice): Promise<'stored' | 'duplicate'>;
};

/** Typed failure of the SOR itself (unreachable, 5xx): callers retry with backoff. */
export class SorUnavailableError extends Error {
  readonly code = 'SOR_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'SorUnavailableError';
  }
}

/** What the SOR returned for one record is unusable; the record is dead-lettered with this. */
export class SorRecordError extends Error {
  readonly code = 'SOR_RECORD_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'SorRecordError';
  }
}
