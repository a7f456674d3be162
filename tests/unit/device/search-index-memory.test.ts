// The search index's metadata in memory (meta-cache.ts) against the file it mirrors, in the
// index's own process (no worker, so the test decides when the facts are filled): an index of a
// few thousand briefings reopened, answered before its facts are filled, written to while they
// are filled a slice at a time, then answered from them, always as a model of the file says.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseQuery } from '../../../src/main/search/query-parser.js';
import {
  openSqliteSearchIndex,
  type SyncSearchIndex,
} from '../../../src/main/search/search-index.sqlite.js';
import type { IndexedBriefing } from '../../../src/main/search/types.js';
import type { SearchFilters } from '../../../src/shared/search.js';
import { tempDir } from './fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const COUNT = 2_500;
const idOf = (i: number) => `briefing:${String(i).padStart(5, '0')}`;
function briefing(i: number, changes: Partial<IndexedBriefing> = {}): IndexedBriefing {
  return {
    id: idOf(i),
    rev: '1-a',
    title: `Briefing ${i}`,
    summary: '',
    senderName: 'Jordan Lee',
    senderRole: 'Chief of Staff',
    body: i % 2 === 0 ? 'Cobalt quotas tighten.' : 'Nothing to see.',
    attachments: '',
    attachmentsKey: '',
    classification: 'OFFICIAL',
    priority: i % 3 === 0 ? 'urgent' : 'routine',
    // Not in row order: a newer briefing may have an older row.
    approvedAt: new Date(Date.UTC(2025, 0, 1) + ((i * 7919) % COUNT) * 60_000).toISOString(),
    sourceVersion: 1,
    attachmentCount: 0,
    ...changes,
  };
}

describe('the search index’s metadata in memory', () => {
  it('answers as the file says before, while and after its facts are filled, through writes', async () => {
    const dir = await tempDir('search-memory');
    cleanups.push(dir.remove);
    const path = join(dir.path, 'search', 'index.db');
    const key = randomBytes(32);
    let index: SyncSearchIndex = openSqliteSearchIndex({ path, key });
    const model = new Map<string, IndexedBriefing>();
    const write = (items: IndexedBriefing[]) => {
      index.upsert(items);
      for (const item of items) model.set(item.id, item);
    };
    write(Array.from({ length: COUNT }, (_, i) => briefing(i)));
    index.close();
    index = openSqliteSearchIndex({ path, key });
    cleanups.push(() => index.close());
    const notes = new Set<string>();

    const expected = (text: string, filters: SearchFilters, limit: number) => {
      const kept = [...model.values()].filter(
        (b) =>
          (text === '' || b.body.includes('Cobalt')) &&
          (!filters.priorities || filters.priorities.includes(b.priority)) &&
          (filters.hasNotes === undefined || notes.has(b.id) === filters.hasNotes),
      );
      // Newest first; equal times by the later write (the later row), which here never happens.
      kept.sort((a, b) => b.approvedAt.localeCompare(a.approvedAt));
      return {
        total: kept.length,
        hits: kept.slice(0, limit).map((b) => ({ id: b.id, priority: b.priority })),
      };
    };
    const check = (text: string, filters: SearchFilters = {}, limit = 30) => {
      const answer = index.query({ query: parseQuery(text, filters), limit });
      expect({
        total: answer.total,
        hits: answer.hits.map((hit) => ({ id: hit.id, priority: hit.priority })),
      }).toEqual(expected(text, filters, limit));
    };

    // Before any fill: the order from the date index, the page's facts from the file.
    check('cobalt ');
    // A slice, then writes on both sides of where the fill stands, and a removal on each side.
    expect(index.warm()).toBe(true);
    write([briefing(5, { rev: '2-a', priority: 'urgent' }), briefing(2_400, { rev: '2-a' })]);
    index.remove([idOf(10), idOf(2_450)]);
    model.delete(idOf(10));
    model.delete(idOf(2_450));
    index.setNotes(idOf(12), 'Ask about quotas');
    notes.add(idOf(12));
    check('cobalt ');
    expect(index.warm()).toBe(true);
    // A removed briefing shared again comes back as a new row.
    write([briefing(10, { rev: '3-a', priority: 'urgent' })]);
    // A filter completes the facts at once.
    check('cobalt ', { priorities: ['urgent'] }, 50);
    check('', { priorities: ['urgent'] }, 50);
    check('', { hasNotes: true });
    expect(index.warm()).toBe(false);
    // Complete: writes go to the facts in memory.
    write([briefing(12, { rev: '2-b', priority: 'urgent' })]);
    index.setNotes(idOf(12), '');
    notes.delete(idOf(12));
    check('', { priorities: ['urgent'] }, 100);
    check('', { hasNotes: true });
    check('cobalt ', {}, 100);
  });
});
