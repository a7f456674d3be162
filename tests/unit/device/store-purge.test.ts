import { describe, expect, it } from 'vitest';
import { readStoreKey } from '../../../src/main/storage/store-key.js';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import { createInMemoryKeychainTestDouble } from './auth-doubles.js';
import {
  briefing,
  memoryLogger,
  openLocalDb,
  seedLocalBriefings,
  storeLocation,
  tempDir,
} from './fixtures.js';
import { ciphertextProbe, decryptedEntries, filesContaining } from './raw-store.js';

const USER = 'alex.morgan';
const PHRASE = 'Operation Quiet Lantern';

describe('purging unshared briefings from disk', () => {
  it('removes a deleted briefing and its attachment from the raw LevelDB files, keeping the rest', async () => {
    const dir = await tempDir('purge');
    const { logger } = memoryLogger();
    // The keychain is a port here; tests/integration/device covers the real one.
    const keychain = createInMemoryKeychainTestDouble();
    try {
      await seedLocalBriefings(
        dir.path,
        USER,
        [
          {
            ...briefing('secret', { bodyHtml: `<p>${PHRASE} begins at dawn.</p>` }),
            _attachments: {
              'plan.txt': {
                content_type: 'text/plain',
                data: Buffer.from(`${PHRASE} annex`).toString('base64'),
              },
            },
          },
          briefing('kept', { bodyHtml: '<p>Budget estimates</p>' }),
        ],
        keychain,
      );
      const paths = await storeLocation(dir.path, USER, keychain);
      const dataKey = await readStoreKey(keychain, USER);
      if (!dataKey) throw new Error('the seeded store has no key');

      // Control, in the decrypted view: the phrase is on disk in two sealed values (body and
      // attachment), and a search of the raw files finds those values. The files never hold the
      // phrase itself (encrypted at rest), so only the sealed values can show the purge worked.
      const sealedWithPhrase = (await decryptedEntries(paths.briefings, dataKey, 'briefings'))
        .filter((entry) => entry.plain.includes(PHRASE))
        .map((entry) => ciphertextProbe(entry.value));
      expect(sealedWithPhrase).toHaveLength(2);
      for (const probe of sealedWithPhrase) {
        expect(await filesContaining(paths.briefings, probe)).not.toEqual([]);
      }
      expect(await filesContaining(paths.briefings, PHRASE)).toEqual([]);

      // The unshare arrives as a deletion, as replication writes it.
      const db = await openLocalDb(dir.path, USER, keychain, 'briefings');
      await db.remove(await db.get('briefing:secret'));
      await db.close();

      const store = await openUserStore({ dataDir: dir.path, userId: USER, keychain, logger });
      await store.purgeDeleted();

      // The store is usable afterwards and still holds the other briefing.
      expect((await store.listBriefingDocs()).map((doc) => doc._id)).toEqual(['briefing:kept']);
      expect(await store.getBriefingDoc('briefing:secret')).toBeNull();
      for (const probe of sealedWithPhrase) {
        expect(await filesContaining(paths.briefings, probe)).toEqual([]);
      }
      await store.close();
      for (const probe of sealedWithPhrase) {
        expect(await filesContaining(dir.path, probe)).toEqual([]);
      }
      const after = await decryptedEntries(paths.briefings, dataKey, 'briefings');
      expect(after.filter((entry) => entry.plain.includes(PHRASE))).toEqual([]);
      expect(after.filter((entry) => entry.plain.includes('Budget estimates'))).toHaveLength(1);
    } finally {
      await dir.remove();
    }
  });

  it('keeps the sync state and readers working across a purge', async () => {
    const dir = await tempDir('purge-state');
    const { logger } = memoryLogger();
    try {
      const keychain = createInMemoryKeychainTestDouble();
      await seedLocalBriefings(dir.path, USER, [briefing('a'), briefing('b')], keychain);
      const store = await openUserStore({ dataDir: dir.path, userId: USER, keychain, logger });
      await store.writeSyncState({ lastSyncedAt: '2025-02-02T00:00:00.000Z', pushedSeq: 3 });
      const changes: string[] = [];
      store.onBriefingsChange((batch) => changes.push(...batch.map((c) => c.id)));
      const reads = Promise.all([
        store.listBriefingDocs(),
        store.purgeDeleted(),
        store.listBriefingDocs(),
      ]);
      const [before, , after] = await reads;
      expect(before).toHaveLength(2);
      expect(after).toHaveLength(2);
      expect(await store.readSyncState()).toEqual({
        lastSyncedAt: '2025-02-02T00:00:00.000Z',
        pushedSeq: 3,
      });
      await store.close();
    } finally {
      await dir.remove();
    }
  });
});
