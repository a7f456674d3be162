// The provider's SQLite adapter: what oidc-provider stores survives a reopen (so refresh tokens
// survive a restart), expires on time, and a grant revocation takes every token issued under it.
// Beside it, the list of revoked access tokens the broker polls, in the same file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createSqliteAdapterStore } from '../../../server/src/demo/idp/adapter.sqlite.js';
import { createRevokedTokenStore } from '../../../server/src/demo/idp/revoked-tokens.sqlite.js';

let dir: string;
let clock = 1_000_000;
const open = () =>
  createSqliteAdapterStore({ file: path.join(dir, 'idp.sqlite'), now: () => clock });

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-idp-adapter-'));
  clock = 1_000_000;
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('SQLite adapter of the development provider', () => {
  it('keeps what it stored across a reopen (a provider restart)', async () => {
    const first = open();
    await first
      .factory('RefreshToken')
      .upsert('rt-1', { accountId: 'alex.morgan', grantId: 'g-1' }, 3600);
    first.close();
    const second = open();
    await expect(second.factory('RefreshToken').find('rt-1')).resolves.toMatchObject({
      accountId: 'alex.morgan',
    });
    await expect(second.factory('AccessToken').find('rt-1')).resolves.toBeUndefined();
    second.close();
  });

  it('forgets entries once they expire, and sweeps them', async () => {
    const store = open();
    const codes = store.factory('AuthorizationCode');
    await codes.upsert('c-1', { accountId: 'a' }, 60);
    await codes.upsert('c-forever', { accountId: 'a' });
    clock += 61;
    await expect(codes.find('c-1')).resolves.toBeUndefined();
    await expect(codes.find('c-forever')).resolves.toBeDefined();
    expect(store.sweep()).toBe(1);
    store.close();
  });

  it('marks an entry consumed (a code or rotated refresh token cannot be used twice)', async () => {
    const store = open();
    const codes = store.factory('AuthorizationCode');
    await codes.upsert('c-1', { accountId: 'a' }, 60);
    await codes.consume('c-1');
    await expect(codes.find('c-1')).resolves.toMatchObject({ consumed: clock });
    store.close();
  });

  it('finds sessions by uid and device codes by user code', async () => {
    const store = open();
    await store.factory('Session').upsert('s-1', { uid: 'u-1', accountId: 'a' }, 3600);
    await store.factory('DeviceCode').upsert('d-1', { userCode: 'ABCD-EFGH' }, 600);
    await expect(store.factory('Session').findByUid('u-1')).resolves.toMatchObject({
      accountId: 'a',
    });
    await expect(store.factory('DeviceCode').findByUserCode('ABCD-EFGH')).resolves.toBeDefined();
    await expect(store.factory('Session').findByUid('u-2')).resolves.toBeUndefined();
    store.close();
  });

  it('revokes every token of a grant, of every model, and nothing else', async () => {
    const store = open();
    await store.factory('RefreshToken').upsert('rt-1', { grantId: 'g-1' }, 3600);
    await store.factory('AccessToken').upsert('at-1', { grantId: 'g-1' }, 900);
    await store.factory('RefreshToken').upsert('rt-2', { grantId: 'g-2' }, 3600);
    await store.factory('Grant').revokeByGrantId('g-1');
    await expect(store.factory('RefreshToken').find('rt-1')).resolves.toBeUndefined();
    await expect(store.factory('AccessToken').find('at-1')).resolves.toBeUndefined();
    await expect(store.factory('RefreshToken').find('rt-2')).resolves.toBeDefined();
    store.close();
  });

  it('destroys one entry', async () => {
    const store = open();
    await store.factory('Interaction').upsert('i-1', { uid: 'i-1' }, 600);
    await store.factory('Interaction').destroy('i-1');
    await expect(store.factory('Interaction').find('i-1')).resolves.toBeUndefined();
    store.close();
  });
});

describe('revoked access tokens of the development provider', () => {
  const openRevoked = () =>
    createRevokedTokenStore({ file: path.join(dir, 'idp.sqlite'), now: () => clock });

  it('lists the unexpired tokens of a revoked grant, and no other, across a reopen', () => {
    const store = openRevoked();
    store.issued('at-1', 'g-1', 'alex.morgan', clock + 900);
    store.issued('at-2', 'g-1', 'alex.morgan', clock + 10);
    store.issued('at-3', 'g-2', 'sam.taylor', clock + 900);
    clock += 60;
    expect(store.revokeGrant('g-1')).toEqual({ tokens: 1, user: 'alex.morgan' });
    store.close();
    const reopened = openRevoked();
    expect(reopened.revoked()).toEqual([{ jti: 'at-1', exp: clock - 60 + 900 }]);
    clock += 900;
    expect(reopened.revoked()).toEqual([]);
    expect(reopened.sweep()).toBe(3);
    reopened.close();
  });

  it('opens a provider database written by the previous release, keeping its sign-ins', async () => {
    // idp.sqlite as the previous release left it: oidc-provider's table only.
    const file = path.join(dir, 'idp.sqlite');
    const before = open();
    await before
      .factory('RefreshToken')
      .upsert('rt-1', { accountId: 'alex.morgan', grantId: 'g-1' }, 3600);
    before.close();
    const tables = () => {
      const db = new Database(file, { readonly: true });
      try {
        return db
          .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
          .all()
          .map((row) => row.name);
      } finally {
        db.close();
      }
    };
    expect(tables()).toEqual(['oidc_model']);

    const adapter = open();
    const revoked = openRevoked();
    await expect(adapter.factory('RefreshToken').find('rt-1')).resolves.toMatchObject({
      accountId: 'alex.morgan',
    });
    revoked.issued('at-1', 'g-1', 'alex.morgan', clock + 900);
    expect(revoked.revokeGrant('g-1').tokens).toBe(1);
    expect(revoked.revoked()).toHaveLength(1);
    revoked.close();
    adapter.close();
  });
});
