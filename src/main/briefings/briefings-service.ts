// What the reader can do with the briefings on this device: list (in pages), open, fetch an
// attachment, mark read. Reads only the local store, so everything here works offline. The list
// and the read state come from the summary index (summary-index.ts): listing never reads a body.
// One error vocabulary (shared/app-error.ts): what can happen in normal use is a value (a
// briefing no longer here is null, or 'not-found' for markRead); a store that cannot be read
// throws its AppError (StoreLockedError, StoreIntegrityError), whose advice reaches the reader
// through the IPC dispatcher. The IPC handlers turn the values into the reader's Result.
import { randomUUID } from 'node:crypto';
import type { BriefingDoc, ReadReceipt } from '../../shared/briefing.js';
import { briefingDocSchema, readReceiptSchema } from '../../shared/briefing.js';
import type { AttachmentContent, BriefingDetail, BriefingSummary } from '../../shared/ipc.js';
import type { AppErrorInfo } from '../../shared/app-error.js';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { StoredDoc, UserStore } from '../storage/types.js';
import type { SummaryPage } from './summary-index.js';
import { createSummaryIndex, toIndexed } from './summary-index.js';

export type BriefingsService = {
  /** Every summary, newest approval first (from the summary index: no body is read). */
  readonly list: () => Promise<readonly BriefingSummary[]>;
  /** `limit` summaries from `offset`, and how many there are in all. */
  readonly page: (offset: number, limit?: number) => Promise<SummaryPage>;
  /** The summaries of these ids the device holds (what changed), in the order asked. */
  readonly summaries: (ids: readonly string[]) => Promise<SummaryPage>;
  readonly get: (id: string) => Promise<BriefingDetail | null>;
  readonly attachment: (id: string, name: string) => Promise<AttachmentContent | null>;
  readonly markRead: (id: string) => Promise<MarkReadOutcome>;
  /** Saves the summary index; the store is closed after this. */
  readonly close: () => Promise<void>;
};

/** 'already-read': this version has a receipt, so nothing was written. */
export type MarkReadOutcome = 'marked' | 'already-read' | 'not-found';

/** What the reader is told when it acts on a briefing the device no longer holds. */
export const BRIEFING_NOT_FOUND: AppErrorInfo = {
  code: 'briefing-not-found',
  message: 'This briefing is no longer on this device. It may have been withdrawn.',
};

export type BriefingsServiceOptions = {
  readonly store: UserStore;
  readonly logger: Logger;
  readonly now?: () => Date;
  /**
   * Called with the briefings whose summary changed other than through the store's briefing
   * changes: a local mark-read at once, the read state or annotations a returns document brings
   * (restored from the server, or written here), and the briefings a rebuild of the summary
   * index adds after its first answer. Never empty: the reader refetches only these.
   */
  readonly onChanged?: (ids: readonly string[]) => void;
};

type ValidBriefing = { readonly id: string; readonly doc: BriefingDoc };

/** The reader's first screen, and each further page as it scrolls. */
export const DEFAULT_PAGE_SIZE = 50;

/** The newest version of each briefing its read receipts say was read (search uses it too). */
export function readVersionsOf(returnDocs: readonly StoredDoc[]): Map<string, number> {
  const index = new Map<string, number>();
  for (const stored of returnDocs) {
    const parsed = readReceiptSchema.safeParse(stored);
    if (!parsed.success) continue;
    const { briefingId, sourceVersion } = parsed.data;
    index.set(briefingId, Math.max(index.get(briefingId) ?? 0, sourceVersion));
  }
  return index;
}

