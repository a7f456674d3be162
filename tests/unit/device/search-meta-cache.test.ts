// The index's metadata in memory: the newest-first page picked in one pass must be exactly the
// first page of the whole list sorted, ties and unreadable dates included.
import { describe, expect, it } from 'vitest';
import {
  MetaCache,
  metaEntry,
  newerFirst,
  newest,
  type MetaEntry,
} from '../../../src/main/search/meta-cache.js';

function entry(rowid: number, approvedAt: string): MetaEntry {
  return metaEntry({
    rowid,
    id: `briefing:${rowid}`,
    classification: 'OFFICIAL',
    priority: 'routine',
    senderName: 'Jordan Lee',
    approvedAt,
    sourceVersion: 1,
    attachmentCount: 0,
  });
}

describe('the newest-first page', () => {
  it('is the first page of the whole list sorted, for any size of page', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    // Few distinct times, so that many are equal and the row decides.
    const entries = Array.from({ length: 2_000 }, (_, i) =>
      entry(i + 1, new Date(Date.UTC(2025, 0, 1 + Math.floor(random() * 40))).toISOString()),
    );
    entries.push(entry(5_000, 'not a date'));
    const sorted = [...entries].sort(newerFirst);
    for (const limit of [0, 1, 50, 100, 2_001, 3_000]) {
      expect(newest(entries, limit)).toEqual(sorted.slice(0, limit));
    }
    // The date that could not be read sorts last, not first.
    expect(sorted.at(-1)?.rowid).toBe(5_000);
  });

  it('breaks equal times by the later row, so asking again gives the same order', () => {
    const same = '2025-01-10T09:00:00.000Z';
    expect(newest([entry(1, same), entry(3, same), entry(2, same)], 2).map((e) => e.rowid)).toEqual(
      [3, 2],
    );
  });
});

describe('the cache', () => {
  /** A file's metadata as the index reads it: rows after a row, in row order. */
  const file = (rows: MetaEntry[], idsWithNotes: string[] = []) => {
    const reads: number[] = [];
    return {
      reads,
      source: {
        after: (rowid: number, count: number) => {
          const slice = rows.filter((row) => row.rowid > rowid).slice(0, count);
          reads.push(slice.length);
          return slice;
        },
        idsWithNotes: () => idsWithNotes,
      },
    };
  };
  const day = (n: number) => new Date(Date.UTC(2025, 0, 1) + n * 86_400_000).toISOString();

  it('fills the facts a slice at a time, and a write meanwhile is not lost', () => {
    const rows = Array.from({ length: 2_500 }, (_, i) => entry(i + 1, day(i % 300)));
    const { reads, source } = file(rows);
    const cache = new MetaCache(rows, source);
    expect(cache.factsComplete).toBe(false);
    expect(cache.fillSome()).toBe(true);
    // A row already read changes, one not read yet changes in the file, one goes.
    cache.set(entry(10, day(400)));
    rows[1_999] = entry(2_000, day(401));
    cache.set(rows[1_999]);
    cache.delete(20);
    rows.splice(19, 1);
    expect(cache.fillSome()).toBe(true);
    expect(cache.fillSome()).toBe(false);
    expect(reads).toEqual([1_000, 1_000, 500]);
    expect(cache.factsComplete).toBe(true);
    expect(cache.fillSome()).toBe(false);
    expect(cache.factsOf(10)?.approvedAt).toBe(day(400));
    expect(cache.factsOf(2_000)?.approvedAt).toBe(day(401));
    expect(cache.factsOf(20)).toBeUndefined();
    expect(newest(cache.allRanked(), 2).map((r) => r.rowid)).toEqual([2_000, 10]);
  });

  it('completes the facts at once when a filter needs them, and keeps them current', () => {
    const { reads, source } = file([entry(1, day(1)), entry(2, day(2))], ['briefing:1']);
    const cache = new MetaCache([entry(1, day(1)), entry(2, day(2))], source);
    cache.set(entry(3, day(3)));
    expect(cache.size).toBe(3);
    expect(newest(cache.allRanked(), 1).map((r) => r.rowid)).toEqual([3]);
    expect(reads).toEqual([]);

    expect(cache.hasNotes('briefing:1')).toBe(true);
    expect(reads).toEqual([2]);
    expect(cache.factsOf(3)?.approvedAt).toBe(day(3));
    cache.set(entry(1, day(5)));
    expect(cache.factsOf(1)?.approvedAt).toBe(day(5));
    expect(newest(cache.allRanked(), 1).map((r) => r.rowid)).toEqual([1]);
    cache.delete(2);
    expect(cache.ranked(2)).toBeUndefined();
    expect(cache.factsOf(2)).toBeUndefined();
    cache.setNotes('briefing:1', false);
    cache.setNotes('briefing:3', true);
    expect(cache.hasNotes('briefing:1')).toBe(false);
    expect(cache.hasNotes('briefing:3')).toBe(true);
    expect(reads).toEqual([2]);
  });
  it('tells read from unread by row, as the read versions say, through every change', () => {
    const rows = [1, 2, 3].map((rowid) => entry(rowid, day(rowid)));
    const cache = new MetaCache(rows, file(rows).source);
    const briefing3 = (sourceVersion: number): MetaEntry => ({
      ...entry(3, day(3)),
      sourceVersion,
    });
    const versions = new Map([
      ['briefing:1', 1],
      ['briefing:3', 1],
    ]);
    const isRead = cache.readTest(versions);
    expect([1, 2, 3].map((rowid) => isRead(cache.factsOf(rowid)!))).toEqual([true, false, true]);
    // A new version of a briefing read before is unread again; a new briefing is unread.
    cache.set(briefing3(2));
    cache.set(entry(9, day(9)));
    const after = cache.readTest(versions);
    expect([1, 2, 3, 9].map((rowid) => after(cache.factsOf(rowid)!))).toEqual([
      true,
      false,
      false,
      false,
    ]);
    // Reading more comes as a new map.
    const more = cache.readTest(new Map([...versions, ['briefing:3', 2], ['briefing:9', 1]]));
    expect([1, 2, 3, 9].map((rowid) => more(cache.factsOf(rowid)!))).toEqual([
      true,
      false,
      true,
      true,
    ]);
    cache.delete(1);
    cache.set(entry(12, day(12)));
    expect(cache.readTest(versions)(entry(1, day(1)))).toBe(false);
    expect(cache.readTest(new Map([['briefing:12', 1]]))(cache.factsOf(12)!)).toBe(true);
  });
});
