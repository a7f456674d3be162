// Where a person's local store lives: `<dataDir>/users/s-<name>/`, the name an HMAC-SHA256 of
// the user id under a random key of that person kept only in the OS keychain (the Keychain port).
// Earlier releases named the folder by the hex of the user id, which told anyone holding the disk
// whose briefings these were; this name tells them nothing, and cannot be tested against a
// candidate id without the keychain.
//
// The key is per person, not per install: it is made with the person's store and erased with it
// (sign-out, remote wipe), after the data key and the files, so nothing of the person is left in
// the keychain either, and a person's next store gets a new name. Erased last so that an erase
// interrupted before the files are gone leaves the folder findable, and the next erase finishes
// it. (A per-install key would outlive every person and need its own lifecycle for no gain: it
// would name nobody's store once theirs is erased.)
//
// Existing folders move at the first start of this version (`moveLegacyStoreFolders`) and, for
// the person signing in, again when their store opens. The move is one rename within `users/`,
// which is atomic: a crash leaves the old folder or the new, never half of each; the key is made
// (and read back) before it, so a crash in between finds the key and renames next time.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { errorFields } from '../logging/logger.js';
import type { Keychain, StoreFolderKeySecretName } from '../secrets/types.js';
import { KeychainError } from '../secrets/types.js';

export const USERS_FOLDER = 'users';
const NAME_PREFIX = 's-';
const KEY_BYTES = 32;
const VALUE_PREFIX = 'attache-store-folder-key:v1:';

export type StoreFolderOptions = {
  readonly dataDir: string;
  readonly userId: string;
  readonly keychain: Keychain;
};

export type StorePaths = { readonly briefings: string; readonly returns: string };

export function storeDatabasePaths(folder: string): StorePaths {
  return { briefings: join(folder, 'briefings'), returns: join(folder, 'returns') };
}

/** Named by a digest of the user id, like the store's data key (secrets/types.ts). */
export function storeFolderKeySecretName(userId: string): StoreFolderKeySecretName {
  return `store-folder-key:${createHash('sha256').update(userId, 'utf8').digest('hex').slice(0, 32)}`;
}

/** The folder name earlier releases used; still read, to move it. */
export function legacyStoreFolder(dataDir: string, userId: string): string {
  return join(dataDir, USERS_FOLDER, Buffer.from(userId, 'utf8').toString('hex'));
}

/** The user id a folder name of an earlier release stands for, or null for any other name. */
function legacyUserId(name: string): string | null {
  if (!/^(?:[0-9a-f]{2})+$/.test(name)) return null;
  const userId = Buffer.from(name, 'hex').toString('utf8');
  // Only names the earlier release could have written: hex of a well-formed UTF-8 string.
  return Buffer.from(userId, 'utf8').toString('hex') === name ? userId : null;
}

function folderFor(dataDir: string, userId: string, key: Buffer): string {
  const mac = createHmac('sha256', new Uint8Array(key.buffer, key.byteOffset, key.byteLength))
    .update(userId, 'utf8')
    .digest('hex')
    .slice(0, 32);
  return join(dataDir, USERS_FOLDER, NAME_PREFIX + mac);
}

async function readKey(keychain: Keychain, userId: string): Promise<Buffer | null> {
  const value = await keychain.get(storeFolderKeySecretName(userId));
  if (value === null || !value.startsWith(VALUE_PREFIX)) return null;
  const key = Buffer.from(value.slice(VALUE_PREFIX.length), 'base64');
  return key.length === KEY_BYTES ? key : null;
}

async function createKey(keychain: Keychain, userId: string): Promise<Buffer> {
  const key = randomBytes(KEY_BYTES);
  await keychain.set(storeFolderKeySecretName(userId), VALUE_PREFIX + key.toString('base64'));
  // Read back before a folder is named by it: a keychain that drops the key would leave a store
  // nobody can find again.
  if (!(await readKey(keychain, userId))?.equals(key)) {
    throw new KeychainError(
      'The system keychain did not keep the key that names your briefings folder on this device. Make sure the keychain is unlocked, then sign in again.',
    );
  }
  return key;
}

const errnoCode = (error: unknown): string | undefined =>
  (error as NodeJS.ErrnoException | null)?.code;

/**
 * Moves an earlier release's folder to `target`. Never over an existing folder (both exist only
 * if an earlier release ran again after this one: the newer one is kept, the other left for the
 * next erase). A move the file system refuses leaves the store where it is, still used.
 */
async function moveLegacy(
  legacy: string,
  target: string,
  logger: Logger | undefined,
): Promise<string> {
  if (!existsSync(legacy)) return target;
  if (existsSync(target)) {
    logger?.warn('a store folder of an earlier release is left beside the current one');
    return target;
  }
  try {
    await rename(legacy, target);
    logger?.info('moved a local store to its keyed folder name');
    return target;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' && !existsSync(legacy)) return target;
    logger?.warn('could not move a local store to its keyed folder name; it stays where it is', {
      ...errorFields(error),
    });
    return legacy;
  }
}

/**
 * The person's store folder, to open or create their store in: their folder key is made if they
 * have none, and a folder of an earlier release is moved to its keyed name first.
 */
export async function prepareUserStoreFolder(
  options: StoreFolderOptions & { readonly logger?: Logger },
): Promise<string> {
  const { dataDir, userId, keychain } = options;
  const key = (await readKey(keychain, userId)) ?? (await createKey(keychain, userId));
  return moveLegacy(
    legacyStoreFolder(dataDir, userId),
    folderFor(dataDir, userId, key),
    options.logger,
  );
}

/** The person's existing store folder, or null; changes nothing (no key made, nothing moved). */
export async function findUserStoreFolder(options: StoreFolderOptions): Promise<string | null> {
  const { dataDir, userId, keychain } = options;
  const key = await readKey(keychain, userId);
  const keyed = key ? folderFor(dataDir, userId, key) : null;
  if (keyed && existsSync(keyed)) return keyed;
  const legacy = legacyStoreFolder(dataDir, userId);
  return existsSync(legacy) ? legacy : null;
}

/**
 * Removes the person's store folder (under either name), then their folder key. The store must
 * be closed, and its data key deleted first by the caller (crypto-shredding).
 */
export async function removeUserStoreFolder(options: StoreFolderOptions): Promise<void> {
  const { dataDir, userId, keychain } = options;
  const key = await readKey(keychain, userId);
  const folders = [legacyStoreFolder(dataDir, userId)];
  if (key) folders.unshift(folderFor(dataDir, userId, key));
  for (const folder of folders) {
    // Retries: on Windows a file another process has just closed can still refuse deletion.
    await rm(folder, { recursive: true, force: true, maxRetries: 3 });
  }
  await keychain.delete(storeFolderKeySecretName(userId));
}

/**
 * Moves every store folder an earlier release named by the hex of its user id to its keyed name.
 * Run at start-up, before any store opens. Returns how many moved.
 */
export async function moveLegacyStoreFolders(options: {
  readonly dataDir: string;
  readonly keychain: Keychain;
  readonly logger: Logger;
}): Promise<number> {
  const { dataDir, keychain, logger } = options;
  let names: string[];
  try {
    names = await readdir(join(dataDir, USERS_FOLDER));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 0;
    throw error;
  }
  let moved = 0;
  for (const name of names) {
    const userId = legacyUserId(name);
    if (userId === null) continue;
    await prepareUserStoreFolder({ dataDir, userId, keychain, logger });
    if (!existsSync(join(dataDir, USERS_FOLDER, name))) moved += 1;
  }
  return moved;
}
