// The search index's reading connection in the asking thread (index-reader.sqlite.ts): it
// answers exactly as the index's own thread does, only once what it holds in memory is what the
// file says, and never ahead of a write asked before the query (real files, real threads).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OpenedSearchIndex } from '../../../src/main/search/index-client.js';
import { openSearchIndex } from '../../../src/main/search/index-client.js';
import { openIndexReader, type IndexReader } from '../../../src/main/search/index-reader.sqlite.js';
import { parseQuery } from '../../../src/main/search/query-parser.js';
import { toIndexedBriefing } from '../../../src/main/search/briefing-text.js';
import { openSqliteSearchIndex } from '../../../src/main/search/search-index.sqlite.js';
import type { BriefingSource, IndexQuery } from '../../../src/main/search/types.js';
import { SEARCH_ERROR_CODES } from '../../../src/main/search/types.js';
import type { SearchFilters } from '../../../src/shared/search.js';
import { memoryLogger, tempDir } from './fixtures.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const WORDS = ['cobalt', 'lithium', 'reserve', 'tariff', 'budget', 'minister', 'treaty', 'quota'];

/** Briefings with words from WORDS in every field, facts of every kind, some with PDF text. */
function sources(count: number, from = 0): BriefingSource[] {
  return Array.from({ length: count }, (_, n) => {
    const i = n + from;
    const w = (k: number) => WORDS[(i * 7 + k * 3) % WORDS.length] as string;
    return {
      id: `b${i}`,
      rev: '1-a',
      title: `${w(1)} ${w(2)} update ${i}`,
      summary: i % 3 === 0 ? '' : `The ${w(3)} and the ${w(4)} before the vote`,
      senderName: i % 2 ? 'Jordan Lee' : 'Ana Costa',
      senderRole: 'Policy Adviser',
      bodyHtml: `<p>On the ${w(5)} ${w(6)} the department reports <b>${w(7)}</b> figures.</p>`,
      attachments: i % 4 === 0 ? `Annex on ${w(8)} ${w(1)} tables` : '',
      attachmentsKey: i % 4 === 0 ? `annex.pdf:md5-${i}` : '',
      classification: i % 5 === 0 ? 'PROTECTED' : 'OFFICIAL',
      priority: i % 3 === 0 ? 'urgent' : 'routine',
      approvedAt: new Date(Date.UTC(2025, 0, 1) + (i % 17) * 86_400_000).toISOString(),
      sourceVersion: 1 + (i % 2),
      attachmentCount: i % 4 === 0 ? 1 : 0,
    };
  });
}

async function indexFile(): Promise<string> {
  const dir = await tempDir('search-reader');
  cleanups.push(dir.remove);
  return join(dir.path, 'search', 'index.db');
}

/**
 * An index file written in this thread by the index's own code (as its thread writes it), with
 * `count` briefings, and its key.
 */
async function writtenIndex(count: number) {
  const path = await indexFile();
  const key = randomBytes(32);
  const writer = openSqliteSearchIndex({ path, key });
  cleanups.push(() => writer.close());
  writer.upsert(sources(count).map(toIndexedBriefing));
  return { path, key, writer };
}

/** A reader of that file, closed after the test. */
function readerOf(file: { readonly path: string; readonly key: Buffer }): IndexReader {
  const reader = openIndexReader(file);
  cleanups.push(() => reader.close());
  return reader;
}

