// The data key of a person's local store: 32 random bytes made on first use and kept only in the
// OS keychain (through the Keychain port), never on disk, in logs or in the renderer. Deleting
// it makes the store's files unreadable (crypto-shredding; `discardUserStore` in store.pouch.ts).
import { createHmac, randomBytes } from 'node:crypto';
import type { Keychain } from '../secrets/types.js';
import { KeychainError, storeKeySecretName } from '../secrets/types.js';
import { STORE_KEY_BYTES } from './store-cipher.js';

const VALUE_PREFIX = 'attache-store-key:v1:';

/** The key, or null when the keychain has none (or holds something that is not a key). */
export async function readStoreKey(keychain: Keychain, userId: string): Promise<Buffer | null> {
  const value = await keychain.get(storeKeySecretName(userId));
  if (value === null || !value.startsWith(VALUE_PREFIX)) return null;
  const key = Buffer.from(value.slice(VALUE_PREFIX.length), 'base64');
  return key.length === STORE_KEY_BYTES ? key : null;
}

export async function createStoreKey(keychain: Keychain, userId: string): Promise<Buffer> {
  const key = randomBytes(STORE_KEY_BYTES);
  await keychain.set(storeKeySecretName(userId), VALUE_PREFIX + key.toString('base64'));
  // Read back before any data depends on it: a keychain that accepts a write it cannot return
  // would otherwise leave behind a store that nobody can open.
  const stored = await readStoreKey(keychain, userId);
  if (!stored?.equals(key)) {
    throw new KeychainError(
      'The system keychain did not keep the key that protects your briefings on this device. Make sure the keychain is unlocked, then sign in again.',
    );
  }
  return key;
}

/** A short, non-secret id of a key (to tell keys apart in caches), not derivable into it. */
export function storeKeyId(key: Buffer): string {
  return createHmac('sha256', new Uint8Array(key.buffer, key.byteOffset, key.byteLength))
    .update('attache-store-key-id')
    .digest('hex')
    .slice(0, 16);
}

export async function deleteStoreKey(keychain: Keychain, userId: string): Promise<void> {
  await keychain.delete(storeKeySecretName(userId));
}
