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
import type { SearchHighlight, SnippetSource } from '../../shared/search.js';
import { searchWords } from '../../shared/search-words.js';
import { buildFilterSql, buildMatch, cleanText, editDistance, typoAllowance } from './fts-query.js';
import { markAll, snippet } from './snippets.js';
import type { IndexAnswer, IndexHit, IndexQuery, IndexedBriefing, ParsedQuery } from './types.js';
import { COLUMNS, WEIGHTS, openDatabase } from './search-index-file.sqlite.js';
export { deleteSqliteSearchIndex } from './search-index-file.sqlite.js';

/** Where a snippet is looked for, in this order: the first of them with a match gives it. */
const SNIPPET_SOURCES = ['summary', 'body', 'attachments', 'notes', 'sender'] as const;
/** The short fields: a match in one of them puts a briefing in the first, BM25-ranked tier. */
const SHORT_FIELDS = ['title', 'summary', 'sender', 'notes'] as const;
/** Typo candidates kept per word: the closest, then the most common. */
const MAX_EXPANSIONS = 3;

type MetaRow = {
  readonly rowid: number;
  readonly id: string;
  readonly classification: IndexHit['classification'];
  readonly priority: IndexHit['priority'];
  readonly sender_name: string;
  readonly approved_at: string;
  readonly source_version: number;
  readonly attachment_count: number;
};

export type SyncSearchIndex = {
  readonly upsert: (briefings: readonly IndexedBriefing[]) => void;
  readonly remove: (ids: readonly string[]) => void;
  readonly setNotes: (id: string, text: string) => void;
  readonly revisions: () => [string, string][];
  readonly attachmentKeys: (ids: readonly string[]) => [string, string][];
  readonly query: (query: IndexQuery) => IndexAnswer;
  readonly close: () => void;
};

/** The first string after every string that starts with `prefix`. */
function prefixEnd(prefix: string): string {
  return prefix + '\u{10FFFF}';
}

