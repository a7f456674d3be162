// The device's classification ceiling in its store, with the real encrypted store: the pull
// refuses to store what is above it (a pull from a CouchDB-protocol server on LevelDB standing
// in for the broker), a lowered ceiling takes what the store holds above it off the disk, and a
// raised one reads the feed afresh so that what was refused arrives.
import { describe, expect, it } from 'vitest';
import { storeCeiling } from '../../../src/main/policy/store-ceiling.js';
import { readStoreKey } from '../../../src/main/storage/store-key.js';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import { createInMemoryKeychainTestDouble } from './auth-doubles.js';
import { pullOnce, startCouchSource } from './couch-source.js';
import { briefing, memoryLogger, seedLocalBriefings, storeLocation, tempDir } from './fixtures.js';
import { decryptedEntries } from './raw-store.js';

const USER = 'alex.morgan';
const CANARY = 'Operation Quiet Lantern';

describe("the device's classification ceiling in its store", () => {
  it('refuses to store what is above it, and stores it once the ceiling is raised', async () => {
    const dir = await tempDir('ceiling-pull');
    const { logger, records } = memoryLogger();
    const keychain = createInMemoryKeychainTestDouble();
    const couch = await startCouchSource(`${dir.path}/server`);
    const source = couch.url;
    try {
      // The one the device may hold comes last in the feed, so the checkpoint passes the others.
      await couch
        .db('briefings')
        .bulkDocs([
          briefing('secret', { classification: 'SECRET', bodyHtml: `<p>${CANARY}</p>` }),
          briefing('top', { classification: 'TOP SECRET' }),
          briefing('official', { classification: 'OFFICIAL' }),
        ]);
      const lowered = storeCeiling('PROTECTED', logger);
      let store = await openUserStore({
        dataDir: dir.path,
        userId: USER,
        keychain,
        logger,
        acceptBriefing: lowered?.filter,
      });
      await pullOnce(store, source);
      expect((await store.listBriefingDocs()).map((d) => d._id)).toEqual(['briefing:official']);
      expect(JSON.stringify(records)).toContain("refused to store a briefing above this device's");
      await store.close();
      const key = await readStoreKey(keychain, USER);
      const entries = await decryptedEntries(
        (await storeLocation(dir.path, USER, keychain)).briefings,
        key!,
        'briefings',
      );
      expect(entries.filter((e) => e.plain.includes(CANARY))).toEqual([]);

      // Raised: the feed is read afresh and what the new ceiling allows arrives.
      store = await openUserStore({
        dataDir: dir.path,
        userId: USER,
        keychain,
        logger,
        acceptBriefing: storeCeiling('SECRET', logger)?.filter,
      });
      await pullOnce(store, source);
      expect((await store.listBriefingDocs()).map((d) => d._id).sort()).toEqual([
        'briefing:official',
        'briefing:secret',
      ]);
      await store.close();
      store = await openUserStore({ dataDir: dir.path, userId: USER, keychain, logger });
      await pullOnce(store, source);
      expect((await store.listBriefingDocs()).map((d) => d._id).sort()).toEqual([
        'briefing:official',
        'briefing:secret',
        'briefing:top',
      ]);
      await store.close();
    } finally {
      await couch.close();
      await dir.remove();
    }
  });

  it('purges from the disk what a lowered ceiling no longer allows, keeping the rest', async () => {
    const dir = await tempDir('ceiling-purge');
    const { logger } = memoryLogger();
    const keychain = createInMemoryKeychainTestDouble();
    try {
      await seedLocalBriefings(
        dir.path,
        USER,
        [
          briefing('official', { classification: 'OFFICIAL' }),
          briefing('protected', { classification: 'PROTECTED' }),
          briefing('top', { classification: 'TOP SECRET', bodyHtml: `<p>${CANARY}</p>` }),
        ],
        keychain,
      );
      const store = await openUserStore({ dataDir: dir.path, userId: USER, keychain, logger });
      const ceiling = storeCeiling('PROTECTED', logger);
      expect(await ceiling?.purge(store)).toBe(1);
      expect((await store.listBriefingDocs()).map((d) => d._id).sort()).toEqual([
        'briefing:official',
        'briefing:protected',
      ]);
      expect(await ceiling?.purge(store)).toBe(0);
      await store.close();
      const key = await readStoreKey(keychain, USER);
      const entries = await decryptedEntries(
        (await storeLocation(dir.path, USER, keychain)).briefings,
        key!,
        'briefings',
      );
      expect(entries.filter((e) => e.plain.includes(CANARY))).toEqual([]);
    } finally {
      await dir.remove();
    }
  });

  it('filters nothing at the top marking', () => {
    expect(storeCeiling('TOP SECRET', memoryLogger().logger)).toBeNull();
  });
});
