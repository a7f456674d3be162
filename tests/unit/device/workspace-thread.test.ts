// The person's workspace in its own thread, as the session controller opens it: a real worker
// thread on a real encrypted store, the keychain and the log in this (the main) thread.
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/shared/app-error.js';
import { SearchIndexError } from '../../../src/main/search/types.js';
import {
  KeychainError,
  SECRET_NAMES,
  storeKeySecretName,
} from '../../../src/main/secrets/types.js';
import { storeFailureStatus } from '../../../src/main/session/session-info.js';
import type { OpenWorkspace, ThreadBinding } from '../../../src/main/session/workspace-thread.js';
import {
  launchWorkspaceThread,
  openWorkspaceThread,
  rebuildError,
  requestsFromThread,
  storeSecretsOnly,
} from '../../../src/main/session/workspace-thread.js';
import { openUserStore } from '../../../src/main/storage/store.pouch.js';
import { StoreIntegrityError, StoreLockedError } from '../../../src/main/storage/types.js';
import { ThreadCallError, errorShape } from '../../../src/main/threads/channel.js';
import { createInMemoryKeychainTestDouble } from './auth-doubles.js';
import { briefing, memoryLogger, seedLocalBriefings, tempDir } from './fixtures.js';

const USER = 'alex.morgan@example.org';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(
  dataDir: string,
  keychain = createInMemoryKeychainTestDouble(),
  launched?: ReturnType<typeof launchWorkspaceThread>,
) {
  const { logger, records } = memoryLogger();
  const changed: string[][] = [];
  const workspace: OpenWorkspace = await openWorkspaceThread(
    {
      dataDir,
      brokerUrl: 'http://127.0.0.1:9',
      userId: USER,
      keychain,
      tokenProvider: { getAccessToken: () => Promise.resolve(null) },
      logger,
      ceiling: null,
      onBriefingsChanged: (ids) => changed.push([...ids]),
    },
    launched,
  );
  cleanups.push(() => workspace.close());
  return { workspace, records, changed, keychain };
}

describe('the workspace in its own thread', () => {
  it('answers the reader’s calls from the store it opened there, and releases it on close', async () => {
    const dir = await tempDir('workspace-thread');
    cleanups.push(() => dir.remove());
    const keychain = createInMemoryKeychainTestDouble();
    await seedLocalBriefings(dir.path, USER, [briefing('BRF-1'), briefing('BRF-2')], keychain);
    const { workspace, records } = await open(dir.path, keychain);

    const page = await workspace.briefings.page(0, 50);
    expect(page.items.map((item) => item.id).sort()).toEqual(['briefing:BRF-1', 'briefing:BRF-2']);
    expect((await workspace.briefings.get('briefing:BRF-1'))?.title).toBe(briefing('BRF-1').title);
    expect(await workspace.briefings.get('briefing:none')).toBeNull();
    expect(workspace.location).toContain(dir.path);
    // The thread's log reaches this thread's logger, under its scopes.
    await expect.poll(() => records.some((record) => record.scope.startsWith('test'))).toBe(true);

    await workspace.close();
    // The thread closed the store: it opens here again (LevelDB allows one holder).
    const store = await openUserStore({
      dataDir: dir.path,
      userId: USER,
      keychain,
      logger: memoryLogger().logger,
    });
    expect((await store.listBriefingDocs()).length).toBe(2);
    await store.close();
    await expect(workspace.briefings.page(0, 50)).rejects.toThrow(/workspace-worker thread ended/);
  });

  it('fails to open with the store error the reader is shown, rebuilt as its own kind', async () => {
    const dir = await tempDir('workspace-thread');
    cleanups.push(() => dir.remove());
    const keychain = createInMemoryKeychainTestDouble();
    const store = await openUserStore({
      dataDir: dir.path,
      userId: USER,
      keychain,
      logger: memoryLogger().logger,
    });
    await store.createReturnDoc('note:1', { type: 'note', briefingId: 'briefing:1', text: 'x' });
    await store.close();
    await keychain.delete(storeKeySecretName(USER));

    const failure = await open(dir.path, keychain).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreLockedError);
    const locked = failure as StoreLockedError;
    expect(locked.code).toBe('store-key-missing');
    expect(locked.unsentReturns).toBe(1);
    expect(storeFailureStatus(locked)).toMatchObject({
      pendingUploads: 1,
      message: locked.message,
    });
  });
});

