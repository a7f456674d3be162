// The search index's file: SQLite opened with the person's key (SQLCipher's format), its schema
// made on first open and checked after, and its removal. The queries live in
// search-index.sqlite.ts.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { SEARCH_ERROR_CODES, SearchIndexError } from './types.js';

/**
 * 1: the first release. 2: prefix indexes for beginnings of 2 to 5 letters (1 had 2 and 3), so a
 * word being typed reads one list instead of merging those of every word it begins. 3: a second
 * full-text index of the short fields alone (`short`), which ranks: ranking over the whole
 * index read the lists of every match, bodies included, to keep those in the short fields; and
 * a prefix index of 6 letters too (a beginning of 6 letters without one cost up to 9 ms to
 * merge, bench:search). 4: the short fields' index keeps their text (3 held only their words), so
 * a page of results reads its titles, summaries and senders from a few small rows instead of
 * from the first page of each briefing's whole record (a page to decrypt per result).
 */
const SCHEMA_VERSION = 4;
/** Column weights for BM25: a word in the title counts most, then summary, sender, notes. */
export const WEIGHTS = {
  title: 10,
  summary: 4,
  sender: 3,
  body: 1,
  attachments: 1,
  notes: 2,
} as const;
export const COLUMNS = Object.keys(WEIGHTS) as (keyof typeof WEIGHTS)[];
/** The short fields: a match in one of them puts a briefing in the first, BM25-ranked tier. */
export const SHORT_COLUMNS = ['title', 'summary', 'sender', 'notes'] as const;

type Db = Database.Database;

export function isUnreadable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT';
}

/** Beginnings of words with an index of their own: a word being typed reads one list. */
const PREFIXES = '2 3 4 5 6';

/** The full-text table (its options are fixed when it is made: changing them means a new one). */
function ftsTable(name: string): string {
  return `
    CREATE VIRTUAL TABLE ${name} USING fts5 (
      ${COLUMNS.join(', ')},
      tokenize = 'unicode61 remove_diacritics 2',
      prefix = '${PREFIXES}'
    );
    INSERT INTO ${name} (${name}, rank) VALUES ('secure-delete', 1);
  `;
}

/**
 * The short fields' own index, with their text: the same words and beginnings as the full
 * table, its freed pages zeroed too. The text is a second copy of about 250 bytes a briefing
 * (2.5 MB at 10,000, beside a full index of 220 MB), and it packs a page of results' titles and
 * summaries into a few pages SQLite keeps decrypted in its cache.
 */
const SHORT_TABLE = `
  CREATE VIRTUAL TABLE short USING fts5 (
    ${SHORT_COLUMNS.join(', ')},
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '${PREFIXES}'
  );
  INSERT INTO short (short, rank) VALUES ('secure-delete', 1);
`;

/** The short fields' index, made and filled from the text the full table holds. */
const FILL_SHORT = `
  ${SHORT_TABLE}
  INSERT INTO short (rowid, ${SHORT_COLUMNS.join(', ')})
    SELECT rowid, ${SHORT_COLUMNS.join(', ')} FROM fts;
`;
/**
 * From schema 1 or 2: the text moves into a table with the new prefix indexes, within the file
 * (no PDF is read again, nothing is searched for in vain meanwhile: it is one transaction), the
 * old table's pages zeroed as they are freed (secure_delete); the short fields' index is made
 * from the same text.
 */
const UPGRADE = `
  ${ftsTable('fts_new')}
  INSERT INTO fts_new (rowid, ${COLUMNS.join(', ')}) SELECT rowid, ${COLUMNS.join(', ')} FROM fts;
  DROP TABLE fts;
  ALTER TABLE fts_new RENAME TO fts;
  ${FILL_SHORT}
`;
/** From schema 3: the short fields' index made again, with their text this time. */
const UPGRADE_FROM_3 = `
  DROP TABLE short;
  ${FILL_SHORT}
`;

