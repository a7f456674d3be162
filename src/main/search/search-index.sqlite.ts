// The search index on SQLite's full-text engine (FTS5), in a database file sealed page by page
// with the person's key (SQLite3 Multiple Ciphers, SQLCipher's format: AES-256, an HMAC per
// page). Synchronous, as better-sqlite3 is: it runs in the index's own worker thread
// (index-worker.ts), never on the main thread.
//
// Why SQLite FTS5 (measured in tests/bench/search.bench.ts, figures in the README): it keeps the
// index on disk as b-tree pages, so a change rewrites the pages it touches and not the whole
// index, and a query reads only the pages of its words, so the first query after a start reads
// a few pages instead of loading an index into memory; ranking (BM25 with a weight per column),
// prefixes, phrases and snippets are its own.
//
// Removal leaves nothing behind: FTS5's secure-delete takes a removed briefing's entries out of
// the index pages instead of adding delete markers, `secure_delete` zeroes the freed space, and
// a checkpoint truncates the write-ahead log that still held the earlier pages.
import type Database from 'better-sqlite3-multiple-ciphers';
import { buildMatch, cleanText, filterTest, titleMatch } from './fts-query.js';
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
import type { IndexAnswer, IndexQuery, IndexedBriefing } from './types.js';
import { SHORT_COLUMNS, openDatabase } from './search-index-file.sqlite.js';
import { META_FIELDS, prepareStatements } from './search-statements.sqlite.js';
import { typoExpansions } from './typo-expansions.sqlite.js';
import { openTidier } from './index-tidy.sqlite.js';
export { deleteSqliteSearchIndex } from './search-index-file.sqlite.js';

/**
 * Matches in the short fields that BM25 ranks; past this many (the first letters of a word
 * being typed), titles first, then newest first: BM25 costs about a microsecond a match, and
 * over thousands of briefings that share a beginning it tells little apart.
 */
const BM25_AT_MOST = 500;

export type SyncSearchIndex = {
  readonly upsert: (briefings: readonly IndexedBriefing[]) => void;
  readonly remove: (ids: readonly string[]) => void;
  readonly setNotes: (id: string, text: string) => void;
  readonly revisions: () => [string, string][];
  readonly attachmentKeys: (ids: readonly string[]) => [string, string][];
  readonly query: (query: IndexQuery) => IndexAnswer;
  /**
   * Loads a part of what queries use from memory (meta-cache.ts), so that they need not;
   * false once all is loaded. Each call is short: a query can be answered between two.
   */
  readonly warm: () => boolean;
  /** One step of merging the index's segments (index-tidy.sqlite.ts); false once none is left. */
  readonly tidy: () => boolean;
  readonly close: () => void;
};

const isShortColumn = (column: string): boolean =>
  (SHORT_COLUMNS as readonly string[]).includes(column);

