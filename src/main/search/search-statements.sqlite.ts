// The prepared statements of the search index (search-index.sqlite.ts), one set per open file.
import type Database from 'better-sqlite3-multiple-ciphers';
import type { MetaEntry } from './meta-cache.js';
import { COLUMNS, SHORT_COLUMNS, WEIGHTS } from './search-index-file.sqlite.js';

/** A briefing's metadata as the answer and the filters use it (meta-cache.ts: MetaEntry). */
export const META_FIELDS = `rowid, id, classification, priority, sender_name AS senderName,
  approved_at AS approvedAt, source_version AS sourceVersion, attachment_count AS attachmentCount`;

/** What the index uses of a prepared statement (the package's own type cannot be named here). */
export type Statement<P extends unknown[], R> = {
  run(...params: P): Database.RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
  iterate(...params: P): IterableIterator<R>;
};

export function prepareStatements(db: Database.Database) {
  const prepare = <P extends unknown[] = unknown[], R = unknown>(sql: string): Statement<P, R> =>
    db.prepare<P, R>(sql);
  /** One value per row (the first column). */
  const pluck = <P extends unknown[], R>(sql: string): Statement<P, R> =>
    db.prepare<P, R>(sql).pluck();
  /** Rows as arrays of their columns. */
  const raw = <P extends unknown[], R>(sql: string): Statement<P, R> => db.prepare<P, R>(sql).raw();
  return {
    metaById: prepare<[string], { rowid: number; attachments_key: string }>(
      'SELECT rowid, attachments_key FROM meta WHERE id = ?',
    ),
    oldAttachments: prepare<[number], { attachments: string }>(
      'SELECT attachments FROM fts WHERE rowid = ?',
    ),
    insertMeta: prepare(
      `INSERT INTO meta (id, rev, classification, priority, sender_name, approved_at, source_version, attachment_count, attachments_key)
     VALUES (@id, @rev, @classification, @priority, @senderName, @approvedAt, @sourceVersion, @attachmentCount, @attachmentsKey)`,
    ),
    updateMeta: prepare(
      `UPDATE meta SET rev = @rev, classification = @classification, priority = @priority, sender_name = @senderName,
     approved_at = @approvedAt, source_version = @sourceVersion, attachment_count = @attachmentCount,
     attachments_key = @attachmentsKey WHERE rowid = @rowid`,
    ),
    deleteFts: prepare('DELETE FROM fts WHERE rowid = ?'),
    deleteShort: prepare('DELETE FROM short WHERE rowid = ?'),
    insertShort: prepare(
      `INSERT INTO short (rowid, ${SHORT_COLUMNS.join(', ')}) VALUES (@rowid, @title, @summary, @sender, @notes)`,
    ),
    insertFts: prepare(
      `INSERT INTO fts (rowid, ${COLUMNS.join(', ')}) VALUES (@rowid, @title, @summary, @sender, @body, @attachments, @notes)`,
    ),
    deleteMeta: prepare('DELETE FROM meta WHERE rowid = ?'),
    notesById: prepare<[string], { text: string }>('SELECT text FROM notes WHERE id = ?'),
    putNotes: prepare('INSERT OR REPLACE INTO notes (id, text) VALUES (?, ?)'),
    deleteNotes: prepare('DELETE FROM notes WHERE id = ?'),
    ftsRow: prepare<[number], Record<string, string>>(
      `SELECT ${COLUMNS.join(', ')} FROM fts WHERE rowid = ?`,
    ),
    revisions: prepare<[], { id: string; rev: string }>('SELECT id, rev FROM meta'),
    anyMatch: pluck<[string], number>('SELECT 1 FROM fts WHERE fts MATCH ? LIMIT 1'),
    anyWithPrefix: prepare<[string, string], { term: string }>(
      'SELECT term FROM vocab WHERE term >= ? AND term < ? LIMIT 1',
    ),
    termRange: prepare<[string, string], { term: string; doc: number }>(
      'SELECT term, doc FROM vocab WHERE term >= ? AND term < ?',
    ),
    // The date index alone holds both columns (SQLite scans it, not the table): a few pages.
    order: raw<[], [number, string]>('SELECT rowid, approved_at FROM meta'),
    metaAfter: prepare<[number, number], Omit<MetaEntry, 'approvedTime'>>(
      `SELECT ${META_FIELDS} FROM meta WHERE rowid > ? ORDER BY rowid LIMIT ?`,
    ),
    idsWithNotes: pluck<[], string>(`SELECT id FROM notes WHERE text <> ''`),
    matching: pluck<[string], number>('SELECT rowid FROM fts WHERE fts MATCH ?'),
    // Counted up to one past the cap: past it, "more than" is all the reader is told.
    count: pluck<[string, number], number>(
      'SELECT count(*) FROM (SELECT 1 FROM fts WHERE fts MATCH ? LIMIT ?)',
    ),
    shortMatching: pluck<[string], number>('SELECT rowid FROM short WHERE short MATCH ?'),
    ranked: raw<[string], [number, number]>(
      `SELECT rowid, bm25(short, ${SHORT_COLUMNS.map((c) => WEIGHTS[c]).join(', ')}) FROM short WHERE short MATCH ?`,
    ),
  };
}