/** Waits (real time: the reader waits for the file to be quiet) until `ready` holds. */
async function until(ready: () => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!ready()) {
    if (Date.now() - start > 10_000) throw new Error(`still not ${what} after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const ask = (text: string, filters: SearchFilters = {}, more: Partial<IndexQuery> = {}) => ({
  query: parseQuery(text, filters),
  limit: 10,
  ...more,
});

describe('the search index read in the asking thread', () => {
  it('answers every kind of query exactly as the index’s own thread does', async () => {
    const file = await writtenIndex(120);
    const { writer } = file;
    writer.setNotes('b7', 'Ask the minister about cobalt quotas');
    const reader = readerOf(file);
    expect(reader.query(ask('cobalt'))).toBeNull();
    await until(reader.current, 'current');

    const read = new Map([
      ['b1', 2],
      ['b2', 1],
      ['b4', 1],
    ]);
    const queries = [
      ask('cobalt'),
      ask('lit'),
      ask('"the department reports"'),
      ask('"reports the"'),
      ask('minister quota'),
      ask('tarif '),
      ask('lithum'),
      ask('cobalt', { priorities: ['urgent'], after: '2025-01-05' }),
      ask('', { classifications: ['PROTECTED'], hasAttachments: true }),
      ask('reserve', { hasNotes: true }),
      ask('cobalt', { from: 'costa' }),
      ask('budget is:unread', {}, { readVersions: read }),
      ask('', { unread: false }, { readVersions: read }),
      ask('update', {}, { offset: 30, limit: 7 }),
      ask('nothingatall'),
    ];
    let found = 0;
    let left = 0;
    for (const query of queries) {
      const here = reader.query(query);
      const there = writer.query(query);
      if (query.query.terms.length > 0 && (there.total === 0 || there.expansions.length > 0)) {
        // Found nothing as typed: the words it may be typos of are the index's thread's to find.
        expect(here, JSON.stringify(query.query)).toBeNull();
        left++;
        continue;
      }
      expect(here, JSON.stringify(query.query)).toEqual(there);
      found += here?.total ?? 0;
    }
    // Not a comparison of empty answers, and the typos were corrected there.
    expect(found).toBeGreaterThan(200);
    expect(left).toBe(3);
    expect(writer.query(ask('tarif ')).expansions).toEqual(['tariff']);
  });

  it('answers nothing from memory the file has moved past: the index’s thread answers until it has caught up', async () => {
    const file = await writtenIndex(20);
    const { writer } = file;
    const reader = readerOf(file);
    await until(reader.current, 'current');
    expect(reader.query(ask('', { priorities: ['urgent'] }))?.total).toBe(7);

    for (const write of [
      () => writer.upsert([toIndexedBriefing(sources(1, 20)[0] as BriefingSource)]),
      () => writer.remove(['b0']),
      () => writer.setNotes('b3', 'cobalt'),
      // A merge step changes no briefing, but the reader cannot tell: it waits too. (Four writes
      // left four pieces: the step has work to do.)
      () => expect(writer.tidy()).toBe(true),
    ]) {
      write();
      expect(reader.current()).toBe(false);
      expect(reader.query(ask('', { priorities: ['urgent'] }))).toBeNull();
      await until(reader.current, 'current again');
      expect(reader.query(ask('', { priorities: ['urgent'] }))).toEqual(
        writer.query(ask('', { priorities: ['urgent'] })),
      );
    }
    expect(reader.query(ask('', { hasNotes: true }))?.hits.map((hit) => hit.id)).toEqual(['b3']);

    // A commit while a query runs: the map of what was read is consulted in the middle of the
    // query, and this one makes the writer commit then. The answer may have seen two states.
    const read = new Map([['b1', 2]]);
    let wrote = false;
    const lookUp = read.get.bind(read);
    read.get = (id: string) => {
      if (!wrote) {
        wrote = true;
        writer.upsert([toIndexedBriefing(sources(1, 30)[0] as BriefingSource)]);
      }
      return lookUp(id);
    };
    expect(reader.query(ask('', { unread: true }, { readVersions: read }))).toBeNull();
    expect(wrote).toBe(true);
    expect(reader.current()).toBe(false);
  });

  it('is refused a file it cannot read, and cannot write one it can', async () => {
    const { path, key } = await writtenIndex(0);
    expect(() => openIndexReader({ path, key: randomBytes(32) })).toThrow(
      expect.objectContaining({ code: SEARCH_ERROR_CODES.unreadable }),
    );
    expect(() => openIndexReader({ path: `${path}.missing`, key })).toThrow();
    const { openReadingDatabase } =
      await import('../../../src/main/search/search-index-file.sqlite.js');
    const db = openReadingDatabase(path, key);
    cleanups.push(() => db.close());
    expect(() => db.exec(`INSERT INTO notes (id, text) VALUES ('x', 'y')`)).toThrow(/readonly/i);
  });
});

describe('the search index client', () => {
  async function opened(): Promise<OpenedSearchIndex> {
    const index = await openSearchIndex({
      path: await indexFile(),
      key: randomBytes(32),
      logger: memoryLogger().logger,
    });
    cleanups.push(() => index.index.close());
    return index;
  }
  const idsOf = async (index: OpenedSearchIndex, text: string, filters: SearchFilters = {}) =>
    (await index.index.query(ask(text, filters))).hits.map((hit) => hit.id);
  /**
   * The ids a query finds, answered in the asking thread. The index's thread merges its pieces
   * by itself two seconds after a write, which sends a query there again: asked until answered
   * here (a few times at most).
   */
  const idsHere = async (index: OpenedSearchIndex, text: string): Promise<string[]> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      await until(index.answersHere, 'answering here');
      const before = index.answered().here;
      const found = await idsOf(index, text);
      if (index.answered().here === before + 1) return found;
    }
    throw new Error('never answered in the asking thread');
  };

  it('answers in the asking thread once writes pause, and sees every write at once', async () => {
    const index = await opened();
    await index.index.upsert(sources(12));
    expect(await idsHere(index, 'cobalt')).toContain('b1');
    const before = index.answered();

    // Each write is seen by the next query (the index's thread answers it), never a stale page.
    await index.index.remove(['b1']);
    expect(await idsOf(index, 'cobalt')).not.toContain('b1');
    await index.index.setNotes('b2', 'Quota of vanadium');
    expect(await idsOf(index, '', { hasNotes: true })).toEqual(['b2']);
    expect(index.answered().byIndexThread).toBe(before.byIndexThread + 2);

    // A write still under way: the query is answered after it, as the index's thread takes them.
    expect(await idsHere(index, 'vanadium')).toEqual(['b2']);
    const writing = index.index.upsert(sources(1, 40));
    const inTurn = index.answered().byIndexThread;
    expect(await idsOf(index, 'update 40')).toEqual(['b40']);
    expect(index.answered().byIndexThread).toBe(inTurn + 1);
    await writing;
    expect(await idsHere(index, 'update 40')).toEqual(['b40']);

    // A typo: found nothing here, so the index's thread looks for what it may mean.
    await until(index.answersHere, 'answering here before the typo');
    const typo = await index.index.query(ask('lithum'));
    expect(typo.expansions).toEqual(['lithium']);
    expect(typo.total).toBeGreaterThan(0);
  });

  it('answers nothing once closed', async () => {
    const index = await opened();
    await index.index.upsert(sources(3));
    await until(index.answersHere, 'answering here');
    await index.index.close();
    expect(index.answersHere()).toBe(false);
    await expect(index.index.query(ask('cobalt'))).rejects.toThrow();
  });
});