export function openSqliteSearchIndex(options: {
  readonly path: string;
  readonly key: Buffer;
}): SyncSearchIndex {
  const db = openDatabase(options.path, options.key);

  const statements = prepareStatements(db);
  const tidier = openTidier(db);

  // The metadata in memory (meta-cache.ts), loaded by the warm-up after the open (warm) or by
  // the first query that comes before it. A write that fails part-way drops it (its
  // transaction is rolled back), and the next query loads it again.
  let cache: MetaCache | null = null;
  const metadata = (): MetaCache =>
    (cache ??= new MetaCache(
      Array.from(statements.order.iterate(), ([rowid, at]) => ({
        rowid,
        approvedTime: approvedTime(at),
      })),
      {
        after: (rowid, count) => statements.metaAfter.all(rowid, count).map(metaEntry),
        idsWithNotes: () => statements.idsWithNotes.all(),
      },
    ));
  const keepingCache =
    <A extends unknown[]>(write: (...args: A) => void) =>
    (...args: A): void => {
      try {
        write(...args);
      } catch (error) {
        cache = null;
        throw error;
      }
    };

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

  const upsertOne = (b: IndexedBriefing): void => {
    const existing = statements.metaById.get(b.id);
    let attachments = b.attachments;
    if (attachments === null) {
      attachments =
        existing && existing.attachments_key === b.attachmentsKey
          ? (statements.oldAttachments.get(existing.rowid)?.attachments ?? '')
          : '';
    }
    const meta = {
      id: b.id,
      rev: b.rev,
      classification: b.classification,
      priority: b.priority,
      senderName: b.senderName,
      approvedAt: b.approvedAt,
      sourceVersion: b.sourceVersion,
      attachmentCount: b.attachmentCount,
      attachmentsKey: b.attachmentsKey,
    };
    let rowid: number;
    if (existing) {
      rowid = existing.rowid;
      statements.updateMeta.run({ ...meta, rowid });
      statements.deleteFts.run(rowid);
      statements.deleteShort.run(rowid);
    } else {
      rowid = Number(statements.insertMeta.run(meta).lastInsertRowid);
    }
    const short = {
      rowid,
      title: cleanText(b.title),
      summary: cleanText(b.summary),
      sender: cleanText(`${b.senderName} ${b.senderRole}`),
      notes: cleanText(statements.notesById.get(b.id)?.text ?? ''),
    };
    cache?.set(metaEntry({ ...meta, rowid }));
    statements.insertFts.run({
      ...short,
      body: cleanText(b.body),
      attachments: cleanText(attachments),
    });
    statements.insertShort.run(short);
  };

  /** Replaces a briefing's notes, and its row's notes column if it is indexed. */
  const setNotes = db.transaction((id: string, text: string) => {
    if (text.trim() === '') statements.deleteNotes.run(id);
    else statements.putNotes.run(id, text);
    cache?.setNotes(id, text.trim() !== '');
    const existing = statements.metaById.get(id);
    const row = existing ? statements.ftsRow.get(existing.rowid) : undefined;
    if (!existing || !row) return;
    const written = { ...row, rowid: existing.rowid, notes: cleanText(text) };
    statements.deleteFts.run(existing.rowid);
    statements.deleteShort.run(existing.rowid);
    statements.insertFts.run(written);
    statements.insertShort.run({
      rowid: written.rowid,
      title: row['title'] ?? '',
      summary: row['summary'] ?? '',
      sender: row['sender'] ?? '',
      notes: written.notes,
    });
  });
  const upsertAll = db.transaction((briefings: readonly IndexedBriefing[]) => {
    for (const briefing of briefings) upsertOne(briefing);
  });

  const removeAll = db.transaction((ids: readonly string[]) => {
    for (const id of ids) {
      const existing = statements.metaById.get(id);
      if (!existing) continue;
      statements.deleteFts.run(existing.rowid);
      statements.deleteShort.run(existing.rowid);
      statements.deleteMeta.run(existing.rowid);
      cache?.delete(existing.rowid);
    }
    // An unshared briefing's notes go with it (they may quote it).
    for (const id of ids) {
      statements.deleteNotes.run(id);
      cache?.setNotes(id, false);
    }
  });

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

  const query = (asked: IndexQuery): IndexAnswer => {
    const answer = queryWith(asked, new Map());
    // Every word must match: a word the index lacks (a typo) leaves nothing found. Only then
    // are the index's words it may have meant looked for, and the query asked again with them.
    if (answer.total > 0 || asked.query.terms.length === 0) return answer;
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
      readVersions,
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

  return {
    upsert: keepingCache((briefings: readonly IndexedBriefing[]) => upsertAll(briefings)),
    remove: (ids) => {
      keepingCache(removeAll)(ids);
      // The log still holds the pages as they were before the removal: fold it in and empty it.
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
    setNotes: (id, text) => {
      keepingCache(setNotes)(id, text);
      // Notes removed or shortened: their words leave the files too, as on removal.
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
    revisions: () => statements.revisions.all().map((row) => [row.id, row.rev]),
    attachmentKeys: (ids) =>
      ids.flatMap((id) => {
        const row = statements.metaById.get(id);
        return row ? [[id, row.attachments_key] as [string, string]] : [];
      }),
    query,
    warm: () => metadata().fillSome(),
    tidy: () => {
      if (tidier.step()) return true;
      // Merged: the log still holds the pages as they were; fold it in and empty it.
      db.pragma('wal_checkpoint(TRUNCATE)');
      return false;
    },
    close: () => {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
}
