// The summary index: per briefing only what the reader's list shows, plus the read state, so a
// list (or a page of it) never reads, decrypts or validates a briefing's body, and a get or
// mark-read never reads every read receipt.
//
// It is a cache of the store. It remembers up to which sequence of each database (briefings,
// returns) it has seen and catches up from their changes feeds before it answers, so it is never
// behind what the store holds; it is saved (sealed, summary-index.file.ts) a moment after it
// changes and when the store closes. A missing or unusable file, or one of another format,
// means a rebuild from one read of each database (this is how a store written by an earlier
// release gets its index). A file of the previous format (1, without the annotation marks) keeps
// its briefings and is migrated by one read of the returns database alone.
//
// From the returns it also keeps the order and owner of every annotation event (never a quote or
// a note: annotations/annotation-presence.ts), so each summary says how many marks the reader
// has on that briefing without the list reading an event.
import { ANNOTATION_EVENT_ID_PREFIX } from '../../shared/annotations/limits.js';
import type { BriefingDoc } from '../../shared/briefing.js';
import { readReceiptSchema } from '../../shared/briefing.js';
import type { BriefingSummary } from '../../shared/ipc.js';
import type { AnnotationMark } from '../annotations/annotation-presence.js';
import {
  annotationMarkOf,
  isAnnotationMark,
  liveAnnotationCounts,
} from '../annotations/annotation-presence.js';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { ChangesPage, StoredDoc, UserStore } from '../storage/types.js';

/** What the index keeps of a briefing: its summary without the read state, and what marks it read. */
export type IndexedBriefing = Omit<BriefingSummary, 'read' | 'annotationCount'> & {
  readonly sourceVersion: number;
  readonly sorId: string;
};

export type SummaryPage = {
  readonly items: readonly BriefingSummary[];
  /** How many briefings the whole list holds. */
  readonly total: number;
  /** How many of them are unread. */
  readonly unread: number;
};

export type SummaryIndex = {
  /** `limit` summaries from `offset` in the list's order (newest approval first). */
  readonly page: (offset: number, limit: number) => Promise<SummaryPage>;
  /** The summaries of these ids that the device holds, in the order asked, and the counts. */
  readonly summaries: (ids: readonly string[]) => Promise<SummaryPage>;
  readonly entry: (id: string) => Promise<IndexedBriefing | null>;
  /** The highest version of the briefing the reader has read (undefined: none). */
  readonly readVersion: (id: string) => Promise<number | undefined>;
  /** How many live annotations (marks and notes) the reader has on the briefing. */
  readonly annotationCount: (id: string) => Promise<number>;
  /** Saves what is not saved yet. */
  readonly flush: () => Promise<void>;
  /** Saves and stops the save timer; later calls still answer, and save only on flush. */
  readonly close: () => Promise<void>;
};

export type SummaryIndexOptions = {
  readonly store: UserStore;
  readonly logger: Logger;
  /** The briefing if the stored document is a valid one, null otherwise (it is left out). */
  readonly validate: (
    stored: StoredDoc,
  ) => { readonly id: string; readonly doc: BriefingDoc } | null;
  /** How long after a change the index is saved (changes during a sync come in bursts). */
  readonly saveDelayMs?: number;
};

/** Bumped when what is saved changes shape: an older file is then migrated or rebuilt, never misread. */
const FORMAT = 2;
/** The format before annotation marks were kept: its briefings and read state still hold. */
const FORMAT_WITHOUT_MARKS = 1;
const CHANGES_PAGE = 500;
const DEFAULT_SAVE_DELAY_MS = 2_000;

type Saved = {
  readonly format: typeof FORMAT;
  readonly briefingsSeq: string | number;
  readonly returnsSeq: string | number;
  readonly briefings: readonly IndexedBriefing[];
  readonly read: readonly (readonly [string, number])[];
  readonly annotationMarks: readonly AnnotationMark[];
};

/** What the previous release saved: the same, without annotation marks. */
type SavedWithoutMarks = Omit<Saved, 'format' | 'annotationMarks'> & {
  readonly format: typeof FORMAT_WITHOUT_MARKS;
};

function isSeq(value: unknown): value is string | number {
  return typeof value === 'string' || typeof value === 'number';
}

/**
 * The saved index if it is of this format. The file is authenticated with the store's key, so
 * a file of the right format was written by this code; only its shape is checked.
 */
