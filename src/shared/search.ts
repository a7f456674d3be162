// What the reader and the device share about search: the request's filters and the answer's
// shape. How words are told apart and matched (the same for the index, the reader's highlights
// in a briefing's text and on a PDF's page) is in search-words.ts, re-exported here.
import { z } from 'zod';
import type { Classification, Priority } from './briefing.js';
import { CLASSIFICATIONS, PRIORITIES } from './briefing.js';
import type { SearchHighlight } from './search-words.js';
// The index's thread uses the cap, and loads nothing it need not (zod is not small).
export { SEARCH_COUNT_CAP } from './search-words.js';

// The words and their matching live apart, without zod, so the index's thread loads only them.
export type { SearchHighlight, WordSpan } from './search-words.js';
export {
  EMPTY_HIGHLIGHT,
  findMatches,
  normalizeWord,
  searchWords,
  wordSpans,
} from './search-words.js';

const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((day) => !Number.isNaN(Date.parse(`${day}T00:00:00Z`)), 'a real date');

/** Filters the reader can set without knowing the query syntax; the syntax sets the same. */
export const searchFiltersSchema = z
  .object({
    classifications: z.array(z.enum(CLASSIFICATIONS)).max(CLASSIFICATIONS.length).optional(),
    priorities: z.array(z.enum(PRIORITIES)).max(PRIORITIES.length).optional(),
    unread: z.boolean().optional(),
    /** Words of the sender's name or role. */
    from: z.string().max(200).optional(),
    /** Approved on or after this day (UTC). */
    after: isoDay.optional(),
    /** Approved on or before this day (UTC). */
    before: isoDay.optional(),
    hasAttachments: z.boolean().optional(),
    /** The reader's own notes on the briefing (fed in through SearchService.indexNotes). */
    hasNotes: z.boolean().optional(),
  })
  .strict();
export type SearchFilters = z.infer<typeof searchFiltersSchema>;

export const SEARCH_TEXT_MAX = 500;
export const SEARCH_LIMIT_MAX = 100;
/** Results the reader asks for at a time: more than a screen holds. */
export const SEARCH_PAGE = 20;
/** How far the reader may page into the results. */
export const SEARCH_OFFSET_MAX = 10_000;

export const searchRequestSchema = z
  .object({
    text: z.string().max(SEARCH_TEXT_MAX),
    filters: searchFiltersSchema.optional(),
    limit: z.number().int().min(1).max(SEARCH_LIMIT_MAX).optional(),
    /** The results from this one on (0 unless said): the reader asks for more a page at a time. */
    offset: z.number().int().min(0).max(SEARCH_OFFSET_MAX).optional(),
  })
  .strict();
export type SearchRequest = z.infer<typeof searchRequestSchema>;

/** A piece of a title or snippet: plain text, marked when it matched. Never HTML. */
export type SnippetSegment = { readonly text: string; readonly match: boolean };

/** Where a hit's snippet comes from, so the reader can say "in the attachment". */
export type SnippetSource = 'summary' | 'body' | 'sender' | 'attachments' | 'notes';

export type SearchHit = {
  readonly id: string;
  readonly title: readonly SnippetSegment[];
  readonly snippet: readonly SnippetSegment[];
  readonly snippetSource: SnippetSource;
  readonly classification: Classification;
  readonly priority: Priority;
  readonly senderName: string;
  readonly approvedAt: string;
  readonly read: boolean;
  readonly attachmentCount: number;
};

export type SearchResponse = {
  /** How many briefings match (all of them, not only those returned); see `totalCapped`. */
  readonly total: number;
  /** More than `total` match: counting stopped at SEARCH_COUNT_CAP. */
  readonly totalCapped: boolean;
  readonly hits: readonly SearchHit[];
  readonly highlight: SearchHighlight;
  /** Briefings not yet in the index (a sync is bringing them, or the index is being built). */
  readonly pending: number;
  /** Parts of the query that were not understood, each with what would be. */
  readonly problems: readonly string[];
};