export function createBriefingsService(options: BriefingsServiceOptions): BriefingsService {
  const { store } = options;
  const logger = options.logger.child('briefings');
  const now = options.now ?? (() => new Date());
  // Each invalid document is reported once per process, not on every list.
  const reportedInvalid = new Set<string>();

  const validate = (stored: StoredDoc): ValidBriefing | null => {
    const { _id, _rev, _attachments, _conflicts, _revisions, ...body } = stored;
    void _rev;
    void _attachments;
    void _conflicts;
    void _revisions;
    const parsed = briefingDocSchema.safeParse(body);
    if (parsed.success) return { id: _id, doc: parsed.data };
    const key = `${_id}@${stored._rev}`;
    if (!reportedInvalid.has(key)) {
      reportedInvalid.add(key);
      // Only the paths and codes: the document's content may be classified.
      logger.warn('skipping a briefing that does not match the schema', {
        id: _id,
        issues: parsed.error.issues
          .slice(0, 5)
          .map((issue) => `${issue.path.join('.')}: ${issue.code}`),
      });
    }
    return null;
  };

  const index = createSummaryIndex({
    store,
    logger,
    validate,
    ...(options.onChanged ? { onChanged: options.onChanged } : {}),
  });
  // Loaded (or built) as the workspace opens, not on the reader's first list: on a first sign-in
  // the store is still empty then, so the index starts empty at once and follows the sync a page
  // at a time, where a first list during the sync would wait for a rebuild of what has arrived.
  index.refresh().catch((error: unknown) => {
    logger.warn('could not load the summary index', errorFields(error));
  });
  // A returns change reaches the reader through the index's catch-up, which knows the briefing
  // each document names (the change itself carries only the document's own id).
  const unsubscribeReturns = store.onReturnsChange(() => {
    index.refresh().catch((error: unknown) => {
      logger.warn('could not catch up with the read state', errorFields(error));
    });
  });
  const isRead = async (id: string, sourceVersion: number): Promise<boolean> => {
    const readVersion = await index.readVersion(id);
    // A newly approved version of a briefing is news again, so a receipt for an older version
    // does not count.
    return readVersion !== undefined && readVersion >= sourceVersion;
  };

  const getValid = async (id: string): Promise<ValidBriefing | null> => {
    const stored = await store.getBriefingDoc(id);
    return stored ? validate(stored) : null;
  };

  return {
    list: async () => (await index.page(0, Number.MAX_SAFE_INTEGER)).items,
    page: (offset, limit = DEFAULT_PAGE_SIZE) => index.page(offset, limit),
    summaries: (ids) => index.summaries(ids),

    get: async (id) => {
      const briefing = await getValid(id);
      if (!briefing) return null;
      const { doc } = briefing;
      // What the list shows of it, as the summary index keeps it, and the rest of the detail.
      const { sorId, ...summary } = toIndexed(id, doc);
      void sorId;
      return {
        ...summary,
        read: await isRead(id, doc.sourceVersion),
        annotationCount: await index.annotationCount(id),
        bodyHtml: doc.bodyHtml,
        senderRole: doc.sender.role,
        updatedAt: doc.updatedAt,
        attachments: doc.attachments,
      };
    },

    attachment: async (id, name) => {
      // Only attachments the briefing declares: the store may hold others the schema does not know.
      const briefing = await getValid(id);
      const meta = briefing?.doc.attachments.find((attachment) => attachment.name === name);
      if (!meta) return null;
      const data = await store.getBriefingAttachment(id, name);
      if (!data) return null;
      return {
        name,
        contentType: meta.contentType || data.contentType,
        base64: data.data.toString('base64'),
      };
    },

    markRead: async (id) => {
      const briefing = await getValid(id);
      if (!briefing) return 'not-found';
      // Opening a briefing again is not news for the SOR: one receipt per version is enough.
      if (await isRead(id, briefing.doc.sourceVersion)) return 'already-read';
      const readAt = now().toISOString();
      const receipt: ReadReceipt = {
        type: 'read-receipt',
        briefingId: id,
        sorId: briefing.doc.sorId,
        sourceVersion: briefing.doc.sourceVersion,
        readAt,
        author: store.userId,
      };
      // Append-only and unique per event: two devices (or two clicks) never write the same id,
      // so a receipt can never conflict on the server. Ids are plaintext in the local store
      // (LevelDB keys are not encrypted), so this one names neither the briefing nor the time.
      const receiptId = `read-receipt:${randomUUID()}`;
      await store.createReturnDoc(receiptId, readReceiptSchema.parse(receipt));
      options.onChanged?.([id]);
      return 'marked';
    },

    close: () => {
      unsubscribeReturns();
      return index.close();
    },
  };
}
