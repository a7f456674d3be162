// Answering a query from the index's file: the ranking in two tiers, the count, and the page's
// hits with their snippets. The same code answers in the index's own thread (the file's writer,
// search-index.sqlite.ts) and in the thread that asks, through a reading connection of its own
// (index-reader.sqlite.ts); each brings the metadata it holds in memory (meta-cache.ts).
import type Database from 'better-sqlite3-multiple-ciphers';
import { buildMatch, filterTest, titleMatch } from './fts-query.js';
import {
  MetaCache,
  approvedTime,
  firstOf,
  metaEntry,
  newerFirst,
  newest,
  type MetaEntry,
  type Ranked,
} from './meta-cache.js';
import { pageHits, type PageText } from './page-hits.js';
import { SEARCH_COUNT_CAP } from '../../shared/search-words.js';
import type { IndexAnswer, IndexQuery } from './types.js';
import { SHORT_COLUMNS } from './search-index-file.sqlite.js';
import { META_FIELDS, type prepareStatements } from './search-statements.sqlite.js';
import { typoExpansions } from './typo-expansions.sqlite.js';

type Statements = ReturnType<typeof prepareStatements>;

/**
 * Matches in the short fields that BM25 ranks; past this many (the first letters of a word
 * being typed), titles first, then newest first: BM25 costs about a microsecond a match, and
 * over thousands of briefings that share a beginning it tells little apart.
 */
const BM25_AT_MOST = 500;

const isShortColumn = (column: string): boolean =>
  (SHORT_COLUMNS as readonly string[]).includes(column);

/** The metadata as the file holds it now: the order at once, the facts as `fillSome` reads them. */
export function loadMetaCache(statements: Statements): MetaCache {
  return new MetaCache(
    Array.from(statements.order.iterate(), ([rowid, at]) => ({
      rowid,
      approvedTime: approvedTime(at),
    })),
    {
      after: (rowid, count) => statements.metaAfter.all(rowid, count).map(metaEntry),
      idsWithNotes: () => statements.idsWithNotes.all(),
    },
  );
}

/**
 * Answers queries over `db`, with the metadata `metadata` gives (loading it if need be). With
 * `typos: false`, a query that finds nothing is answered null instead of being tried again with
 * the words its words may be typos of (a search of the vocabulary: tens of milliseconds).
 */
