// The name of a person's store folder on disk: a keyed hash of the user id with the key in the
// real OS keychain (gnome-keyring), on real LevelDB files. A store written by the previous
// release (folder named by the hex of the user id) moves to its keyed name at the first start of
// this one with everything in it; erasing the store removes the folder and its key.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rename } from 'node:fs/promises';
import { join, relative } from 'node:path';
import keytar from 'keytar';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeytarKeychain } from '../../../src/main/secrets/keychain.keytar.js';
import { keychainServiceFor } from '../../../src/main/secrets/keychain-service.js';
import type { Keychain } from '../../../src/main/secrets/types.js';
import {
  findUserStoreFolder,
  legacyStoreFolder,
  moveLegacyStoreFolders,
  storeDatabasePaths,
} from '../../../src/main/storage/store-folder.js';
import { deleteStoreKey } from '../../../src/main/storage/store-key.js';
import {
  countUnsentReturnsOnDisk,
  discardUserStore,
  openUserStore,
  openUserStoreInFolder,
} from '../../../src/main/storage/store.pouch.js';
import type { UserStore } from '../../../src/main/storage/types.js';
import { briefing, memoryLogger, openLocalDbAt, tempDir } from '../../unit/device/fixtures.js';

const USER = 'alex.morgan@example.gov';
const HEX = Buffer.from(USER, 'utf8').toString('hex');
const PDF = Buffer.from(`%PDF-1.4 annex ${randomUUID()}`);

type Fixture = {
  readonly dataDir: string;
  readonly keychain: Keychain;
  readonly service: string;
  readonly logs: ReturnType<typeof memoryLogger>;
};
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fixture(): Promise<Fixture> {
  const dir = await tempDir('store-folder');
  const service = keychainServiceFor(dir.path);
  cleanups.push(async () => {
    for (const { account } of await keytar.findCredentials(service)) {
      await keytar.deletePassword(service, account);
    }
    await dir.remove();
  });
  return {
    dataDir: dir.path,
    keychain: createKeytarKeychain({ service }),
    service,
    logs: memoryLogger(),
  };
}

/**
 * A store as the previous release left it: `users/<hex of the user id>/`, a synced briefing with
 * its PDF, a read receipt the server confirmed and one it has not, the sync state and watermark.
 */
async function previousReleaseStore(f: Fixture): Promise<void> {
  const folder = legacyStoreFolder(f.dataDir, USER);
  const db = await openLocalDbAt(storeDatabasePaths(folder).briefings, {
    userId: USER,
    keychain: f.keychain,
    database: 'briefings',
  });
  try {
    await db.put({
      ...briefing('BRF-000007', {
        attachments: [{ name: 'annex.pdf', contentType: 'application/pdf', size: PDF.length }],
      }),
      _attachments: {
        'annex.pdf': { content_type: 'application/pdf', data: PDF.toString('base64') },
      },
    });
    await db.put(briefing('BRF-000008'));
  } finally {
    await db.close();
  }
  const store = await openUserStoreInFolder(folder, {
    userId: USER,
    keychain: f.keychain,
    logger: f.logs.logger,
  });
  try {
    await store.createReturnDoc('read-receipt:confirmed', receipt('BRF-000007'));
    await store.writeSyncState({
      lastSyncedAt: '2025-03-04T10:00:00.000Z',
      pushedSeq: await store.returnsUpdateSeq(),
    });
    await store.createReturnDoc('read-receipt:unsent', receipt('BRF-000008'));
  } finally {
    await store.close();
  }
}

function receipt(sorId: string) {
  return {
    type: 'read-receipt',
    briefingId: `briefing:${sorId}`,
    author: USER,
    readAt: '2025-03-04T09:00:00.000Z',
  };
}

/** What a person sees of their store, and what sync relies on. */
async function contentOf(store: UserStore) {
  const attachment = await store.getBriefingAttachment('briefing:BRF-000007', 'annex.pdf');
  return {
    briefings: (await store.listBriefingDocs()).map((doc) => ({ ...doc })),
    attachment: attachment?.data.toString('base64'),
    returns: (await store.listReturnDocs()).map((doc) => ({ ...doc })),
    syncState: await store.readSyncState(),
    unsentSinceWatermark: await store.countReturnsSince((await store.readSyncState()).pushedSeq),
  };
}

const open = (f: Fixture): Promise<UserStore> =>
  openUserStore({ dataDir: f.dataDir, userId: USER, keychain: f.keychain, logger: f.logs.logger });

/** Every path under the data folder, relative to it. */
async function pathsUnder(dataDir: string): Promise<string[]> {
  const entries = await readdir(dataDir, { recursive: true });
  return entries.map((entry) => relative(dataDir, join(dataDir, entry)));
}