const SCHEMA = `
  CREATE TABLE meta (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    rev TEXT NOT NULL,
    classification TEXT NOT NULL,
    priority TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    approved_at TEXT NOT NULL,
    source_version INTEGER NOT NULL,
    attachment_count INTEGER NOT NULL,
    attachments_key TEXT NOT NULL
  );
  CREATE INDEX meta_approved_at ON meta (approved_at);
  ${ftsTable('fts')}
  ${SHORT_TABLE}
`;

/** The cipher and the key, before any other statement. */
function useKey(db: Db, key: Buffer): void {
  db.pragma(`cipher = 'sqlcipher'`);
  db.pragma('legacy = 4');
  // A raw 256-bit key (no passphrase derivation): it is already random, from the data key.
  db.pragma(`key = "x'${key.toString('hex')}'"`);
}

/** What a damaged file or a wrong key raises, as the index's own error; others unchanged. */
function openFailure(error: unknown): unknown {
  if (error instanceof SearchIndexError || !isUnreadable(error)) return error;
  return new SearchIndexError(
    SEARCH_ERROR_CODES.unreadable,
    'The search index does not open with this person’s key, or is damaged.',
    { cause: error },
  );
}

/** The temporary view of the index's words, which typo correction reads (typo-expansions). */
const VOCAB = `CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, fts, 'row')`;

/** Opens the database with the key; the first statement proves the key (or fails). */
export function openDatabase(path: string, key: Buffer): Db {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  try {
    useKey(db, key);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Freed space is zeroed, and nothing is ever written to a temporary file.
    db.pragma('secure_delete = ON');
    db.pragma('temp_store = MEMORY');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0) {
      db.exec(`BEGIN; ${SCHEMA} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`);
    } else if (version >= 1 && version <= 3) {
      const upgrade = version === 3 ? UPGRADE_FROM_3 : UPGRADE;
      db.exec(`BEGIN; ${upgrade} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`);
      db.pragma('wal_checkpoint(TRUNCATE)');
    } else if (version !== SCHEMA_VERSION) {
      throw new SearchIndexError(
        SEARCH_ERROR_CODES.unreadable,
        `The search index was written by another version of Attaché (schema ${version}).`,
      );
    }
    // The reader's notes per briefing, kept apart from the briefing's own text: a briefing
    // updated by its SOR is indexed again without losing them, and notes may come before the
    // briefing is indexed. Created on open, so an index written before notes existed gains it.
    db.exec('CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, text TEXT NOT NULL)');
    db.exec(VOCAB);
    return db;
  } catch (error) {
    db.close();
    throw openFailure(error);
  }
}

/** The reading connection's page cache, in KiB. */
const READER_CACHE_KB = 16_384;

/**
 * A second connection to an index its writer (openDatabase, in the index's thread) has opened:
 * reads only (`query_only`: a statement that would write fails), never making or upgrading the
 * schema, and refusing a file of another schema.
 */
export function openReadingDatabase(path: string, key: Buffer): Db {
  // A lock it would wait for (the log being recovered) sends the query to the index's thread
  // instead of holding the asking thread: a tenth of a second at most, not better-sqlite3's 5 s.
  const db = new Database(path, { fileMustExist: true, timeout: 100 });
  try {
    useKey(db, key);
    db.pragma('temp_store = MEMORY');
    // Pages kept decrypted between queries: the short fields' rows and index (a few MB at
    // 10,000 briefings) stay, so a page of titles and summaries decrypts nothing (SQLite's
    // default is 2 MB; memory is taken only as pages are read).
    db.pragma(`cache_size = -${READER_CACHE_KB}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== SCHEMA_VERSION) {
      throw new Error(`the search index has schema ${version}, not ${SCHEMA_VERSION}`);
    }
    db.exec(VOCAB);
    db.pragma('query_only = ON');
    return db;
  } catch (error) {
    db.close();
    throw openFailure(error);
  }
}

/** Removes the index's files (it is rebuilt from the store). */
export function deleteSqliteSearchIndex(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
}