export function queryAnswerer(
  db: Database.Database,
  statements: Statements,
  metadata: () => MetaCache,
  options: { readonly typos: true },
): (asked: IndexQuery) => IndexAnswer;
export function queryAnswerer(
  db: Database.Database,
  statements: Statements,
  metadata: () => MetaCache,
  options: { readonly typos: false },
): (asked: IndexQuery) => IndexAnswer | null;
export function queryAnswerer(
  db: Database.Database,
  statements: Statements,
  metadata: () => MetaCache,
  options: { readonly typos: boolean },
): (asked: IndexQuery) => IndexAnswer | null {
  // Queries are built from the query's shape (filters, page size): each shape is prepared once.
  const prepared = new Map<string, Database.Statement>();
  const cached = <R>(sql: string): Database.Statement<unknown[], R> => {
    let statement = prepared.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      prepared.set(sql, statement);
    }
    return statement as Database.Statement<unknown[], R>;
  };

  /**
   * Columns of the rows of a page, by rowid: the short fields from their own small rows
   * (schema 4), the others from the whole record.
   */
  const columnsOf = (columns: readonly string[], rowids: readonly number[]) => {
    const texts = new Map<number, Record<string, string>>();
    if (rowids.length === 0) return texts;
    const placeholders = rowids.map(() => '?').join(', ');
    const table = columns.every((column) => isShortColumn(column)) ? 'short' : 'fts';
    for (const row of cached<Record<string, string> & { rowid: number }>(
      `SELECT rowid, ${columns.join(', ')} FROM ${table} WHERE rowid IN (${placeholders})`,
    ).all(...rowids)) {
      texts.set(row.rowid, row);
    }
    return texts;
  };
  const pageText: PageText = {
    columns: columnsOf,
    notes: (id) => statements.notesById.get(id)?.text ?? '',
  };
  /** The page's briefings as the answer gives them, in the page's order. */
  const pageEntries = (page: readonly Ranked[]): MetaEntry[] => {
    const known = metadata();
    if (known.factsComplete) return page.flatMap((ranked) => known.factsOf(ranked.rowid) ?? []);
    const placeholders = page.map(() => '?').join(', ');
    const rows = new Map<number, MetaEntry>();
    for (const row of cached<Omit<MetaEntry, 'approvedTime'>>(
      `SELECT ${META_FIELDS} FROM meta WHERE rowid IN (${placeholders})`,
    ).all(...page.map((ranked) => ranked.rowid))) {
      rows.set(row.rowid, metaEntry(row));
    }
    return page.flatMap((ranked) => rows.get(ranked.rowid) ?? []);
  };

  const query = (asked: IndexQuery): IndexAnswer | null => {
    const answer = queryWith(asked, new Map());
    // Every word must match: a word the index lacks (a typo) leaves nothing found. Only then
    // are the index's words it may have meant looked for, and the query asked again with them.
    if (answer.total > 0 || asked.query.terms.length === 0) return answer;
    if (!options.typos) return null;
    const expansions = new Map<string, string[]>();
    for (const term of asked.query.terms) {
      const alternatives = typoExpansions(statements, term.text, term.prefix);
      if (alternatives.length > 0) expansions.set(term.text, alternatives);
    }
    return expansions.size === 0 ? answer : queryWith(asked, expansions);
  };

  const queryWith = (
    { query: parsed, limit, offset = 0, readVersions }: IndexQuery,
    expansions: ReadonlyMap<string, string[]>,
  ): IndexAnswer => {
    // The page is the hits from `offset` to `offset + limit` of the whole order: the order is
    // worked out to its end, and snippets are made for the page only.
    const upTo = offset + limit;
    const corrected = [...expansions.values()].flat();
    const match = buildMatch(parsed, expansions);
    const known = metadata();
    const test = filterTest(parsed.filters, {
      hasNotes: (id) => known.hasNotes(id),
      isRead:
        readVersions && parsed.filters.unread !== undefined
          ? known.readTest(readVersions)
          : undefined,
    });
    /** A briefing's place in the order, if the filters keep it (one lookup either way). */
    const kept = (rowid: number): Ranked | undefined => {
      if (test === null) return known.ranked(rowid);
      const facts = known.factsOf(rowid);
      return facts !== undefined && test(facts) ? facts : undefined;
    };
    const keptOf = (rowids: Iterable<number>): Ranked[] => {
      const out: Ranked[] = [];
      for (const rowid of rowids) {
        const ranked = kept(rowid);
        if (ranked) out.push(ranked);
      }
      return out;
    };
    let page: Ranked[];
    let total: number;
    /** Only the index's own count stops at the cap; a count made here anyway is exact. */
    let totalCapped = false;
    if (match === null) {
      // Filters alone: every briefing they keep, newest first.
      const matches = keptOf(Array.from(known.allRanked(), (ranked) => ranked.rowid));
      page = newest(matches, upTo);
      total = matches.length;
    } else {
      // Ranked in two tiers: first the briefings where the query matches in the short fields
      // (title, summary, sender, notes), by BM25 with the title weighted most; then those where
      // it matches only in the body or attachments, newest first, as a mail client lists them.
      // BM25 is computed over the short fields' own index (`short`), which holds only their
      // words: scoring over the whole index read every match's lists, bodies included. Past
      // BM25_AT_MOST matches in the short fields, the first tier is titles first, newest first.
      const inShort = statements.shortMatching.all(match);
      if (inShort.length <= BM25_AT_MOST) {
        const scored: { ranked: Ranked; score: number }[] = [];
        for (const [rowid, score] of statements.ranked.all(match)) {
          const ranked = kept(rowid);
          if (ranked) scored.push({ ranked, score });
        }
        page = firstOf(
          scored,
          upTo,
          (a, b) => a.score - b.score || newerFirst(a.ranked, b.ranked),
        ).map((hit) => hit.ranked);
      } else {
        // Titles first: the newest of them, and only if they do not fill the page, the newest
        // of the other short fields' matches. (Without `from:` words, every title match is one.)
        const inTitles = titleMatch(parsed, expansions);
        let titled = inTitles === null ? [] : statements.shortMatching.all(inTitles);
        if (parsed.filters.from) {
          const all = new Set(inShort);
          titled = titled.filter((rowid) => all.has(rowid));
        }
        page = newest(keptOf(titled), upTo);
        if (page.length < upTo) {
          const first = new Set(titled);
          page.push(
            ...newest(keptOf(inShort.filter((rowid) => !first.has(rowid))), upTo - page.length),
          );
        }
      }
      if (page.length === upTo && test === null && inShort.length > SEARCH_COUNT_CAP) {
        // More matches in the short fields alone than the count goes to.
        total = SEARCH_COUNT_CAP;
        totalCapped = true;
      } else if (page.length === upTo && test === null) {
        // The first tier fills the page and nothing is filtered out: the index counts the rest.
        total = statements.count.get(match, SEARCH_COUNT_CAP + 1) as number;
        if (total > SEARCH_COUNT_CAP) {
          total = SEARCH_COUNT_CAP;
          totalCapped = true;
        }
      } else {
        const matches = keptOf(statements.matching.all(match));
        total = matches.length;
        const first = new Set(page.map((ranked) => ranked.rowid));
        page.push(
          ...newest(
            matches.filter((ranked) => !first.has(ranked.rowid)),
            upTo - page.length,
          ),
        );
      }
    }
    page = page.slice(offset);
    if (page.length === 0) return { total, totalCapped, hits: [], expansions: corrected };
    return {
      total,
      totalCapped,
      hits: pageHits(pageEntries(page), parsed, corrected, pageText),
      expansions: corrected,
    };
  };

  return query;
}
