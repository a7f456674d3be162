// How the device names and moves a person's store folder (storage/store-folder.ts), on real
// LevelDB files with the Keychain port on a Map (the real keychain:
// tests/integration/device/store-folder.test.ts).
import { existsSync } from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDeviceServices } from '../../../src/main/composition-root.js';
import {
  findUserStoreFolder,
  legacyStoreFolder,
  moveLegacyStoreFolders,
  prepareUserStoreFolder,
} from '../../../src/main/storage/store-folder.js';
import { openUserStore, openUserStoreInFolder } from '../../../src/main/storage/store.pouch.js';
import {
  ALEX,
  SAM,
  createInMemoryKeychainTestDouble,
  createScriptedIdentity,
  until,
} from './auth-doubles.js';
import { memoryLogger, tempDir } from './fixtures.js';

// The file system refusing the rename (as Windows does while a file in the folder is still open)
// cannot be produced here, where tests run as root: `rename` fails on request, faked.
const renameRefusal = vi.hoisted(() => ({ error: null as NodeJS.ErrnoException | null }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  return {
    ...actual,
    rename: (from: string, to: string) =>
      renameRefusal.error ? Promise.reject(renameRefusal.error) : actual.rename(from, to),
  };
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  renameRefusal.error = null;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dataDir(): Promise<string> {
  const dir = await tempDir('store-folder-unit');
  cleanups.push(dir.remove);
  return dir.path;
}

/** A store the previous release made for `userId`, holding one read receipt. */
async function previousReleaseStore(
  dir: string,
  userId: string,
  keychain: ReturnType<typeof createInMemoryKeychainTestDouble>,
): Promise<void> {
  const store = await openUserStoreInFolder(legacyStoreFolder(dir, userId), {
    userId,
    keychain,
    logger: memoryLogger().logger,
  });
  await store.createReturnDoc(`read-receipt:${userId}`, { type: 'read-receipt', author: userId });
  await store.close();
}

describe('store folder names', () => {
  it('are the same for one person on every start, differ between people and between installs, and hide the id', async () => {
    const keychain = createInMemoryKeychainTestDouble();
    const dir = await dataDir();
    const alex = await prepareUserStoreFolder({ dataDir: dir, userId: ALEX.userId, keychain });
    expect(await prepareUserStoreFolder({ dataDir: dir, userId: ALEX.userId, keychain })).toBe(
      alex,
    );
    const sam = await prepareUserStoreFolder({ dataDir: dir, userId: SAM.userId, keychain });
    expect(sam).not.toBe(alex);
    const otherInstall = await prepareUserStoreFolder({
      dataDir: dir,
      userId: ALEX.userId,
      keychain: createInMemoryKeychainTestDouble(),
    });
    expect(otherInstall).not.toBe(alex);
    for (const folder of [alex, sam, otherInstall]) {
      expect(folder).toMatch(/\/users\/s-[0-9a-f]{32}$/);
      expect(folder).not.toContain(Buffer.from(ALEX.userId).toString('hex'));
    }
  });

  it('are not looked up into being: finding a store makes no key and moves nothing', async () => {
    const keychain = createInMemoryKeychainTestDouble();
    const dir = await dataDir();
    expect(await findUserStoreFolder({ dataDir: dir, userId: ALEX.userId, keychain })).toBeNull();
    expect(keychain.entries.size).toBe(0);
    await previousReleaseStore(dir, ALEX.userId, keychain);
    const keys = keychain.entries.size;
    expect(await findUserStoreFolder({ dataDir: dir, userId: ALEX.userId, keychain })).toBe(
      legacyStoreFolder(dir, ALEX.userId),
    );
    expect(keychain.entries.size).toBe(keys);
  });
});

describe('moving the previous release’s store folders', () => {
  it('happens when the device starts, for everyone with a store here, before anyone signs in', async () => {
    const keychain = createInMemoryKeychainTestDouble();
    const dir = await dataDir();
    await previousReleaseStore(dir, ALEX.userId, keychain);
    await previousReleaseStore(dir, SAM.userId, keychain);
    // Not an earlier release's name: left alone.
    await mkdir(join(dir, 'users', 'notes'));

    const { identity, script } = createScriptedIdentity({ keychain, now: () => Date.now() });
    const services = await createDeviceServices({
      dataDir: dir,
      brokerUrl: 'http://127.0.0.1:9',
      appVersion: '1.0.0',
      auth: { identity, keychain, maxOfflineDays: 14 },
      logger: memoryLogger().logger,
    });
    cleanups.push(() => services.stop());
    const names = (await readdir(join(dir, 'users'))).sort();
    expect(names.filter((name) => name !== 'notes')).toHaveLength(2);
    expect(names.filter((name) => name.startsWith('s-'))).toHaveLength(2);
    expect(names).toContain('notes');

    services.start();
    await services.dispatch('session:sign-in', {});
    await until('the sign-in page', () => script.pending !== null);
    script.pending?.complete(SAM);
    await until('signed in with the store open', () => services.workspace() !== null);
    const folder = services.workspace()!.location;
    await services.stop();
    const store = await openUserStoreInFolder(folder, {
      userId: SAM.userId,
      keychain,
      logger: memoryLogger().logger,
    });
    cleanups.push(() => store.close());
    expect((await store.listReturnDocs()).map((doc) => doc._id)).toEqual([
      `read-receipt:${SAM.userId}`,
    ]);
  });

  it('keeps a store the file system would not move where it is, readable, and moves it next time', async () => {
    const keychain = createInMemoryKeychainTestDouble();
    const dir = await dataDir();
    const logs = memoryLogger();
    await previousReleaseStore(dir, ALEX.userId, keychain);
    renameRefusal.error = Object.assign(new Error('EPERM: operation not permitted, rename'), {
      code: 'EPERM',
    });
    expect(await moveLegacyStoreFolders({ dataDir: dir, keychain, logger: logs.logger })).toBe(0);
    const store = await openUserStore({
      dataDir: dir,
      userId: ALEX.userId,
      keychain,
      logger: logs.logger,
    });
    expect(store.location).toBe(legacyStoreFolder(dir, ALEX.userId));
    expect((await store.listReturnDocs()).map((doc) => doc._id)).toEqual([
      `read-receipt:${ALEX.userId}`,
    ]);
    await store.close();
    expect(logs.records.map((r) => r.message)).toContain(
      'could not move a local store to its keyed folder name; it stays where it is',
    );

    renameRefusal.error = null;
    expect(await moveLegacyStoreFolders({ dataDir: dir, keychain, logger: logs.logger })).toBe(1);
    expect(existsSync(legacyStoreFolder(dir, ALEX.userId))).toBe(false);
    const moved = await openUserStore({
      dataDir: dir,
      userId: ALEX.userId,
      keychain,
      logger: logs.logger,
    });
    expect((await moved.listReturnDocs()).map((doc) => doc._id)).toEqual([
      `read-receipt:${ALEX.userId}`,
    ]);
    await moved.close();
  });
});
