// The System of Record (SOR) as the pipeline sees it. The demo SOR (demo-sor.sqlite.ts)
// implements it; an organisation's real SOR gets a REST adapter behind the same contract.
// Everything the SOR hands over is untrusted: the fan-out validates `content` before use.
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

export type SorChangePage = {
  readonly changes: readonly SorChange[];
  /** Opaque; pass it back to read on. Equal to the input cursor when there was nothing new. */
  readonly nextCursor: string;
};

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

export type SorAdapter = {
  /** Changes after `cursor` (null: from the beginning), oldest first, at most `limit`. */
  listChanges(cursor: string | null, limit: number): Promise<SorChangePage>;
  /** The document's current version, or null when the SOR no longer has it. */
  fetchDocument(sorId: string): Promise<SorDocument | null>;
  writeReturn(item: SorReturn): Promise<'stored' | 'duplicate'>;
  /** true when the SOR answers. */
  ping(): Promise<boolean>;
};

/** Typed failure of the SOR itself (unreachable, 5xx): callers retry with backoff. */
export class SorUnavailableError extends Error {
  readonly code = 'SOR_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'SorUnavailableError';
  }
}
