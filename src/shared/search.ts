// What the reader and the device share about search: the request's filters, the answer's
// shape, and how words are told apart and matched. Main indexes and queries with the same
// notion of a word (letters and digits, case and accents ignored) that the reader uses to
// highlight matches in a briefing's text and on a PDF's page, so what was found is what is
// marked.
import { z } from 'zod';
import type { Classification, Priority } from './briefing.js';
import { CLASSIFICATIONS, PRIORITIES } from './briefing.js';

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

export const searchRequestSchema = z
  .object({
    text: z.string().max(SEARCH_TEXT_MAX),
    filters: searchFiltersSchema.optional(),
    limit: z.number().int().min(1).max(SEARCH_LIMIT_MAX).optional(),
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

/** What to mark in a briefing's text: whole words, word beginnings and phrases. */
export type SearchHighlight = {
  readonly terms: readonly { readonly text: string; readonly prefix: boolean }[];
  readonly phrases: readonly (readonly string[])[];
};

export type SearchResponse = {
  /** How many briefings match (all of them, not only those returned). */
  readonly total: number;
  readonly hits: readonly SearchHit[];
  readonly highlight: SearchHighlight;
  /** Briefings not yet in the index (a sync is bringing them, or the index is being built). */
  readonly pending: number;
  /** Parts of the query that were not understood, each with what would be. */
  readonly problems: readonly string[];
};

/** Case and accents do not matter: "Résumé" and "resume" are one word. */
export function normalizeWord(word: string): string {
  return word
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

const WORD = /[\p{L}\p{N}]+/gu;

export type WordSpan = { readonly word: string; readonly start: number; readonly end: number };

/** The words of a text with where each stands in it (offsets into the original text). */
export function wordSpans(text: string): WordSpan[] {
  const spans: WordSpan[] = [];
  for (const match of text.matchAll(WORD)) {
    const start = match.index;
    const word = normalizeWord(match[0]);
    // A run of combining marks alone normalises to nothing: not a word.
    if (word !== '') spans.push({ word, start, end: start + match[0].length });
  }
  return spans;
}

/** The normalised words of a text, in order. */
export function searchWords(text: string): string[] {
  return wordSpans(text).map((span) => span.word);
}

/**
 * Where the highlight matches in `text`: half-open [start, end) ranges in its own offsets,
 * sorted and not overlapping. A term matches a whole word (or the beginning of one, for a
 * prefix term); a phrase matches its words in a row, whatever lies between them that is not a
 * word (spaces, punctuation, line breaks).
 */
export function findMatches(
  text: string,
  highlight: SearchHighlight,
): { readonly start: number; readonly end: number }[] {
  const spans = wordSpans(text);
  const exact = new Set(highlight.terms.filter((t) => !t.prefix).map((t) => t.text));
  const prefixes = highlight.terms.filter((t) => t.prefix && t.text !== '').map((t) => t.text);
  const phrases = highlight.phrases.filter((p) => p.length > 0);
  const ranges: { start: number; end: number }[] = [];
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i] as WordSpan;
    let end = -1;
    for (const phrase of phrases) {
      if (i + phrase.length > spans.length) continue;
      if (phrase.every((word, k) => (spans[i + k] as WordSpan).word === word)) {
        end = Math.max(end, (spans[i + phrase.length - 1] as WordSpan).end);
      }
    }
    if (end < 0 && (exact.has(span.word) || prefixes.some((p) => span.word.startsWith(p)))) {
      end = span.end;
    }
    if (end < 0) continue;
    const last = ranges[ranges.length - 1];
    if (last && span.start < last.end) last.end = Math.max(last.end, end);
    else ranges.push({ start: span.start, end });
  }
  return ranges;
}

export const EMPTY_HIGHLIGHT: SearchHighlight = { terms: [], phrases: [] };
