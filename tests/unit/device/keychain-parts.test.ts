// The keytar adapter's split of long values into parts, on a Map standing in for the OS (the
// real keychain is covered in tests/integration/device/keychain.test.ts). Here: what a crash in
// the middle of a write leaves behind, and the keychain being unreachable.
import { describe, expect, it } from 'vitest';
import type { KeytarLike } from '../../../src/main/secrets/keychain.keytar.js';
import { createKeytarKeychain, splitUtf8 } from '../../../src/main/secrets/keychain.keytar.js';
import { KeychainError, SECRET_NAMES } from '../../../src/main/secrets/types.js';

function fakeOs(options: { failOnWrite?: (account: string, count: number) => boolean } = {}) {
  const entries = new Map<string, string>();
  let writes = 0;
  const os: KeytarLike = {
    getPassword: (_service, account) => Promise.resolve(entries.get(account) ?? null),
    setPassword: (_service, account, password) => {
      writes += 1;
      if (options.failOnWrite?.(account, writes)) return Promise.reject(new Error('crash'));
      entries.set(account, password);
      return Promise.resolve();
    },
    deletePassword: (_service, account) => Promise.resolve(entries.delete(account)),
  };
  return { os, entries };
}

describe('keychain parts', () => {
  it('splits on character boundaries within the byte budget', () => {
    const parts = splitUtf8('aé€😀'.repeat(100), 7);
    expect(parts.join('')).toBe('aé€😀'.repeat(100));
    for (const part of parts) expect(Buffer.byteLength(part)).toBeLessThanOrEqual(7);
  });

  it('keeps the previous value readable when a write of parts is cut off halfway', async () => {
    let failing = false;
    const { os } = fakeOs({ failOnWrite: (account) => failing && account.includes('#') });
    const keychain = createKeytarKeychain({ service: 's', keytar: os });
    const before = 'a'.repeat(6_000);
    await keychain.set(SECRET_NAMES.msalTokenCache, before);
    failing = true;
    await expect(keychain.set(SECRET_NAMES.msalTokenCache, 'b'.repeat(6_000))).rejects.toThrow(
      KeychainError,
    );
    expect(await keychain.get(SECRET_NAMES.msalTokenCache)).toBe(before);
  });

  it('treats a value whose parts went missing as not found', async () => {
    const { os, entries } = fakeOs();
    const keychain = createKeytarKeychain({ service: 's', keytar: os });
    await keychain.set(SECRET_NAMES.msalTokenCache, 'c'.repeat(5_000));
    const part = [...entries.keys()].find((account) => account.includes('#'));
    if (part) entries.delete(part);
    expect(await keychain.get(SECRET_NAMES.msalTokenCache)).toBeNull();
  });

  it('stores a short value that looks like a manifest as parts, so it reads back unchanged', async () => {
    const { os } = fakeOs();
    const keychain = createKeytarKeychain({ service: 's', keytar: os });
    const tricky = 'attache-parts:v1:0123456789abcdef:1';
    await keychain.set(SECRET_NAMES.session, tricky);
    expect(await keychain.get(SECRET_NAMES.session)).toBe(tricky);
  });

  it('reports an unreachable keychain as KeychainError with an actionable message', async () => {
    const os: KeytarLike = {
      getPassword: () =>
        Promise.reject(new Error('The name org.freedesktop.secrets was not provided')),
      setPassword: () => Promise.reject(new Error('no')),
      deletePassword: () => Promise.reject(new Error('no')),
    };
    const keychain = createKeytarKeychain({ service: 's', keytar: os });
    const error = await keychain.get(SECRET_NAMES.session).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeychainError);
    expect((error as KeychainError).code).toBe('keychain-unavailable');
    expect((error as KeychainError).message).toMatch(/Secret Service/);
  });
});
