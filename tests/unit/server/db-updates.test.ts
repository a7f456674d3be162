// The embedded server's `_db_updates` (server/src/couch/db-updates.ts): one entry per database,
// in the order of their last writes; a long poll wakes on a write; a sequence of another start of
// the server is refused, so its consumer reads everything again rather than miss a write.
import { describe, expect, it } from 'vitest';
import { createDbUpdatesTracker } from '../../../server/src/couch/db-updates.js';

const read = (
  tracker: ReturnType<typeof createDbUpdatesTracker>,
  since: string,
  waitMs = 0,
  limit = 100,
) => tracker.read({ since, limit, waitMs });

describe('the embedded server’s database updates', () => {
  it('names each database once, at its last write, in order', async () => {
    const tracker = createDbUpdatesTracker('a1');
    tracker.updated('returns-61');
    tracker.updated('returns-62');
    tracker.updated('returns-61');
    expect(await read(tracker, '0')).toEqual({
      ok: true,
      results: [
        { db_name: 'returns-62', type: 'updated', seq: 'a1-2' },
        { db_name: 'returns-61', type: 'updated', seq: 'a1-3' },
      ],
      last_seq: 'a1-3',
    });
    expect(await read(tracker, 'a1-2')).toMatchObject({
      results: [{ db_name: 'returns-61' }],
      last_seq: 'a1-3',
    });
    expect(await read(tracker, '0', 0, 1)).toMatchObject({ last_seq: 'a1-2' });
  });

  it('answers "now" with the current sequence and nothing else', async () => {
    const tracker = createDbUpdatesTracker('a1');
    tracker.updated('returns-61');
    expect(await read(tracker, 'now')).toEqual({ ok: true, results: [], last_seq: 'a1-1' });
    expect(await read(tracker, 'a1-1')).toEqual({ ok: true, results: [], last_seq: 'a1-1' });
  });

  it('wakes a long poll at the next write, and ends it empty at its timeout', async () => {
    const tracker = createDbUpdatesTracker('a1');
    const waiting = read(tracker, 'now', 10_000);
    setTimeout(() => tracker.updated('returns-63'), 20);
    const started = Date.now();
    expect(await waiting).toMatchObject({ results: [{ db_name: 'returns-63', seq: 'a1-1' }] });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await read(tracker, 'a1-1', 30)).toEqual({ ok: true, results: [], last_seq: 'a1-1' });
  });

  it('refuses a sequence of another start, or one it never gave', async () => {
    const tracker = createDbUpdatesTracker('b2');
    tracker.updated('returns-61');
    for (const since of ['a1-1', 'b2-9', 'b2-x', 'b2', '-1', 'garbage']) {
      expect(await read(tracker, since), since).toMatchObject({ ok: false });
    }
  });
});