function asSaved(value: unknown): Saved | SavedWithoutMarks | null {
  if (typeof value !== 'object' || value === null) return null;
  const saved = value as Partial<Omit<Saved, 'format'>> & { readonly format?: unknown };
  if (!isSeq(saved.briefingsSeq) || !isSeq(saved.returnsSeq)) return null;
  if (!Array.isArray(saved.briefings) || !Array.isArray(saved.read)) return null;
  if (saved.format === FORMAT_WITHOUT_MARKS) return saved as SavedWithoutMarks;
  if (saved.format !== FORMAT || !Array.isArray(saved.annotationMarks)) return null;
  if (!saved.annotationMarks.every(isAnnotationMark)) return null;
  return saved as Saved;
}

function approvedTime(approvedAt: string): number {
  const time = Date.parse(approvedAt);
  return Number.isFinite(time) ? time : Number.NEGATIVE_INFINITY;
}

type Row = { readonly entry: IndexedBriefing; readonly time: number };

/** Newest approval first; ties broken by id so the order is stable between calls. */
function compareRows(a: Row, b: Row): number {
  return b.time - a.time || (a.entry.id < b.entry.id ? -1 : a.entry.id > b.entry.id ? 1 : 0);
}

export function toIndexed(id: string, doc: BriefingDoc): IndexedBriefing {
  return {
    id,
    title: doc.title,
    summary: doc.summary,
    classification: doc.classification,
    priority: doc.priority,
    senderName: doc.sender.name,
    approvedAt: doc.approvedAt,
    attachmentCount: doc.attachments.length,
    sourceVersion: doc.sourceVersion,
    sorId: doc.sorId,
  };
}

