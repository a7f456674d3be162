// The search index itself (SQLite FTS5 in its worker thread, real files): ranking, filters,
// typo tolerance, snippets, removal down to the bytes of its file, and a key that does not open it.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import type { OpenedSearchIndex } from '../../../src/main/search/index-client.js';
import { openSearchIndex } from '../../../src/main/search/index-client.js';
import { parseQuery } from '../../../src/main/search/query-parser.js';
import type { BriefingSource } from '../../../src/main/search/types.js';
import type { SearchFilters } from '../../../src/shared/search.js';
import { SEARCH_COUNT_CAP } from '../../../src/shared/search.js';
import { memoryLogger, tempDir } from './fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function source(id: string, overrides: Partial<BriefingSource> = {}): BriefingSource {
  return {
    id,
    rev: '1-a',
    title: `Briefing ${id}`,
    summary: '',
    senderName: 'Jordan Lee',
    senderRole: 'Chief of Staff',
    bodyHtml: '<p>Nothing to see.</p>',
    attachments: '',
    attachmentsKey: '',
    classification: 'OFFICIAL',
    priority: 'routine',
    approvedAt: '2025-01-10T09:00:00.000Z',
    sourceVersion: 1,
    attachmentCount: 0,
    ...overrides,
  };
}

async function openIndex(
  path?: string,
  key: Buffer = randomBytes(32),
): Promise<OpenedSearchIndex & { path: string; key: Buffer }> {
  let file = path;
  if (!file) {
    const dir = await tempDir('search-index');
    cleanups.push(dir.remove);
    file = join(dir.path, 'search', 'index.db');
  }
  const opened = await openSearchIndex({ path: file, key, logger: memoryLogger().logger });
  cleanups.push(() => opened.index.close());
  return { ...opened, path: file, key };
}

const ids = async (
  opened: OpenedSearchIndex,
  text: string,
  filters: SearchFilters = {},
  readVersions?: ReadonlyMap<string, number>,
) =>
  (
    await opened.index.query({
      query: parseQuery(text, filters),
      limit: 50,
      ...(readVersions ? { readVersions } : {}),
    })
  ).hits.map((hit) => hit.id);

/** The index's file opened with its key, as the index opens it (SQLCipher's format). */
function keyedDatabase(
  path: string,
  key: Buffer,
  options: Database.Options = {},
): Database.Database {
  const db = new Database(path, options);
  db.pragma(`cipher = 'sqlcipher'`);
  db.pragma('legacy = 4');
  db.pragma(`key = "x'${key.toString('hex')}'"`);
  return db;
}

/**
 * The database's pages decrypted (a copy, rekeyed to no key, in a folder of its own so that the
 * raw-file checks never read it), as one string to search.
 */
async function decryptedCopy(path: string, key: Buffer): Promise<string> {
  const dir = await tempDir('search-index-plain');
  cleanups.push(dir.remove);
  const copy = join(dir.path, 'plain-copy.db');
  await copyFile(path, copy);
  const db = keyedDatabase(copy, key);
  db.pragma(`rekey = ''`);
  db.close();
  return (await readFile(copy)).toString('latin1');
}

/** How many terms equal to `term` each full-text index of the file holds (its vocabulary). */
function indexedTerms(path: string, key: Buffer, term: string): { fts: number; short: number } {
  const db = keyedDatabase(path, key);
  try {
    const count = (table: string) => {
      db.exec(
        `CREATE VIRTUAL TABLE IF NOT EXISTS temp.${table}_terms USING fts5vocab(main, ${table}, 'row')`,
      );
      return db
        .prepare(`SELECT count(*) FROM temp.${table}_terms WHERE term = ?`)
        .pluck()
        .get(term) as number;
    };
    return { fts: count('fts'), short: count('short') };
  } finally {
    db.close();
  }
}

/** How many segments each full-text table of the file is in. */
function segments(path: string, key: Buffer): { fts: number; short: number } {
  const db = keyedDatabase(path, key, { readonly: true });
  try {
    const count = (table: string) =>
      db.prepare(`SELECT count(DISTINCT segid) FROM ${table}_idx`).pluck().get() as number;
    return { fts: count('fts'), short: count('short') };
  } finally {
    db.close();
  }
}

