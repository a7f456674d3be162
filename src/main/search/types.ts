// The search capability's contract: what an index of a person's briefings holds, what it is
// asked, and what it answers. The SQLite FTS5 adapter (search-index.sqlite.ts, run in a worker
// thread by index-worker.ts) implements it; the search service (search-service.ts) feeds it
// from the store's changes and answers the reader.
import type { Classification, Priority } from '../../shared/briefing.js';
import type { SearchFilters, SnippetSegment, SnippetSource } from '../../shared/search.js';

/** One briefing as the index holds it: its words by field, and what filters need. */
export type IndexedBriefing = {
  readonly id: string;
  /** The store's revision, to tell whether the index is behind the store. */
  readonly rev: string;
  readonly title: string;
  readonly summary: string;
  readonly senderName: string;
  readonly senderRole: string;
  /** The body's text (the HTML's words, no markup). */
  readonly body: string;
  /**
   * The text of its PDF attachments; null keeps the text the index already holds for the same
   * attachments (`attachmentsKey` unchanged), so an edit of the body does not read PDFs again.
   */
  readonly attachments: string | null;
  /** The attachments' digests, in order: equal keys mean equal files. */
  readonly attachmentsKey: string;
  readonly classification: Classification;
  readonly priority: Priority;
  readonly approvedAt: string;
  readonly sourceVersion: number;
  readonly attachmentCount: number;
};

/** A word of the query: a whole word, or the beginning of one (the word being typed). */
export type QueryTerm = { readonly text: string; readonly prefix: boolean };

/** A briefing as the service hands it to the index: the body still HTML (the index's thread
 * takes its words out, so the main thread does not). */
export type BriefingSource = Omit<IndexedBriefing, 'body'> & { readonly bodyHtml: string };

/** A query after parsing: what the person typed, understood. */
export type ParsedQuery = {
  readonly terms: readonly QueryTerm[];
  /** Words that must stand in this order, side by side. */
  readonly phrases: readonly (readonly string[])[];
  readonly filters: SearchFilters;
  /** What could not be understood, each with what would be. */
  readonly problems: readonly string[];
};

export type IndexQuery = {
  readonly query: ParsedQuery;
  readonly limit: number;
  /** The hits from this one on, in the same order (0 unless said). */
  readonly offset?: number;
  /**
   * For the unread filter: the newest version of each briefing the reader has read. The index
   * knows versions, the returns database knows what was read. Taken as unchanged while it is
   * the same map: a new one is made for every change, never the same one changed.
   */
  readonly readVersions?: ReadonlyMap<string, number>;
};

export type IndexHit = {
  readonly id: string;
  readonly title: readonly SnippetSegment[];
  readonly snippet: readonly SnippetSegment[];
  readonly snippetSource: SnippetSource;
  readonly classification: Classification;
  readonly priority: Priority;
  readonly senderName: string;
  readonly approvedAt: string;
  readonly sourceVersion: number;
  readonly attachmentCount: number;
};

export type IndexAnswer = {
  readonly total: number;
  /** More than `total` match: counting stopped at SEARCH_COUNT_CAP. */
  readonly totalCapped: boolean;
  readonly hits: readonly IndexHit[];
  /** Words of the index that the query's words were taken to mean (typos corrected). */
  readonly expansions: readonly string[];
};

/** The index of one person's briefings. Every method may be called while another runs. */
export type SearchIndex = {
  /** Adds or replaces briefings. */
  readonly upsert: (briefings: readonly BriefingSource[]) => Promise<void>;
  /** Removes briefings, their words included, from the index and from its files, at once. */
  readonly remove: (ids: readonly string[]) => Promise<void>;
  /**
   * Sets the reader's own notes and highlights on a briefing (all of their text, replacing
   * what was set before; '' removes them). Kept across updates of the briefing; removed with it.
   */
  readonly setNotes: (id: string, text: string) => Promise<void>;
  /** Every indexed briefing's id and revision. */
  readonly revisions: () => Promise<ReadonlyMap<string, string>>;
  /** The attachments' key of each of these briefings that the index holds. */
  readonly attachmentKeys: (ids: readonly string[]) => Promise<ReadonlyMap<string, string>>;
  readonly query: (query: IndexQuery) => Promise<IndexAnswer>;
  /**
   * Merges the index's pieces now, to the end, queries waiting meanwhile (index-tidy.sqlite.ts).
   * The index's thread does it by itself once writes pause, between queries; this is for a
   * caller that wants it done (a benchmark measuring the settled index).
   */
  readonly tidy: () => Promise<void>;
  readonly close: () => Promise<void>;
};

/** Stable codes of the index's errors. */
export const SEARCH_ERROR_CODES = {
  /** The index's files do not open with the person's key, or are damaged: it is rebuilt. */
  unreadable: 'search-index-unreadable',
  /** The index stopped (its thread ended); search answers again once it is reopened. */
  unavailable: 'search-unavailable',
} as const;

export class SearchIndexError extends Error {
  override readonly name = 'SearchIndexError';
  constructor(
    readonly code: (typeof SEARCH_ERROR_CODES)[keyof typeof SEARCH_ERROR_CODES],
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}
