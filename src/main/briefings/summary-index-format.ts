// What the summary index keeps, in which order, and what it saves (summary-index.file.ts seals
// it): the current format, and the one before it, which a start migrates rather than rebuilds;
// and the index's contract (summary-index.ts builds it).
import type { BriefingDoc } from '../../shared/briefing.js';
import type { BriefingSummary } from '../../shared/ipc.js';
import type { AnnotationMark } from '../annotations/annotation-presence.js';
import { isAnnotationMark } from '../annotations/annotation-presence.js';
import type { Logger } from '../logging/logger.js';
import type { StoredDoc, UserStore } from '../storage/types.js';

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

/** Bumped when what is saved changes shape: an older file is then migrated or rebuilt, never misread. */
export const FORMAT = 2;
/** The format before annotation marks were kept: its briefings and read state still hold. */
export const FORMAT_WITHOUT_MARKS = 1;

export type Saved = {
  readonly format: typeof FORMAT;
  readonly briefingsSeq: string | number;
  readonly returnsSeq: string | number;
  readonly briefings: readonly IndexedBriefing[];
  readonly read: readonly (readonly [string, number])[];
  readonly annotationMarks: readonly AnnotationMark[];
};

/** What the previous release saved: the same, without annotation marks. */
export type SavedWithoutMarks = Omit<Saved, 'format' | 'annotationMarks'> & {
  readonly format: typeof FORMAT_WITHOUT_MARKS;
};

function isSeq(value: unknown): value is string | number {
  return typeof value === 'string' || typeof value === 'number';
}

/**
 * The saved index if it is of this format or the previous one. The file is authenticated with
 * the store's key, so a file of a known format was written by this code; only its shape is
 * checked.
 */
export function asSaved(value: unknown): Saved | SavedWithoutMarks | null {
  if (typeof value !== 'object' || value === null) return null;
  const saved = value as Partial<Omit<Saved, 'format'>> & { readonly format?: unknown };
  if (!isSeq(saved.briefingsSeq) || !isSeq(saved.returnsSeq)) return null;
  if (!Array.isArray(saved.briefings) || !Array.isArray(saved.read)) return null;
  if (saved.format === FORMAT_WITHOUT_MARKS) return saved as SavedWithoutMarks;
  if (saved.format !== FORMAT || !Array.isArray(saved.annotationMarks)) return null;
  if (!saved.annotationMarks.every(isAnnotationMark)) return null;
  return saved as Saved;
}

/**
 * The briefing a returns document concerns: read receipts and annotation events both name it in
 * `briefingId` (shared/briefing.ts, shared/annotations/events.ts). Null for anything else.
 */
export function briefingOfReturn(doc: StoredDoc | null): string | null {
  const briefingId = doc?.['briefingId'];
  return typeof briefingId === 'string' && briefingId.length > 0 ? briefingId : null;
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

export function approvedTime(approvedAt: string): number {
  const time = Date.parse(approvedAt);
  return Number.isFinite(time) ? time : Number.NEGATIVE_INFINITY;
}

export type Row = { readonly entry: IndexedBriefing; readonly time: number };

/** Newest approval first; ties broken by id so the order is stable between calls. */
export function compareRows(a: Row, b: Row): number {
  return b.time - a.time || (a.entry.id < b.entry.id ? -1 : a.entry.id > b.entry.id ? 1 : 0);
}

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
  /** Catches up with the store now (a returns change then reaches onChanged without a list call). */
  readonly refresh: () => Promise<void>;
  /** Resolves once the index holds every briefing (at once unless a rebuild is under way). */
  readonly built: () => Promise<void>;
  /** Saves what is not saved yet (never a rebuild that has not finished). */
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
  /** How long after the last change the index is saved (each save writes all of it)... */
  readonly saveDelayMs?: number;
  /** ...and at most how long after the first change not saved (save-pacer.ts). */
  readonly saveWithinMs?: number;
  /**
   * Briefings whose summary changed in a way the store's briefing changes do not tell: those a
   * rebuild added after its first answer, and those a returns document (a read receipt, an
   * annotation event) concerns, as the index catches up with it.
   */
  readonly onChanged?: (briefingIds: readonly string[]) => void;
  /** How many briefings a rebuild reads at a time. */
  readonly buildChunk?: number;
};