/** The content as the previous release would have read it, for the comparison. */
async function previousReleaseContent(f: Fixture) {
  const store = await openUserStoreInFolder(legacyStoreFolder(f.dataDir, USER), {
    userId: USER,
    keychain: f.keychain,
    logger: f.logs.logger,
  });
  try {
    return await contentOf(store);
  } finally {
    await store.close();
  }
}

describe('the store folder’s keyed name', () => {
  it('moves a store of the previous release at the first start, with everything in it, and leaves no folder that names the person', async () => {
    const f = await fixture();
    await previousReleaseStore(f);
    const before = await previousReleaseContent(f);
    expect(before.briefings).toHaveLength(2);
    expect(before.attachment).toBe(PDF.toString('base64'));
    expect(before.unsentSinceWatermark).toBe(1);
    const unsentOnDisk = await countUnsentReturnsOnDisk({ ...f, userId: USER });
    expect(unsentOnDisk).toBeGreaterThanOrEqual(1);

    // The first start of this version: every old folder is renamed before any store opens.
    expect(await moveLegacyStoreFolders({ ...f, logger: f.logs.logger })).toBe(1);
    expect(existsSync(legacyStoreFolder(f.dataDir, USER))).toBe(false);
    const [name, ...others] = await readdir(join(f.dataDir, 'users'));
    expect(others).toEqual([]);
    expect(name).toMatch(/^s-[0-9a-f]{32}$/);
    for (const path of await pathsUnder(f.dataDir)) {
      expect(path).not.toContain(HEX);
      expect(path).not.toContain(USER);
    }

    const store = await open(f);
    try {
      expect(store.location).toBe(join(f.dataDir, 'users', name!));
      expect(await contentOf(store)).toEqual(before);
    } finally {
      await store.close();
    }
    expect(await countUnsentReturnsOnDisk({ ...f, userId: USER })).toBe(unsentOnDisk);
    // Nothing of the move names the person in the log either.
    expect(JSON.stringify(f.logs.records)).not.toContain(USER);
    expect(JSON.stringify(f.logs.records)).not.toContain(HEX);

    // Later starts leave it where it is, under the same name.
    expect(await moveLegacyStoreFolders({ ...f, logger: f.logs.logger })).toBe(0);
    expect(await readdir(join(f.dataDir, 'users'))).toEqual([name]);
  });

  it('loses nothing when the start stopped after the folder key was made and before the rename', async () => {
    const f = await fixture();
    await previousReleaseStore(f);
    const before = await previousReleaseContent(f);
    await moveLegacyStoreFolders({ ...f, logger: f.logs.logger });
    const keyed = await findUserStoreFolder({ ...f, userId: USER });
    if (!keyed) throw new Error('no keyed folder');
    // The state a crash right before the rename leaves: the key in the keychain, the old folder.
    await rename(keyed, legacyStoreFolder(f.dataDir, USER));
    expect(await findUserStoreFolder({ ...f, userId: USER })).toBe(
      legacyStoreFolder(f.dataDir, USER),
    );

    // The person opening their store (with or without the start-up move first) gets it all back.
    const store = await open(f);
    try {
      expect(store.location).toBe(keyed);
      expect(await contentOf(store)).toEqual(before);
    } finally {
      await store.close();
    }
    expect(existsSync(legacyStoreFolder(f.dataDir, USER))).toBe(false);
  });

  it('erases the folder and the key that names it with the store, and a new store gets a new name', async () => {
    const f = await fixture();
    const first = await open(f);
    await first.createReturnDoc('read-receipt:1', receipt('BRF-000001'));
    const firstLocation = first.location;
    await first.close();
    const accounts = async () =>
      (await keytar.findCredentials(f.service)).map((entry) => entry.account).sort();
    expect((await accounts()).map((account) => account.split(':')[0])).toEqual([
      'store-folder-key',
      'store-key',
    ]);

    await discardUserStore({ ...f, userId: USER });
    expect(await accounts()).toEqual([]);
    expect(await readdir(join(f.dataDir, 'users'))).toEqual([]);

    const second = await open(f);
    try {
      expect(second.location).not.toBe(firstLocation);
      expect(await second.listReturnDocs()).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('finishes an erase that stopped after the data key was deleted, and erases an old folder left beside the new', async () => {
    const f = await fixture();
    const store = await open(f);
    const location = store.location;
    await store.close();
    // An earlier release ran again after this one and made a folder under the old name.
    await previousReleaseStore(f);
    expect(await readdir(join(f.dataDir, 'users'))).toHaveLength(2);
    const reopened = await open(f);
    expect(reopened.location).toBe(location);
    await reopened.close();

    // The data key went first, then the erase stopped: the folders are still findable ...
    await deleteStoreKey(f.keychain, USER);
    expect(await findUserStoreFolder({ ...f, userId: USER })).toBe(location);
    // ... and the next erase removes both and the folder key.
    await discardUserStore({ ...f, userId: USER });
    expect(await readdir(join(f.dataDir, 'users'))).toEqual([]);
    expect(await keytar.findCredentials(f.service)).toEqual([]);
  });
});
