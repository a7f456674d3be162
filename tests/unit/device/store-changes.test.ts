// The store tells its listeners what changed in the briefings database as its writers write it
// (the pull, removeBriefings), instead of reading every written document back through a live
// changes feed: each change once, a deletion as deleted only when no live revision is left (as
// the feed would say it), and still after a purge has closed and reopened the database.
import { afterEach, describe, expect, it } from 'vitest';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import type {
  BriefingsWritten,
  LocalChange,
  ReplicatedDoc,
  UserStore,
} from '../../../src/main/storage/types.js';
import { eventually } from '../../support/eventually.js';
import { createInMemoryKeychainTestDouble } from './auth-doubles.js';
import { briefing, memoryLogger, tempDir } from './fixtures.js';

const USER = 'alex.morgan';

/** A revision as the server holds it: `start`-th generation, its history of `ids`. */
function revision(sorId: string, ids: string[], deleted = false): ReplicatedDoc {
  return {
    ...briefing(sorId),
    _rev: `${ids.length}-${ids[0]}`,
    _revisions: { start: ids.length, ids },
    ...(deleted ? { _deleted: true } : {}),
  };
}

describe('what the store tells of briefing changes', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function open(): Promise<{ store: UserStore; heard: LocalChange[] }> {
    const dir = await tempDir('store-changes');
    const store = await openUserStore({
      dataDir: dir.path,
      userId: USER,
      keychain: createInMemoryKeychainTestDouble(),
      logger: memoryLogger().logger,
    });
    cleanups.push(async () => {
      await store.close();
      await dir.remove();
    });
    const heard: LocalChange[] = [];
    store.onBriefingsChange((changes) => heard.push(...changes));
    return { store, heard };
  }

  it('gives what each pull write made of the feed exactly, its documents at their winning revision', async () => {
    const { store } = await open();
    const told: BriefingsWritten[] = [];
    store.onBriefingsWritten((written) => told.push(written));
    const before = await store.briefingsUpdateSeq();
    const writes = [
      [revision('a', ['a1']), revision('b', ['b1'])],
      [revision('a', ['a2', 'a1'], true)],
      [revision('b', ['b2', 'b1'])],
      // A conflict the written revision loses: `c` holds 2-c9; 2-c0 comes later and loses.
      [revision('c', ['c9', 'c1'])],
      [revision('c', ['c0', 'c1'])],
    ];
    for (const docs of writes) {
      const count = told.length;
      await store.pullTarget.writeReplicated(docs);
      const written = told[count];
      if (!written) continue;
      expect(written.from).toEqual(count === 0 ? before : told[count - 1]?.to);
      // The feed from where the write began says the same, and ends where it ended.
      const feed = await store.briefingChangesSince(written.from, 100);
      expect(feed.lastSeq).toEqual(written.to);
      expect(written.results.map((r) => [r.id, r.doc?._rev ?? null])).toEqual(
        feed.results.map((r) => [r.id, r.doc?._rev ?? null]),
      );
    }
    expect(told).toHaveLength(4);
    expect(told.map((written) => written.results.map((r) => [r.id, r.doc?._rev ?? null]))).toEqual([
      [
        ['briefing:a', '1-a1'],
        ['briefing:b', '1-b1'],
      ],
      [['briefing:a', null]],
      [['briefing:b', '2-b2']],
      [['briefing:c', '2-c9']],
    ]);
    // Without attachments' content or history.
    expect(told[2]?.results[0]?.doc).not.toHaveProperty('_revisions');
    expect(await store.briefingsUpdateSeq()).not.toEqual(told[3]?.to);
  });

  it('tells of what the pull writes, once each, and of removals', async () => {
    const { store, heard } = await open();
    await store.pullTarget.writeReplicated([revision('a', ['a1']), revision('b', ['b1'])]);
    await eventually(() => expect(heard).toHaveLength(2), { what: 'the pull is heard' });
    expect(heard).toEqual([
      { id: 'briefing:a', deleted: false },
      { id: 'briefing:b', deleted: false },
    ]);
    heard.length = 0;
    // A deletion from the server, and one by the store (a briefing above the ceiling).
    await store.pullTarget.writeReplicated([revision('a', ['a2', 'a1'], true)]);
    expect(await store.removeBriefings(['briefing:b'])).toBe(1);
    await eventually(() => expect(heard).toHaveLength(2), { what: 'both deletions are heard' });
    expect(heard).toEqual([
      { id: 'briefing:a', deleted: true },
      { id: 'briefing:b', deleted: true },
    ]);
  });

  it('tells an unshare at once, before a follower of the feed can see it', async () => {
    const { store, heard } = await open();
    await store.pullTarget.writeReplicated([revision('u', ['u1'])]);
    await eventually(() => expect(heard).toHaveLength(1), { what: 'the share is heard' });
    const since = await store.briefingsUpdateSeq();
    heard.length = 0;
    const write = store.pullTarget.writeReplicated([revision('u', ['u2', 'u1'], true)]);
    // The feed read again and again while the write runs, as the summary index may.
    let seenBeforeHeard = false;
    const reads = (async () => {
      for (let i = 0; i < 50; i++) {
        const page = await store.briefingChangesSince(since, 10);
        const gone = page.results.some((r) => r.id === 'briefing:u' && r.doc === null);
        if (gone && !heard.some((change) => change.deleted)) seenBeforeHeard = true;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await write;
    expect(heard).toEqual([{ id: 'briefing:u', deleted: true }]);
    await reads;
    expect(seenBeforeHeard).toBe(false);
  });

  it('tells a deleted branch as no deletion while a live revision is left', async () => {
    const { store, heard } = await open();
    // Two branches from the server; then one of them deleted.
    await store.pullTarget.writeReplicated([
      revision('c', ['c2x', 'c1']),
      revision('c', ['c2y', 'c1']),
    ]);
    await store.pullTarget.writeReplicated([revision('c', ['c3x', 'c2x', 'c1'], true)]);
    await eventually(() => expect(heard).toHaveLength(3), { what: 'three writes are heard' });
    expect(heard.at(-1)).toEqual({ id: 'briefing:c', deleted: false });
    expect(await store.getBriefingDoc('briefing:c')).not.toBeNull();
  });

  it('still tells of changes after a purge has reopened the database', async () => {
    const { store, heard } = await open();
    await store.pullTarget.writeReplicated([revision('d', ['d1'])]);
    await store.purgeDeleted();
    await store.pullTarget.writeReplicated([revision('e', ['e1'])]);
    await eventually(() => expect(heard).toHaveLength(2), { what: 'both writes are heard' });
    expect(heard.map((change) => change.id)).toEqual(['briefing:d', 'briefing:e']);
  });
});