export function openSqliteSearchIndex(options: {
  readonly path: string;
  readonly key: Buffer;
}): SyncSearchIndex {
  const db = openDatabase(options.path, options.key);

  const statements = {
    metaById: db.prepare<[string], { rowid: number; attachments_key: string }>(
      'SELECT rowid, attachments_key FROM meta WHERE id = ?',
    ),
    oldAttachments: db.prepare<[number], { attachments: string }>(
      'SELECT attachments FROM fts WHERE rowid = ?',
    ),
    insertMeta: db.prepare(
      `INSERT INTO meta (id, rev, classification, priority, sender_name, approved_at, source_version, attachment_count, attachments_key)
       VALUES (@id, @rev, @classification, @priority, @senderName, @approvedAt, @sourceVersion, @attachmentCount, @attachmentsKey)`,
    ),
    updateMeta: db.prepare(
      `UPDATE meta SET rev = @rev, classification = @classification, priority = @priority, sender_name = @senderName,
       approved_at = @approvedAt, source_version = @sourceVersion, attachment_count = @attachmentCount,
       attachments_key = @attachmentsKey WHERE rowid = @rowid`,
    ),
    deleteFts: db.prepare('DELETE FROM fts WHERE rowid = ?'),
    insertFts: db.prepare(
      `INSERT INTO fts (rowid, ${COLUMNS.join(', ')}) VALUES (@rowid, @title, @summary, @sender, @body, @attachments, @notes)`,
    ),
    deleteMeta: db.prepare('DELETE FROM meta WHERE rowid = ?'),
    notesById: db.prepare<[string], { text: string }>('SELECT text FROM notes WHERE id = ?'),
    putNotes: db.prepare('INSERT OR REPLACE INTO notes (id, text) VALUES (?, ?)'),
    deleteNotes: db.prepare('DELETE FROM notes WHERE id = ?'),
    ftsRow: db.prepare<[number], Record<string, string>>(
      `SELECT ${COLUMNS.join(', ')} FROM fts WHERE rowid = ?`,
    ),
    revisions: db.prepare<[], { id: string; rev: string }>('SELECT id, rev FROM meta'),
    termDocs: db.prepare<[string], { doc: number }>('SELECT doc FROM vocab WHERE term = ?'),
    anyWithPrefix: db.prepare<[string, string], { term: string }>(
      'SELECT term FROM vocab WHERE term >= ? AND term < ? LIMIT 1',
    ),
    termRange: db.prepare<[string, string], { term: string; doc: number }>(
      'SELECT term, doc FROM vocab WHERE term >= ? AND term < ?',
    ),
    clearRead: db.prepare('DELETE FROM read_versions'),
    insertRead: db.prepare('INSERT OR REPLACE INTO read_versions (id, version) VALUES (?, ?)'),
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
    } else {
      rowid = Number(statements.insertMeta.run(meta).lastInsertRowid);
    }
    statements.insertFts.run({
      rowid,
      title: cleanText(b.title),
      summary: cleanText(b.summary),
      sender: cleanText(`${b.senderName} ${b.senderRole}`),
      body: cleanText(b.body),
      attachments: cleanText(attachments),
      notes: cleanText(statements.notesById.get(b.id)?.text ?? ''),
    });
  };

  /** Replaces a briefing's notes, and its row's notes column if it is indexed. */
  const setNotes = db.transaction((id: string, text: string) => {
    if (text.trim() === '') statements.deleteNotes.run(id);
    else statements.putNotes.run(id, text);
    const existing = statements.metaById.get(id);
    const row = existing ? statements.ftsRow.get(existing.rowid) : undefined;
    if (!existing || !row) return;
    statements.deleteFts.run(existing.rowid);
    statements.insertFts.run({ ...row, rowid: existing.rowid, notes: cleanText(text) });
  });
  const upsertAll = db.transaction((briefings: readonly IndexedBriefing[]) => {
    for (const briefing of briefings) upsertOne(briefing);
  });

  const removeAll = db.transaction((ids: readonly string[]) => {
    for (const id of ids) {
      const existing = statements.metaById.get(id);
      if (!existing) continue;
      statements.deleteFts.run(existing.rowid);
      statements.deleteMeta.run(existing.rowid);
    }
    // An unshared briefing's notes go with it (they may quote it).
    for (const id of ids) statements.deleteNotes.run(id);
  });

  /** Words of the index a mistyped word may have meant, closest and most common first. */
  const typoExpansions = (word: string, prefix: boolean): string[] => {
    const allowed = typoAllowance(word);
    if (allowed === 0) return [];
    // A word the index has (or, being typed, the beginning of one) is taken as meant.
    if (
      prefix ? statements.anyWithPrefix.get(word, prefixEnd(word)) : statements.termDocs.get(word)
    )
      return [];
    // Typos rarely touch the first letter; keeping it bounds the words to compare.
    const first = String.fromCodePoint(word.codePointAt(0) as number);
    const candidates: { term: string; distance: number; doc: number }[] = [];
    for (const row of statements.termRange.iterate(first, prefixEnd(first))) {
      const distance = editDistance(word, row.term, allowed);
      if (distance <= allowed) candidates.push({ term: row.term, distance, doc: row.doc });
    }
    return candidates
      .sort((a, b) => a.distance - b.distance || b.doc - a.doc)
      .slice(0, MAX_EXPANSIONS)
      .map((c) => c.term);
  };

  /** A page's titles and snippets, from the text the index stores. */
  const pageHits = (rows: readonly MetaRow[], parsed: ParsedQuery, expansions: string[]) => {
    const highlight: SearchHighlight = {
      terms: [...parsed.terms, ...expansions.map((text) => ({ text, prefix: false }))],
      phrases: parsed.phrases,
    };
    // `from:` words are looked for in the sender's name and role only.
    const senderHighlight: SearchHighlight = {
      ...highlight,
      terms: [
        ...highlight.terms,
        ...searchWords(parsed.filters.from ?? '').map((text) => ({ text, prefix: true })),
      ],
    };
    const placeholders = rows.map(() => '?').join(', ');
    const texts = new Map<number, Record<string, string>>();
    for (const row of cached<Record<string, string> & { rowid: number }>(
      `SELECT rowid, ${COLUMNS.join(', ')} FROM fts WHERE rowid IN (${placeholders})`,
    ).all(...rows.map((row) => row.rowid))) {
      texts.set(row.rowid, row);
    }
    return rows.map((row): IndexHit => {
      const text = texts.get(row.rowid) ?? {};
      let found: { source: SnippetSource; segments: IndexHit['snippet'] } | null = null;
      for (const source of SNIPPET_SOURCES) {
        const segments = snippet(
          text[source] ?? '',
          source === 'sender' ? senderHighlight : highlight,
        );
        if (segments) {
          found = { source, segments };
          break;
        }
      }
      if (!found) {
        const source = text['summary'] ? 'summary' : 'body';
        found = { source, segments: snippet(text[source] ?? '', highlight, { orStart: true })! };
      }
      return {
        id: row.id,
        title: markAll(text['title'] ?? '', highlight),
        snippet: found.segments,
        snippetSource: found.source,
        classification: row.classification,
        priority: row.priority,
        senderName: row.sender_name,
        approvedAt: row.approved_at,
        sourceVersion: row.source_version,
        attachmentCount: row.attachment_count,
      };
    });
  };

  const query = ({ query: parsed, limit, readVersions }: IndexQuery): IndexAnswer => {
    const expansions = new Map<string, string[]>();
    for (const term of parsed.terms) {
      const alternatives = typoExpansions(term.text, term.prefix);
      if (alternatives.length > 0) expansions.set(term.text, alternatives);
    }
    const corrected = [...expansions.values()].flat();
    const match = buildMatch(parsed, expansions);
    const filter = buildFilterSql(parsed.filters);
    const where = [...filter.where];
    const params: (string | number)[] = [...filter.params];
    if (parsed.filters.unread !== undefined && readVersions) {
      statements.clearRead.run();
      for (const [id, version] of readVersions) statements.insertRead.run(id, version);
      where.push(
        `${parsed.filters.unread ? 'NOT ' : ''}EXISTS (SELECT 1 FROM temp.read_versions r WHERE r.id = m.id AND r.version >= m.source_version)`,
      );
    }
    const columns =
      'm.rowid, m.id, m.classification, m.priority, m.sender_name, m.approved_at, m.source_version, m.attachment_count';
    const conditions = where.map((condition) => ` AND ${condition}`).join('');
    let rows: MetaRow[];
    let total: number;
    if (match === null) {
      const onlyMeta = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      rows = cached<MetaRow>(
        `SELECT ${columns} FROM meta m ${onlyMeta} ORDER BY m.approved_at DESC LIMIT ?`,
      ).all(...params, limit);
      total = cached<{ n: number }>(`SELECT count(*) AS n FROM meta m ${onlyMeta}`).get(
        ...params,
      )!.n;
    } else {
      // Ranked in two tiers, so that BM25 is computed only over a small candidate set: first the
      // briefings where the query matches in the short fields (title, summary, sender, notes),
      // ordered by BM25 with the title weighted most; then those where it matches only in the
      // body or attachments, newest first, as a mail client lists them. Scoring every match of a
      // short prefix (half the briefings) is what made typing slow.
      const fromJoin = `FROM fts JOIN meta m ON m.rowid = fts.rowid WHERE fts MATCH ?${conditions}`;
      const weights = COLUMNS.map((c) => WEIGHTS[c]).join(', ');
      const short = cached<MetaRow>(
        `SELECT ${columns} ${fromJoin} ORDER BY bm25(fts, ${weights}), m.approved_at DESC LIMIT ?`,
      ).all(`{${SHORT_FIELDS.join(' ')}} : (${match})`, ...params, limit);
      rows = short;
      if (short.length < limit) {
        const seen = new Set(short.map((row) => row.rowid));
        const rest = cached<MetaRow>(
          `SELECT ${columns} ${fromJoin} ORDER BY m.approved_at DESC LIMIT ?`,
        ).all(match, ...params, limit);
        rows = [...short, ...rest.filter((row) => !seen.has(row.rowid))].slice(0, limit);
      }
      // Exact: with the prefix indexes a count reads one list of rowids, a few milliseconds.
      total = cached<{ n: number }>(
        where.length === 0
          ? 'SELECT count(*) AS n FROM fts WHERE fts MATCH ?'
          : `SELECT count(*) AS n ${fromJoin}`,
      ).get(match, ...params)!.n;
    }
    if (rows.length === 0) return { total, hits: [], expansions: corrected };
    return { total, hits: pageHits(rows, parsed, corrected), expansions: corrected };
  };

  return {
    upsert: (briefings) => upsertAll(briefings),
    remove: (ids) => {
      removeAll(ids);
      // The log still holds the pages as they were before the removal: fold it in and empty it.
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
    setNotes: (id, text) => {
      setNotes(id, text);
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
    close: () => {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
}
