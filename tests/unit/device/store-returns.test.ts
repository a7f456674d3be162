// The returns side of the store on real LevelDB: what the live pull brings from the server is
// never counted as unsent, and a store written before the live pull existed (its returns copied
// once at sign-in, `returnsRestored` in its sync state) opens and counts as before.
import { afterEach, describe, expect, it } from 'vitest';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import type { ReplicatedDoc } from '../../../src/main/storage/types.js';
import { createInMemoryKeychainTestDouble } from './auth-doubles.js';
import { memoryLogger, openLocalDb, tempDir } from './fixtures.js';

const USER = 'alex.morgan';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A receipt as the server's returns database answers it to the pull (`_bulk_get`, revs=true). */
function fromServer(n: number): ReplicatedDoc {
  const rev = `${(n + 1).toString(16).padStart(32, '0')}`;
  return {
    _id: `read-receipt:server-${n}`,
    _rev: `1-${rev}`,
    _revisions: { start: 1, ids: [rev] },
    type: 'read-receipt',
    briefingId: 'briefing:a',
    sorId: 'a',
    sourceVersion: 1,
    readAt: '2026-01-01T00:00:00.000Z',
    author: USER,
  };
}

describe('the returns side of the store', () => {
  it('counts what was written here as unsent, and never what came from the server', async () => {
    const dir = await tempDir('returns-received');
    cleanups.push(dir.remove);
    const { logger } = memoryLogger();
    const keychain = createInMemoryKeychainTestDouble();
    const open = () => openUserStore({ dataDir: dir.path, userId: USER, keychain, logger });
    let store = await open();
    await store.createReturnDoc('read-receipt:here-1', { type: 'read-receipt', author: USER });
    const written = await store.returnsPullTarget.writeReplicated([fromServer(1), fromServer(2)]);
    expect(written).toHaveLength(2);
    await store.createReturnDoc('read-receipt:here-2', { type: 'read-receipt', author: USER });
    expect(await store.countReturnsSince(0)).toBe(2);
    // The push confirms the first local write; the rest stays unsent, the server's still not.
    await store.writeSyncState({ lastSyncedAt: null, pushedSeq: 1 });
    await store.returnsPullTarget.writeReplicated([fromServer(3)]);
    expect(await store.countReturnsSince(1)).toBe(1);
    await store.close();
    // Across a restart.
    store = await open();
    expect(await store.countReturnsSince(1)).toBe(1);
    expect((await store.listReturnDocs()).map((doc) => doc._id).sort()).toEqual([
      'read-receipt:here-1',
      'read-receipt:here-2',
      'read-receipt:server-1',
      'read-receipt:server-2',
      'read-receipt:server-3',
    ]);
    await store.close();
  });

  it('opens a store whose returns were copied once at sign-in, as the previous release did', async () => {
    const dir = await tempDir('returns-previous');
    cleanups.push(dir.remove);
    const { logger } = memoryLogger();
    const keychain = createInMemoryKeychainTestDouble();
    // What the previous release left: its sync state and the copied receipts, by PouchDB.
    const returns = await openLocalDb(dir.path, USER, keychain, 'returns');
    await returns.put({ type: 'read-receipt', author: USER, _id: 'read-receipt:mine' });
    await returns.bulkDocs([fromServer(1)], { new_edits: false });
    await returns.put({
      _id: '_local/attache-sync-state',
      lastSyncedAt: '2026-01-02T00:00:00.000Z',
      pushedSeq: 1,
      returnsRestored: true,
    });
    await returns.close();

    const store = await openUserStore({ dataDir: dir.path, userId: USER, keychain, logger });
    expect(await store.readSyncState()).toEqual({
      lastSyncedAt: '2026-01-02T00:00:00.000Z',
      pushedSeq: 1,
    });
    // The copied receipt predates the note of what came from the server: counted (too many,
    // never too few) until the push passes over it, as before.
    expect(await store.countReturnsSince(1)).toBe(1);
    expect(await store.returnsPullTarget.readCheckpoint()).toBeNull();
    expect(
      await store.returnsPullTarget.missingRevisions({ [fromServer(1)._id]: [fromServer(1)._rev] }),
    ).toEqual({});
    await store.close();
  });
});