/**
 * An index as an earlier release wrote it: schema 1 (the first, prefix indexes of 2 and 3 letters
 * only), 2 (prefix indexes of 2 to 5 letters, no index of the short fields of their own) or 3
 * (prefix indexes of 2 to 6 letters, the short fields' index without their text).
 */
function writeOldIndex(path: string, key: Buffer, version: 1 | 2 | 3 = 1): void {
  const prefixes = { 1: '2 3', 2: '2 3 4 5', 3: '2 3 4 5 6' }[version];
  mkdirSync(join(path, '..'), { recursive: true });
  const db = keyedDatabase(path, key);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE meta (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, rev TEXT NOT NULL,
      classification TEXT NOT NULL, priority TEXT NOT NULL, sender_name TEXT NOT NULL,
      approved_at TEXT NOT NULL, source_version INTEGER NOT NULL,
      attachment_count INTEGER NOT NULL, attachments_key TEXT NOT NULL);
    CREATE INDEX meta_approved_at ON meta (approved_at);
    CREATE VIRTUAL TABLE fts USING fts5 (title, summary, sender, body, attachments, notes,
      tokenize = 'unicode61 remove_diacritics 2', prefix = '${prefixes}');
    INSERT INTO fts (fts, rank) VALUES ('secure-delete', 1);
    CREATE TABLE notes (id TEXT PRIMARY KEY, text TEXT NOT NULL);
    INSERT INTO meta VALUES (1, 'a', '1-a', 'OFFICIAL', 'routine', 'Jordan Lee',
      '2025-01-10T09:00:00.000Z', 1, 1, 'annex.pdf:md5-1');
    INSERT INTO fts (rowid, title, summary, sender, body, attachments, notes) VALUES (1,
      'Cobalt review', '', 'Jordan Lee Chief of Staff', 'Export quotas tighten.',
      'Annex tables', 'Ask the minister');
    INSERT INTO notes VALUES ('a', 'Ask the minister');
    PRAGMA user_version = ${version};
  `);
  if (version === 3) {
    db.exec(`
      CREATE VIRTUAL TABLE short USING fts5 (title, summary, sender, notes, content = '',
        contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2', prefix = '${prefixes}');
      INSERT INTO short (short, rank) VALUES ('secure-delete', 1);
      INSERT INTO short (rowid, title, summary, sender, notes)
        SELECT rowid, title, summary, sender, notes FROM fts;
    `);
  }
  db.close();
}

/**
 * An index written by an earlier release (writeOldIndex), opened by this one: upgraded in place,
 * not rebuilt, and its one briefing found by its title, notes, body, PDF text and a beginning.
 */
async function openOldIndex(version: 1 | 2 | 3) {
  const dir = await tempDir(`search-index-v${version}`);
  cleanups.push(dir.remove);
  const path = join(dir.path, 'search', 'index.db');
  const key = randomBytes(32);
  writeOldIndex(path, key, version);
  const opened = await openIndex(path, key);
  expect(opened.rebuilt).toBe(false);
  for (const word of ['cobalt ', 'minister ', 'quotas ', 'annex ', 'coba']) {
    expect(await ids(opened, word)).toEqual(['a']);
  }
  return { path, key, opened };
}

describe('the search index', () => {
  it('ranks a word in the title above the same word in the body', async () => {
    const opened = await openIndex();
    await opened.index.upsert([
      source('body', { bodyHtml: '<p>Lithium and cobalt exports, with lithium prices.</p>' }),
      source('title', { title: 'Lithium exports' }),
      source('summary', { summary: 'A note on lithium.' }),
      source('none'),
    ]);
    expect(await ids(opened, 'lithium')).toEqual(['title', 'summary', 'body']);
  });

  it('ranks the first letters of a word that hundreds share: titles first, then newest first', async () => {
    const opened = await openIndex();
    const day = (n: number) => new Date(Date.UTC(2025, 0, 1) + n * 3_600_000).toISOString();
    // 520 briefings with the beginning in their summary (past the 500 BM25 ranks), two with it
    // in the title; BM25 would put the oldest first (the word more often, in fewer words).
    await opened.index.upsert(
      Array.from({ length: 520 }, (_, i) =>
        source(`s${i}`, {
          summary: i === 0 ? 'Lithium lithium lithium' : 'Lithium outlook for the coming year',
          approvedAt: day(i),
        }),
      ),
    );
    await opened.index.upsert([
      source('title-old', { title: 'Lithium lithium', approvedAt: day(-10) }),
      source('title-new', { title: 'Lithium quotas for the year ahead', approvedAt: day(300) }),
    ]);
    const answer = await opened.index.query({ query: parseQuery('lith'), limit: 4 });
    expect(answer.hits.map((hit) => hit.id)).toEqual(['title-new', 'title-old', 's519', 's518']);
    expect(answer.total).toBe(522);
    // A filter keeps its meaning in that order (the first day: hours 0 to 23), and a whole word
    // under the limit is ranked by BM25, the title's weight first.
    const old = await ids(opened, 'lith', { before: day(5).slice(0, 10) });
    expect(old.slice(0, 2)).toEqual(['title-old', 's23']);
    expect(old).toHaveLength(25);
    await opened.index.upsert([source('extra', { summary: 'Cobalt cobalt' })]);
    await opened.index.upsert([source('cobalt-title', { title: 'Cobalt' })]);
    expect(await ids(opened, 'cobalt ')).toEqual(['cobalt-title', 'extra']);
  });

  it('merges its pieces into one once writes pause, and leaves a small change a piece of its own', async () => {
    const opened = await openIndex();
    // Sixty transactions of five, as a first sync writes: pieces on several levels.
    for (let batch = 0; batch < 60; batch++) {
      await opened.index.upsert(
        Array.from({ length: 5 }, (_, i) =>
          source(`b${batch}-${i}`, {
            title: `Cobalt ${batch} ${i}`,
            bodyHtml: `<p>Lithium batch${batch} item${i}</p>`,
          }),
        ),
      );
    }
    const before = segments(opened.path, opened.key);
    expect(before.fts).toBeGreaterThan(1);
    expect(before.short).toBeGreaterThan(1);
    const answer = async () =>
      (await opened.index.query({ query: parseQuery('lithium '), limit: 400 })).hits.map(
        (hit) => hit.id,
      );
    const found = await answer();
    expect(found).toHaveLength(300);
    await opened.index.tidy();
    expect(segments(opened.path, opened.key)).toEqual({ fts: 1, short: 1 });
    expect(await answer()).toEqual(found);
    expect(await ids(opened, 'batch17 ')).toHaveLength(5);
    // One more briefing: a small piece beside the large one, which stays as it is.
    await opened.index.upsert([source('late', { bodyHtml: '<p>Lithium late</p>' })]);
    await opened.index.tidy();
    expect(segments(opened.path, opened.key)).toEqual({ fts: 2, short: 2 });
    expect(await ids(opened, 'late ')).toEqual(['late']);
    // Removals too leave the merged index's words: the removed briefing is not found.
    await opened.index.remove(['b3-1']);
    expect(await ids(opened, 'batch3 ')).toHaveLength(4);
  });

  it('merges by itself once writes have paused for two seconds', async () => {
    const opened = await openIndex();
    for (let batch = 0; batch < 20; batch++) {
      await opened.index.upsert([source(`a${batch}`), source(`b${batch}`)]);
    }
    expect(segments(opened.path, opened.key).fts).toBeGreaterThan(1);
    await expect
      .poll(() => segments(opened.path, opened.key), { timeout: 15_000, interval: 250 })
      .toEqual({ fts: 1, short: 1 });
    expect(await ids(opened, 'briefing a7 ')).toEqual(['a7']);
  });

  it('finds the beginning of a word being typed, phrases only in order, and typos', async () => {
    const opened = await openIndex();
    await opened.index.upsert([
      source('a', { bodyHtml: '<p>Critical minerals supply chains</p>' }),
      source('b', { bodyHtml: '<p>Minerals are critical to supply</p>' }),
      source('c', { title: 'Rare earths', attachments: 'Annex: critical minerals outlook' }),
    ]);
    expect(new Set(await ids(opened, 'miner'))).toEqual(new Set(['a', 'b', 'c']));
    expect(new Set(await ids(opened, '"critical minerals"'))).toEqual(new Set(['a', 'c']));
    expect(new Set(await ids(opened, 'crticial '))).toEqual(new Set(['a', 'b', 'c']));
    expect(new Set(await ids(opened, 'outlok'))).toEqual(new Set(['c']));
    const answer = await opened.index.query({ query: parseQuery('mienrals '), limit: 10 });
    expect(answer.expansions).toEqual(['minerals']);
    expect(answer.total).toBe(3);
    // A word the index has is taken as meant, even with another one edit away; so is the
    // beginning of one.
    await opened.index.upsert([source('d', { bodyHtml: '<p>A supple approach</p>' })]);
    const exact = await opened.index.query({ query: parseQuery('supply '), limit: 10 });
    expect(exact.expansions).toEqual([]);
    expect(new Set(exact.hits.map((hit) => hit.id))).toEqual(new Set(['a', 'b']));
    const typed = await opened.index.query({ query: parseQuery('suppl'), limit: 10 });
    expect(typed.expansions).toEqual([]);
  });

  it('applies every filter, together with words or alone', async () => {
    const opened = await openIndex();
    await opened.index.upsert([
      source('secret-urgent', {
        classification: 'SECRET',
        priority: 'urgent',
        approvedAt: '2025-01-05T10:00:00.000Z',
        bodyHtml: '<p>budget</p>',
        attachmentCount: 1,
      }),
      source('official', {
        approvedAt: '2025-02-01T10:00:00.000Z',
        bodyHtml: '<p>budget</p>',
        senderName: 'Sam Chen',
        senderRole: 'Treasury',
      }),
      source('protected', {
        classification: 'PROTECTED',
        approvedAt: '2025-01-31T23:59:00.000Z',
        sourceVersion: 2,
      }),
    ]);
    expect(await ids(opened, 'budget', { classifications: ['SECRET'] })).toEqual(['secret-urgent']);
    expect(await ids(opened, '', { priorities: ['urgent'] })).toEqual(['secret-urgent']);
    expect(await ids(opened, 'budget from:sam')).toEqual(['official']);
    expect(await ids(opened, 'from:treasury')).toEqual(['official']);
    expect(await ids(opened, 'has:attachment')).toEqual(['secret-urgent']);
    expect(await ids(opened, 'after:2025-01-06 before:2025-01-31')).toEqual(['protected']);
    expect(await ids(opened, 'has:notes')).toEqual([]);
    // Read: version 1 of "official" and version 1 of "protected", whose version 2 is news.
    const read = new Map([
      ['official', 1],
      ['protected', 1],
    ]);
    expect(await ids(opened, 'is:unread', {}, read)).toEqual(['protected', 'secret-urgent']);
    expect(await ids(opened, 'is:read', {}, read)).toEqual(['official']);
  });

  it('keeps what its filters see current through updates, removals, notes and a failed write', async () => {
    const opened = await openIndex();
    await opened.index.upsert([
      source('a', { priority: 'urgent', bodyHtml: '<p>cobalt</p>' }),
      source('b', { priority: 'urgent', bodyHtml: '<p>cobalt</p>' }),
    ]);
    // The first query loads the metadata the filters test into the index's memory.
    expect(await ids(opened, 'cobalt', { priorities: ['urgent'] })).toEqual(['b', 'a']);
    await opened.index.upsert([source('a', { rev: '2-a', bodyHtml: '<p>cobalt</p>' })]);
    expect(await ids(opened, 'cobalt', { priorities: ['urgent'] })).toEqual(['b']);
    expect(await ids(opened, 'cobalt', { priorities: ['routine'] })).toEqual(['a']);
    await opened.index.setNotes('a', 'Ask about quotas');
    expect(await ids(opened, '', { hasNotes: true })).toEqual(['a']);
    await opened.index.setNotes('a', '  ');
    expect(await ids(opened, '', { hasNotes: true })).toEqual([]);
    await opened.index.remove(['b']);
    expect(await ids(opened, '', { priorities: ['urgent'] })).toEqual([]);
    // A batch that fails part-way is rolled back whole: the briefing written before the failure
    // is not found either (by words or by filters), and the next good write is.
    const broken = { ...source('d'), classification: null } as unknown as BriefingSource;
    await expect(
      opened.index.upsert([source('c', { priority: 'urgent' }), broken]),
    ).rejects.toThrow(/NOT NULL/);
    expect(await ids(opened, '', { priorities: ['urgent'] })).toEqual([]);
    expect(await ids(opened, 'briefing')).toEqual(['a']);
    await opened.index.upsert([source('c', { priority: 'urgent' })]);
    expect(await ids(opened, '', { priorities: ['urgent'] })).toEqual(['c']);
  });

  it('counts every match, whether the first tier fills the page or not', async () => {
    const opened = await openIndex();
    await opened.index.upsert([
      source('t1', { title: 'Cobalt exports' }),
      source('t2', { title: 'Cobalt prices', priority: 'urgent' }),
      source('b1', { bodyHtml: '<p>On cobalt, nothing new.</p>', priority: 'urgent' }),
      source('none'),
    ]);
    const answer = async (text: string, limit: number, filters: SearchFilters = {}) => {
      const { total, hits } = await opened.index.query({ query: parseQuery(text, filters), limit });
      return { total, ids: hits.map((hit) => hit.id) };
    };
    // Equal scores and times: the later row first, as every time.
    expect(await answer('cobalt', 1)).toEqual({ total: 3, ids: ['t2'] });
    expect(await answer('cobalt', 2)).toEqual({ total: 3, ids: ['t2', 't1'] });
    expect(await answer('cobalt', 3)).toEqual({ total: 3, ids: ['t2', 't1', 'b1'] });
    expect(await answer('cobalt', 1, { priorities: ['urgent'] })).toEqual({
      total: 2,
      ids: ['t2'],
    });
  });

  it('pages through the same order from any offset, snippets for the page only', async () => {
    const opened = await openIndex();
    await opened.index.upsert([
      ...Array.from({ length: 6 }, (_, i) =>
        source(`t${i}`, {
          title: `Cobalt exports ${i}`,
          approvedAt: `2025-01-1${i}T09:00:00.000Z`,
        }),
      ),
      ...Array.from({ length: 6 }, (_, i) =>
        source(`b${i}`, {
          bodyHtml: '<p>On cobalt, nothing new.</p>',
          approvedAt: `2025-02-1${i}T09:00:00.000Z`,
        }),
      ),
    ]);
    const page = async (text: string, limit: number, offset: number, filters = {}) =>
      opened.index.query({ query: parseQuery(text, filters), limit, offset });
    for (const [text, filters] of [
      ['cobalt', {}],
      ['cobalt', { priorities: ['routine'] }],
      ['', { priorities: ['routine'] }],
    ] as const) {
      const whole = await page(text, 12, 0, filters);
      expect(whole.hits).toHaveLength(12);
      const paged = [];
      for (let offset = 0; offset < 12; offset += 5) {
        const answer = await page(text, 5, offset, filters);
        expect(answer.total).toBe(12);
        expect(answer.totalCapped).toBe(false);
        paged.push(...answer.hits);
      }
      // Titles, snippets and order: as the whole answer gave them.
      expect(paged).toEqual(whole.hits);
    }
    // Titles first, then the body's matches newest first, across the pages' edges.
    expect((await page('cobalt', 3, 5, {})).hits.map((hit) => hit.id)).toEqual(['t0', 'b5', 'b4']);
    expect((await page('cobalt', 5, 12, {})).hits).toEqual([]);
  });

  it('counts up to the cap, and says when more match', async () => {
    const opened = await openIndex();
    const many = Array.from({ length: SEARCH_COUNT_CAP + 5 }, (_, i) =>
      source(`m${i}`, { title: `Nickel ${i}` }),
    );
    for (let i = 0; i < many.length; i += 250) await opened.index.upsert(many.slice(i, i + 250));
    const answer = await opened.index.query({ query: parseQuery('nickel'), limit: 20 });
    expect(answer).toMatchObject({ total: SEARCH_COUNT_CAP, totalCapped: true });
    expect(answer.hits).toHaveLength(20);
    // A count the index makes anyway (a filter applied to every match) stays exact.
    const filtered = await opened.index.query({
      query: parseQuery('nickel', { priorities: ['routine'] }),
      limit: 20,
    });
    expect(filtered).toMatchObject({ total: SEARCH_COUNT_CAP + 5, totalCapped: false });
    await opened.index.upsert([source('few', { title: 'Tungsten' })]);
    expect(await opened.index.query({ query: parseQuery('tungsten'), limit: 20 })).toMatchObject({
      total: 1,
      totalCapped: false,
    });
  });

  it('filters on what was read with the map last sent, until a new one comes', async () => {
    const opened = await openIndex();
    await opened.index.upsert([
      source('a'),
      source('b', { approvedAt: '2025-01-11T09:00:00.000Z' }),
    ]);
    const read = new Map([['a', 1]]);
    expect(await ids(opened, 'is:unread', {}, read)).toEqual(['b']);
    // The same map again is not copied into the index's thread, and still applies.
    expect(await ids(opened, 'is:unread', {}, read)).toEqual(['b']);
    expect(await ids(opened, 'is:read', {}, read)).toEqual(['a']);
    expect(await ids(opened, 'briefing')).toEqual(['b', 'a']);
    // Reading more makes a new map, which replaces the one the thread holds.
    const readMore = new Map([
      ['a', 1],
      ['b', 1],
    ]);
    expect(await ids(opened, 'is:unread', {}, readMore)).toEqual([]);
    expect(await ids(opened, 'is:read', {}, read)).toEqual(['a']);
  });

  it('shows the summary under a title that matches, and the match in the text otherwise', async () => {
    const opened = await openIndex();
    await opened.index.upsert([
      source('titled', {
        title: 'Lithium exports',
        summary: 'Quotas for the coming year.',
        bodyHtml: '<p>Lithium prices rose.</p>',
      }),
      source('body', {
        title: 'Trade',
        summary: 'Quotas.',
        bodyHtml: '<p>Lithium prices rose.</p>',
      }),
      source('bare', { title: 'Lithium', bodyHtml: '<p>About lithium.</p>' }),
    ]);
    const { hits } = await opened.index.query({ query: parseQuery('lithium '), limit: 5 });
    const byId = new Map(hits.map((hit) => [hit.id, hit]));
    expect(byId.get('titled')?.snippetSource).toBe('summary');
    expect(byId.get('titled')?.snippet).toEqual([
      { text: 'Quotas for the coming year.', match: false },
    ]);
    expect(byId.get('titled')?.title).toEqual([
      { text: 'Lithium', match: true },
      { text: ' exports', match: false },
    ]);
    // No match in the title: the text's match; a matching title without a summary: the same.
    for (const id of ['body', 'bare']) {
      expect(byId.get(id)?.snippetSource).toBe('body');
      expect(byId.get(id)?.snippet.some((segment) => segment.match)).toBe(true);
    }
  });

  it('answers titles and snippets as text segments, hostile markup included as text', async () => {
    const opened = await openIndex();
    await opened.index.upsert([
      source('hostile', {
        title: '<script>alert(1)</script> Lithium',
        bodyHtml:
          '<p>&lt;img src=x onerror=alert(1)&gt; lithium \u0002forged\u0003 match</p><script>lithium()</script>',
      }),
    ]);
    const [hit] = (await opened.index.query({ query: parseQuery('lithium '), limit: 5 })).hits;
    expect(hit?.title).toEqual([
      { text: '<script>alert(1)</script> ', match: false },
      { text: 'Lithium', match: true },
    ]);
    expect(hit?.snippetSource).toBe('body');
    expect(hit?.snippet).toEqual([
      { text: '<img src=x onerror=alert(1)> ', match: false },
      { text: 'lithium', match: true },
      { text: '  forged  match', match: false },
    ]);
  });

  it('replaces a briefing on update, and keeps its PDF text when the PDF did not change', async () => {
    const opened = await openIndex();
    await opened.index.upsert([
      source('a', {
        bodyHtml: '<p>first draft</p>',
        attachments: 'annex tables',
        attachmentsKey: 'annex.pdf:md5-1',
      }),
    ]);
    await opened.index.upsert([
      source('a', {
        rev: '2-b',
        bodyHtml: '<p>second version</p>',
        attachments: null,
        attachmentsKey: 'annex.pdf:md5-1',
      }),
    ]);
    expect(await ids(opened, 'draft ')).toEqual([]);
    expect(await ids(opened, 'second ')).toEqual(['a']);
    expect(await ids(opened, 'tables ')).toEqual(['a']);
    expect(await opened.index.revisions()).toEqual(new Map([['a', '2-b']]));
    await opened.index.upsert([
      source('a', { rev: '3-c', attachments: null, attachmentsKey: 'annex.pdf:md5-2' }),
    ]);
    expect(await ids(opened, 'tables ')).toEqual([]);
  });

  it('removes a briefing and its words from the file itself, keeping the rest', async () => {
    const opened = await openIndex();
    const phrase = `quietlantern${randomUUID().replace(/-/g, '')}`;
    const kept = `budgetestimates${randomUUID().replace(/-/g, '')}`;
    const titled = `emberfield${randomUUID().replace(/-/g, '')}`;
    await opened.index.upsert([
      source('secret', {
        title: `Withdrawn ${titled}`,
        bodyHtml: `<p>${phrase} begins at dawn</p>`,
      }),
      source('kept', { bodyHtml: `<p>${kept}</p>` }),
    ]);
    await opened.index.close();
    // Control: the words are in the decrypted pages, never in the raw file.
    const raw = async () =>
      (
        await Promise.all(
          (await readdir(join(opened.path, '..'))).map((name) =>
            readFile(join(opened.path, '..', name)),
          ),
        )
      )
        .map((bytes) => bytes.toString('latin1'))
        .join('');
    expect(await decryptedCopy(opened.path, opened.key)).toContain(phrase);
    expect(await raw()).not.toContain(phrase);
    // The title's words are in both full-text indexes, the short fields' one included.
    expect(indexedTerms(opened.path, opened.key, titled)).toEqual({ fts: 1, short: 1 });

    const reopened = await openIndex(opened.path, opened.key);
    expect(await ids(reopened, phrase)).toEqual(['secret']);
    await reopened.index.remove(['secret']);
    expect(await ids(reopened, phrase)).toEqual([]);
    expect(await ids(reopened, kept)).toEqual(['kept']);
    await reopened.index.close();
    const after = await decryptedCopy(opened.path, opened.key);
    expect(after).not.toContain(phrase);
    expect(after).not.toContain('Withdrawn');
    expect(after).toContain(kept);
    expect(indexedTerms(opened.path, opened.key, titled)).toEqual({ fts: 0, short: 0 });
  });

  it('finds the reader’s notes, keeps them when the briefing is updated, and drops them with it', async () => {
    const opened = await openIndex();
    // Notes may come before the briefing is indexed.
    await opened.index.setNotes('a', 'Ask the minister about cobalt quotas');
    await opened.index.upsert([source('a'), source('b')]);
    expect(await ids(opened, 'cobalt ')).toEqual(['a']);
    expect(await ids(opened, '', { hasNotes: true })).toEqual(['a']);
    expect(await ids(opened, '', { hasNotes: false })).toEqual(['b']);
    const [hit] = (await opened.index.query({ query: parseQuery('cobalt ', {}), limit: 5 })).hits;
    expect(hit?.snippetSource).toBe('notes');

    await opened.index.upsert([source('a', { rev: '2-b', bodyHtml: '<p>Revised text.</p>' })]);
    expect(await ids(opened, 'cobalt ')).toEqual(['a']);
    expect(await ids(opened, 'revised ')).toEqual(['a']);

    await opened.index.setNotes('b', 'Follow up with treasury');
    await opened.index.setNotes('a', '');
    expect(await ids(opened, 'cobalt ')).toEqual([]);
    expect(await ids(opened, '', { hasNotes: true })).toEqual(['b']);

    await opened.index.remove(['b']);
    await opened.index.upsert([source('b', { rev: '3-c' })]);
    expect(await ids(opened, 'treasury ')).toEqual([]);
  });

  it('upgrades an index written by the first release (schema 1) on open, losing nothing', async () => {
    const { path, key, opened } = await openOldIndex(1);
    expect(await opened.index.revisions()).toEqual(new Map([['a', '1-a']]));
    // A 5-letter and a 4-letter beginning, which now have prefix indexes of their own.
    expect(await ids(opened, 'quota')).toEqual(['a']);
    expect(await ids(opened, 'quot')).toEqual(['a']);
    expect(await ids(opened, '', { hasNotes: true })).toEqual(['a']);
    await opened.index.close();

    const db = keyedDatabase(path, key);
    expect(db.pragma('user_version', { simple: true })).toBe(4);
    const sql = db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'fts'`).get() as {
      sql: string;
    };
    // The short fields' own index, made and filled from the text the file held.
    const short = db.prepare(`SELECT rowid FROM short WHERE short MATCH 'minister'`).all();
    db.close();
    expect(sql.sql).toContain(`prefix = '2 3 4 5 6'`);
    expect(short).toEqual([{ rowid: 1 }]);
  });

  it('upgrades an index of the previous release (schema 2) on open: the short fields rank', async () => {
    const { path, key, opened } = await openOldIndex(2);
    // Found by its title and notes (the ranked tier, from the new index of the short fields)
    // and by its body and PDF text (the full index, as it was).
    await opened.index.upsert([source('b', { title: 'Cobalt prices', bodyHtml: '<p>x</p>' })]);
    await opened.index.setNotes('a', 'Ask the treasury');
    expect(await ids(opened, 'treasury ')).toEqual(['a']);
    expect(await ids(opened, 'minister ')).toEqual([]);
    await opened.index.close();
    expect(indexedTerms(path, key, 'minister')).toEqual({ fts: 0, short: 0 });
    expect(indexedTerms(path, key, 'treasury')).toEqual({ fts: 1, short: 1 });
    // Both full-text tables have a prefix index of 6 letters now.
    const db = keyedDatabase(path, key);
    const tables = db
      .prepare(`SELECT name, sql FROM sqlite_master WHERE name IN ('fts', 'short') ORDER BY name`)
      .all() as { name: string; sql: string }[];
    const version = db.pragma('user_version', { simple: true });
    db.close();
    expect(version).toBe(4);
    expect(tables.map((t) => t.name)).toEqual(['fts', 'short']);
    for (const table of tables) expect(table.sql).toContain(`prefix = '2 3 4 5 6'`);
  });

  it('upgrades an index of the previous release (schema 3) on open: titles come from the short fields', async () => {
    const { path, key, opened } = await openOldIndex(3);
    // The page's title and sender are read from the short fields' index, which holds their
    // text now: an index without it would give an empty title.
    const [hit] = (await opened.index.query({ query: parseQuery('cobalt '), limit: 10 })).hits;
    expect(hit?.title.map((segment) => segment.text).join('')).toBe('Cobalt review');
    expect(hit?.snippetSource).toBe('body');
    await opened.index.setNotes('a', 'Ask the treasury');
    await opened.index.remove(['a']);
    await opened.index.close();
    expect(indexedTerms(path, key, 'cobalt')).toEqual({ fts: 0, short: 0 });
    const db = keyedDatabase(path, key);
    const version = db.pragma('user_version', { simple: true });
    const sql = (
      db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'short'`).get() as {
        sql: string;
      }
    ).sql;
    const rows = db.prepare(`SELECT count(*) FROM short`).pluck().get();
    db.close();
    expect(version).toBe(4);
    expect(sql).not.toContain('contentless');
    expect(rows).toBe(0);
  });

  it('starts afresh, empty, when the file does not open with the key', async () => {
    const first = await openIndex();
    await first.index.upsert([source('a')]);
    await first.index.close();
    const second = await openIndex(first.path, randomBytes(32));
    expect(second.rebuilt).toBe(true);
    expect(await second.index.revisions()).toEqual(new Map());
    const third = await openIndex(first.path, first.key);
    expect(third.rebuilt).toBe(true);
  });
});
