// The keychain adapter against the real OS keychain: gnome-keyring's Secret Service in the
// D-Bus session that scripts/test.sh starts (its keyring files in a temporary folder).
import { randomUUID } from 'node:crypto';
import keytar from 'keytar';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_PART_BYTES, createKeytarKeychain } from '../../../src/main/secrets/keychain.keytar.js';
import { keychainServiceFor } from '../../../src/main/secrets/keychain-service.js';
import { SECRET_NAMES } from '../../../src/main/secrets/types.js';

const services: string[] = [];
function freshService(): string {
  const service = keychainServiceFor(`/tmp/attache-keychain-test-${randomUUID()}`);
  services.push(service);
  return service;
}

afterEach(async () => {
  for (const service of services.splice(0)) {
    for (const { account } of await keytar.findCredentials(service)) {
      await keytar.deletePassword(service, account);
    }
  }
});

describe('keychain on the real OS keychain (gnome-keyring)', () => {
  it('gets what was set, answers null for what is not there, and deletes', async () => {
    const service = freshService();
    const keychain = createKeytarKeychain({ service });
    expect(await keychain.get(SECRET_NAMES.session)).toBeNull();
    await keychain.set(SECRET_NAMES.session, '{"user":"alex.morgan"}');
    expect(await keychain.get(SECRET_NAMES.session)).toBe('{"user":"alex.morgan"}');
    // Written where any keytar client of the OS keychain finds it.
    expect(await keytar.getPassword(service, SECRET_NAMES.session)).toBe('{"user":"alex.morgan"}');
    await keychain.delete(SECRET_NAMES.session);
    await keychain.delete(SECRET_NAMES.session);
    expect(await keychain.get(SECRET_NAMES.session)).toBeNull();
    expect(await keytar.findCredentials(service)).toEqual([]);
  });

  it('stores a value too large for one Windows credential in parts, and removes every part', async () => {
    const service = freshService();
    const keychain = createKeytarKeychain({ service });
    const big = JSON.stringify({ cache: 'é'.repeat(3_000) + 'x'.repeat(9_000), name: 'Zoë' });
    await keychain.set(SECRET_NAMES.msalTokenCache, big);
    expect(await keychain.get(SECRET_NAMES.msalTokenCache)).toBe(big);
    const entries = await keytar.findCredentials(service);
    expect(entries.length).toBeGreaterThan(5);
    for (const entry of entries) {
      expect(Buffer.byteLength(entry.password, 'utf8')).toBeLessThanOrEqual(MAX_PART_BYTES);
    }

    // Replacing it leaves no orphaned parts of the old value behind.
    const smaller = 'y'.repeat(5_000);
    await keychain.set(SECRET_NAMES.msalTokenCache, smaller);
    expect(await keychain.get(SECRET_NAMES.msalTokenCache)).toBe(smaller);
    expect((await keytar.findCredentials(service)).length).toBe(1 + 3);

    await keychain.delete(SECRET_NAMES.msalTokenCache);
    expect(await keytar.findCredentials(service)).toEqual([]);
  });

  it('keeps two data folders apart', async () => {
    const a = createKeytarKeychain({ service: freshService() });
    const b = createKeytarKeychain({ service: freshService() });
    await a.set(SECRET_NAMES.session, 'a');
    expect(await b.get(SECRET_NAMES.session)).toBeNull();
    await b.delete(SECRET_NAMES.session);
    expect(await a.get(SECRET_NAMES.session)).toBe('a');
  });
});
