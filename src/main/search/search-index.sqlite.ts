// The search index on SQLite's full-text engine (FTS5), in a database file sealed page by page
// with the person's key (SQLite3 Multiple Ciphers, SQLCipher's format: AES-256, an HMAC per
// page). Synchronous, as better-sqlite3 is: this, the file's writer, runs in the index's own
// worker thread (index-worker.ts); once writes pause, queries are read by a second connection in
// the thread that asks (index-reader.sqlite.ts: the workspace's thread, never the main thread).
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
import { cleanText } from './fts-query.js';
import { loadMetaCache, queryAnswerer } from './index-queries.sqlite.js';
import { metaEntry, type MetaCache } from './meta-cache.js';
import type { IndexAnswer, IndexQuery, IndexedBriefing } from './types.js';
import { openDatabase } from './search-index-file.sqlite.js';
import { prepareStatements } from './search-statements.sqlite.js';
import { openTidier } from './index-tidy.sqlite.js';
export { deleteSqliteSearchIndex } from './search-index-file.sqlite.js';

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
  const metadata = (): MetaCache => (cache ??= loadMetaCache(statements));
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

  const query = queryAnswerer(db, statements, metadata, { typos: true });

  /**
   * Folds the write-ahead log into the file and empties it: it still holds pages as they were
   * before a removal. A reading connection in the middle of a query (index-reader.sqlite.ts)
   * holds the log for milliseconds; SQLite waits for it (the busy timeout), tried again a few
   * times, and a log that cannot be emptied is an error, not a silent leftover.
   */
  const foldLog = (): void => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (result?.busy === 0) return;
    }
    throw new Error('the search index could not empty its log: a reader kept it busy');
  };

  return {
    upsert: keepingCache((briefings: readonly IndexedBriefing[]) => upsertAll(briefings)),
    remove: (ids) => {
      keepingCache(removeAll)(ids);
      // The log still holds the pages as they were before the removal: fold it in and empty it.
      foldLog();
    },
    setNotes: (id, text) => {
      keepingCache(setNotes)(id, text);
      // Notes removed or shortened: their words leave the files too, as on removal.
      foldLog();
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
      foldLog();
      return false;
    },
    close: () => {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
}