describe('a workspace thread started before anyone signs in', () => {
  it('loads its modules, then opens the person’s workspace when bound to them, once', async () => {
    const dir = await tempDir('workspace-thread');
    cleanups.push(() => dir.remove());
    const keychain = createInMemoryKeychainTestDouble();
    await seedLocalBriefings(dir.path, USER, [briefing('BRF-1')], keychain);
    const spare = launchWorkspaceThread(memoryLogger().logger);
    cleanups.push(() => spare.discard());
    await spare.ready();
    expect(spare.usable()).toBe(true);

    const { workspace } = await open(dir.path, keychain, spare);
    expect((await workspace.briefings.page(0, 50)).items.map((item) => item.id)).toEqual([
      'briefing:BRF-1',
    ]);
    // Taken: it serves this person only; another open is refused, and discard leaves it be.
    expect(spare.usable()).toBe(false);
    await expect(open(dir.path, keychain, spare)).rejects.toThrow(/already used or has ended/);
    await spare.discard();
    expect((await workspace.briefings.page(0, 50)).items).toHaveLength(1);
  });

  it('ends when discarded unused, and cannot be opened after', async () => {
    const spare = launchWorkspaceThread(memoryLogger().logger);
    await spare.ready();
    await spare.discard();
    expect(spare.usable()).toBe(false);
    await expect(spare.ready()).rejects.toThrow(/workspace-worker thread ended/);
    const dir = await tempDir('workspace-thread');
    cleanups.push(() => dir.remove());
    await expect(open(dir.path, createInMemoryKeychainTestDouble(), spare)).rejects.toThrow(
      /already used or has ended/,
    );
  });

  it('may ask for no secret and no token until it is bound to a person', async () => {
    const keychain = createInMemoryKeychainTestDouble();
    await keychain.set(storeKeySecretName(USER), 'alexs-key');
    let binding: ThreadBinding | null = null;
    const requests = requestsFromThread(() => binding) as Record<
      string,
      (...args: unknown[]) => Promise<unknown>
    >;
    expect(Object.keys(requests).sort()).toEqual([
      'keychain.delete',
      'keychain.get',
      'keychain.set',
      'token.get',
    ]);
    const refused = /not bound to a person yet/;
    expect(() => requests['keychain.get']!(storeKeySecretName(USER))).toThrow(refused);
    expect(() => requests['keychain.set']!(storeKeySecretName(USER), 'x')).toThrow(refused);
    expect(() => requests['keychain.delete']!(storeKeySecretName(USER))).toThrow(refused);
    expect(() => requests['token.get']!()).toThrow(refused);

    binding = {
      secrets: storeSecretsOnly(keychain, USER),
      tokenProvider: { getAccessToken: () => Promise.resolve('token') },
      logger: memoryLogger().logger,
    };
    expect(await requests['keychain.get']!(storeKeySecretName(USER))).toBe('alexs-key');
    expect(await requests['token.get']!()).toBe('token');
    await expect(requests['keychain.get']!(SECRET_NAMES.session)).rejects.toThrow(
      'may not use that secret',
    );
  });
});

describe('what the workspace thread may ask of the main thread', () => {
  it('is the person’s own store secrets, never the sign-in’s tokens or another person’s key', async () => {
    const keychain = createInMemoryKeychainTestDouble();
    await keychain.set(SECRET_NAMES.session, 'signed-in');
    await keychain.set(SECRET_NAMES.msalTokenCache, 'refresh-token');
    await keychain.set(storeKeySecretName('sam@example.org'), 'sams-key');
    await keychain.set(storeKeySecretName(USER), 'alexs-key');
    const secrets = storeSecretsOnly(keychain, USER);

    expect(await secrets.get(storeKeySecretName(USER))).toBe('alexs-key');
    for (const name of [
      SECRET_NAMES.session,
      SECRET_NAMES.msalTokenCache,
      storeKeySecretName('sam@example.org'),
    ]) {
      await expect(secrets.get(name)).rejects.toThrow('may not use that secret');
      await expect(secrets.set(name, 'x')).rejects.toThrow('may not use that secret');
      await expect(secrets.delete(name)).rejects.toThrow('may not use that secret');
    }
    expect(await keychain.get(SECRET_NAMES.msalTokenCache)).toBe('refresh-token');
  });
});

describe('an error from the workspace thread', () => {
  const crossed = (error: Error) => rebuildError(new ThreadCallError(errorShape(error)));

  it('is rebuilt as the kind the reader’s handlers and the sync status tell apart', () => {
    const locked = crossed(new StoreLockedError('store-key-mismatch', 2));
    expect(locked).toBeInstanceOf(StoreLockedError);
    expect(locked).toMatchObject({ code: 'store-key-mismatch', unsentReturns: 2 });
    expect((locked as Error).message).toBe(new StoreLockedError('store-key-mismatch', 2).message);

    const integrity = new StoreIntegrityError('briefings', 'failed its integrity check');
    const rebuilt = crossed(integrity);
    expect(rebuilt).toBeInstanceOf(AppError);
    expect(rebuilt).toMatchObject({ code: 'store-integrity', expected: false });
    expect(storeFailureStatus(rebuilt as Error).message).toBe(integrity.message);

    expect(crossed(new KeychainError('The keychain is locked'))).toBeInstanceOf(KeychainError);
    expect(crossed(new SearchIndexError('search-index-unreadable', 'gone'))).toBeInstanceOf(
      SearchIndexError,
    );
    const other = crossed(new Error('/home/alex/secret path'));
    expect(other).not.toBeInstanceOf(AppError);
    expect(storeFailureStatus(other as Error).message).not.toContain('/home/alex');
  });
});
