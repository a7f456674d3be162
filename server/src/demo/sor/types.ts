// The demo SOR's contract: the SOR adapter every pipeline part uses, plus what the admin API,
// its CLI and the sample data need (create, update, share, unshare, list, read returns).
import type {
  SorAdapter,
  SorDeliveryNotice,
  SorDeliveryNotices,
  SorDocument,
  SorReturn,
} from '../../sor/types.js';

export type AttachmentInput = {
  readonly name: string;
  readonly contentType: string;
  readonly data: Uint8Array;
};

export type BriefingSummary = {
  readonly sorId: string;
  readonly version: number;
  readonly title: string;
  readonly classification: string;
  readonly priority: string;
  readonly approvedAt: string;
  readonly recipients: readonly string[];
  readonly attachments: readonly string[];
};

export type BriefingDetail = {
  readonly sorId: string;
  readonly version: number;
  readonly approvedAt: string;
  readonly createdAt: string;
  readonly recipients: readonly string[];
  readonly content: unknown;
  readonly attachments: readonly { name: string; contentType: string; size: number }[];
};

/** A document as the SOR contract API serves it: attachments described, fetched one by one. */
export type DocumentWithAttachmentMeta = Omit<SorDocument, 'attachments'> & {
  readonly attachments: readonly {
    name: string;
    contentType: string;
    size: number;
    sha256: string;
  }[];
};

export type StoredReturn = SorReturn & { readonly receivedAt: string };

export type StoredDeliveryNotice = SorDeliveryNotice & { readonly receivedAt: string };

export type DemoSor = SorAdapter &
  SorDeliveryNotices & {
    /** Always here: the demo SOR wakes whoever waits after each committed write. */
    waitForChanges(cursor: string | null, timeoutMs: number, signal: AbortSignal): Promise<boolean>;
    /** Delivery notices received so far, oldest first. */
    listDeliveryNotices(): StoredDeliveryNotice[];
    /** The current version with attachment metadata (name, type, size, sha256), no bytes. */
    documentWithAttachmentMeta(sorId: string): DocumentWithAttachmentMeta | null;
    /** The bytes of one attachment of one version, or null. */
    attachment(
      sorId: string,
      version: number,
      name: string,
    ): { contentType: string; data: Uint8Array } | null;
    /** Returns written back so far, oldest first. */
    listReturns(): StoredReturn[];
    /** Stores a new document (version 1) and shares it with `recipients`. */
    create(input: {
      content: unknown;
      attachments?: readonly AttachmentInput[];
      recipients?: readonly string[];
      approvedAt?: string;
    }): { sorId: string; version: number };
    /**
     * Stores a new version. `content` replaces the old one; `attachments` (when given) replace the
     * old set, otherwise they carry over. Current recipients get a share event for the new version.
     */
    update(
      sorId: string,
      input: { content: unknown; attachments?: readonly AttachmentInput[] },
    ): { sorId: string; version: number } | null;
    share(sorId: string, users: readonly string[]): { added: string[] } | null;
    unshare(sorId: string, users: readonly string[]): { removed: string[] } | null;
    list(): BriefingSummary[];
    get(sorId: string): BriefingDetail | null;
    /** The current content of a document (for updates that change a few fields). */
    currentContent(sorId: string): unknown;
    addUser(id: string, displayName: string): void;
    isKnownUser(id: string): boolean;
    /** The people the SOR knows (seeded, or shared with before), by id. */
    listUsers(): { id: string; displayName: string }[];
    documentCount(): number;
    close(): void;
  };