export function createSummaryIndex(options: SummaryIndexOptions): SummaryIndex {
  const { store, validate } = options;
  const logger = options.logger.child('summary-index');
  const saveDelayMs = options.saveDelayMs ?? DEFAULT_SAVE_DELAY_MS;

  const rows = new Map<string, Row>();
  const read = new Map<string, number>();
  // By event document id: a removed event (the briefing was unshared) comes as a deletion.
  const marks = new Map<string, AnnotationMark>();
  let annotationCounts: ReadonlyMap<string, number> | null = null;
  let briefingsSeq: string | number = 0;
  let returnsSeq: string | number = 0;
  let ordered: Row[] | null = null;
  let unsaved = false;
  let saveTimer: NodeJS.Timeout | null = null;
  let closed = false;
  let loaded: Promise<void> | null = null;
  // One catch-up at a time: the seq it starts from is the one the previous ended at.
  let updating: Promise<void> = Promise.resolve();

  const put = (entry: IndexedBriefing): void => {
    rows.set(entry.id, { entry, time: approvedTime(entry.approvedAt) });
  };

  const applyBriefing = (id: string, doc: StoredDoc | null): void => {
    const valid = doc ? validate(doc) : null;
    if (valid) put(toIndexed(valid.id, valid.doc));
    else rows.delete(id);
    ordered = null;
  };
  const applyReturn = (id: string, doc: StoredDoc | null): void => {
    if (id.startsWith(ANNOTATION_EVENT_ID_PREFIX)) {
      const mark = doc ? annotationMarkOf(doc) : null;
      if (mark) marks.set(id, mark);
      else marks.delete(id);
      annotationCounts = null;
      return;
    }
    // Receipts are append-only and never removed, so a deletion changes nothing here.
    const parsed = doc ? readReceiptSchema.safeParse(doc) : null;
    if (!parsed?.success) return;
    const { briefingId, sourceVersion } = parsed.data;
    read.set(briefingId, Math.max(read.get(briefingId) ?? 0, sourceVersion));
  };

  /**
   * Everything from the databases in one read each (much faster than their changes feeds from
   * 0). The sequences are taken first: what is written meanwhile comes again in the catch-up
   * that follows, and applying a document twice changes nothing.
   */
  const rebuild = async (): Promise<void> => {
    const briefingsAt = await store.briefingsUpdateSeq();
    for (const doc of await store.listBriefingDocs()) applyBriefing(doc._id, doc);
    briefingsSeq = briefingsAt;
    await rebuildReturns();
  };
  const rebuildReturns = async (): Promise<void> => {
    const returnsAt = await store.returnsUpdateSeq();
    for (const doc of await store.listReturnDocs()) applyReturn(doc._id, doc);
    returnsSeq = returnsAt;
    unsaved = true;
  };

  const load = async (): Promise<void> => {
    const saved = asSaved(await store.summaryIndexFile.read());
    if (!saved) {
      logger.info('building the summary index from the store');
      await rebuild();
      return;
    }
    for (const entry of saved.briefings) put(entry);
    // Saved in the list's order (save below), so it is the order until something changes.
    ordered = [...rows.values()];
    for (const [id, version] of saved.read) read.set(id, version);
    briefingsSeq = saved.briefingsSeq;
    returnsSeq = saved.returnsSeq;
    if (saved.format === FORMAT_WITHOUT_MARKS) {
      // Saved by the previous release: its briefings stand; the returns it never kept the
      // annotation events of are read once (receipts again too, which changes nothing).
      logger.info('adding annotation marks to the summary index from the returns');
      await rebuildReturns();
      return;
    }
    for (const mark of saved.annotationMarks) marks.set(mark.eventId, mark);
  };

  const follow = async (
    since: string | number,
    next: (since: string | number, limit: number) => Promise<ChangesPage>,
    apply: (id: string, doc: StoredDoc | null) => void,
  ): Promise<string | number> => {
    let seq = since;
    for (;;) {
      const page = await next(seq, CHANGES_PAGE);
      for (const { id, doc } of page.results) apply(id, doc);
      if (page.results.length > 0 || page.lastSeq !== seq) unsaved = true;
      seq = page.lastSeq;
      if (!page.more) return seq;
    }
  };

  const catchUp = async (): Promise<void> => {
    briefingsSeq = await follow(briefingsSeq, store.briefingChangesSince, applyBriefing);
    returnsSeq = await follow(returnsSeq, store.returnChangesSince, applyReturn);
    if (unsaved) scheduleSave();
  };

  const save = async (): Promise<void> => {
    if (!unsaved) return;
    unsaved = false;
    const value: Saved = {
      format: FORMAT,
      briefingsSeq,
      returnsSeq,
      // In the list's order, so that a start with nothing to catch up does not sort again.
      briefings: (ordered ??= [...rows.values()].sort(compareRows)).map((row) => row.entry),
      read: [...read.entries()],
      annotationMarks: [...marks.values()],
    };
    try {
      await store.summaryIndexFile.write(value);
    } catch (error) {
      unsaved = true;
      // Not fatal: the index is rebuilt or caught up from the store on the next start.
      logger.warn('could not save the summary index', errorFields(error));
    }
  };

  function scheduleSave(): void {
    if (closed || saveTimer) return;
    saveTimer = setTimeout(() => {
      saveTimer = null;
      updating = updating.then(save);
    }, saveDelayMs);
    saveTimer.unref();
  }

  /** Runs `fn` on an index that holds everything the store holds now. */
  const current = <T>(fn: () => T): Promise<T> => {
    loaded ??= load();
    const run = updating.then(async () => {
      await loaded;
      await catchUp();
      return fn();
    });
    updating = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };

  const isRead = (entry: IndexedBriefing): boolean => {
    const readVersion = read.get(entry.id);
    // A newly approved version of a briefing is news again, so a receipt for an older version
    // does not count.
    return readVersion !== undefined && readVersion >= entry.sourceVersion;
  };
  const annotationCountOf = (id: string): number =>
    (annotationCounts ??= liveAnnotationCounts(marks.values())).get(id) ?? 0;
  const summaryOf = (entry: IndexedBriefing): BriefingSummary => {
    const { sourceVersion, sorId, ...summary } = entry;
    void sourceVersion;
    void sorId;
    return { ...summary, read: isRead(entry), annotationCount: annotationCountOf(entry.id) };
  };
  const unreadCount = (): number => {
    let unread = 0;
    for (const row of rows.values()) if (!isRead(row.entry)) unread += 1;
    return unread;
  };

  return {
    page: (offset, limit) =>
      current(() => {
        ordered ??= [...rows.values()].sort(compareRows);
        return {
          items: ordered.slice(offset, offset + limit).map((row) => summaryOf(row.entry)),
          total: ordered.length,
          unread: unreadCount(),
        };
      }),
    summaries: (ids) =>
      current(() => ({
        items: ids.flatMap((id) => {
          const row = rows.get(id);
          return row ? [summaryOf(row.entry)] : [];
        }),
        total: rows.size,
        unread: unreadCount(),
      })),
    entry: (id) => current(() => rows.get(id)?.entry ?? null),
    readVersion: (id) => current(() => read.get(id)),
    annotationCount: (id) => current(() => annotationCountOf(id)),
    flush: () => {
      const run = updating.then(save);
      updating = run;
      return run;
    },
    close: async () => {
      closed = true;
      if (saveTimer) clearTimeout(saveTimer);
      saveTimer = null;
      const run = updating.then(save);
      updating = run;
      await run;
    },
  };
}
