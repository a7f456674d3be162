// Sign-out erases the person's copy on the device (tokens, sign-in record, the store's data key,
// the store's files), but never returns the server has not confirmed without their say. The
// broker here is an address nobody listens on: the device is offline. (device-sync.test.ts
// signs out against the real server; sign-in.spec.ts through the reader's dialog.)
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceServices } from '../../../src/main/composition-root.js';
import { createDeviceServices } from '../../../src/main/composition-root.js';
import type { SignOutOutcome } from '../../../src/shared/ipc.js';
import type { Result } from '../../../src/shared/result.js';
import {
  ALEX,
  createInMemoryKeychainTestDouble,
  createScriptedIdentity,
  until,
} from './auth-doubles.js';
import type { Keychain } from '../../../src/main/secrets/types.js';
import { briefing, memoryLogger, seedLocalBriefings, tempDir } from './fixtures.js';

const SEND_WAIT_MS = 20_000;

describe('sign-out', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** `seed` writes into the person's store before they sign in (as an earlier session would). */
  async function signedIn(seed?: (dataDir: string, keychain: Keychain) => Promise<void>) {
    const data = await tempDir('sign-out');
    cleanups.push(data.remove);
    const double = createInMemoryKeychainTestDouble();
    // Set by a test: the keychain then refuses to delete the store's data key, as a locked one does.
    const refusing = { storeKey: false };
    const keychain: typeof double = {
      ...double,
      delete: (name) =>
        refusing.storeKey && name.startsWith('store-key:')
          ? Promise.reject(new Error('org.freedesktop.Secret.Error.IsLocked'))
          : double.delete(name),
    };
    await seed?.(data.path, keychain);
    const clock = { now: Date.now() };
    const { identity, script } = createScriptedIdentity({ keychain, now: () => clock.now });
    const { logger, records } = memoryLogger();
    const services: DeviceServices = await createDeviceServices({
      dataDir: data.path,
      brokerUrl: 'http://127.0.0.1:9',
      appVersion: '1.0.0',
      auth: { identity, keychain, maxOfflineDays: 14, now: () => clock.now, checkIntervalMs: 50 },
      logger,
      sync: { backOff: { initialMs: 50, maxMs: 100 } },
      signOutSendMs: SEND_WAIT_MS,
    });
    cleanups.push(() => services.stop());
    services.start();
    await services.dispatch('session:sign-in', {});
    await until('the sign-in page', () => script.pending !== null);
    script.pending?.complete(ALEX);
    await until('signed in with the store open', () => services.workspace() !== null);
    const store = services.workspace()?.location;
    if (!store) throw new Error('no store open');
    return { services, keychain, store, records, clock, script, refusing };
  }

  const withOneBriefing = (dataDir: string, keychain: Keychain) =>
    seedLocalBriefings(dataDir, ALEX.userId, [briefing('BRF-1')], keychain);

  /** A note typed in the reader, not yet sent: the returns the server has not confirmed. */
  const typeUnsentNote = async (services: DeviceServices) => {
    const saved = await services.dispatch('annotations:save', {
      action: 'create',
      briefingId: 'briefing:BRF-1',
      note: 'Ask about the timeline',
    });
    expect(saved.ok).toBe(true);
    await until('one pending upload', () => services.syncStatus().pendingUploads === 1);
  };

  const signOut = async (services: DeviceServices, request: object = {}) => {
    const result = (await services.dispatch('session:sign-out', request)) as Result<SignOutOutcome>;
    if (!result.ok) throw new Error(`sign-out failed: ${result.error.message}`);
    return result.value;
  };

  it('with nothing unsent, leaves no keychain entry and no store behind', async () => {
    const { services, keychain, store } = await signedIn();
    expect(existsSync(store)).toBe(true);
    expect(keychain.entries.size).toBeGreaterThanOrEqual(2);

    expect(await signOut(services)).toEqual({ outcome: 'signed-out' });
    expect(services.session().state).toBe('signed-out');
    expect(services.workspace()).toBeNull();
    expect([...keychain.entries.keys()]).toEqual([]);
    expect(existsSync(store)).toBe(false);
  });

  it('holds a sign-out that would lose unsent returns, and discards them only when told', async () => {
    const { services, keychain, store, records } = await signedIn(withOneBriefing);
    const workspace = services.workspace();
    if (!workspace) throw new Error('no workspace');
    expect((await services.dispatch('briefings:mark-read', { id: 'briefing:BRF-1' })).ok).toBe(
      true,
    );
    await until('one pending upload', () => services.syncStatus().pendingUploads === 1);

    // Offline: the attempt to send fails at once; sign-out does not sit out its whole wait.
    const started = Date.now();
    expect(await signOut(services)).toEqual({ outcome: 'unsent-returns', unsent: 1 });
    expect(Date.now() - started).toBeLessThan(SEND_WAIT_MS / 2);
    // Nothing changed: still signed in, the store and every key in place.
    expect(services.session().state).toBe('signed-in');
    expect(services.workspace()).toBe(workspace);
    expect(existsSync(store)).toBe(true);
    expect(keychain.entries.size).toBeGreaterThanOrEqual(3);
    expect(services.syncStatus().pendingUploads).toBe(1);

    expect(await signOut(services, { discardUnsent: true })).toEqual({ outcome: 'signed-out' });
    expect(services.session().state).toBe('signed-out');
    expect([...keychain.entries.keys()]).toEqual([]);
    expect(existsSync(store)).toBe(false);
    expect(records.some((r) => r.message === 'erased the local copy on sign-out')).toBe(true);
  });

  it('holds a sign-out while a note typed in the reader is unsent, and erases it when told', async () => {
    const { services, store } = await signedIn(withOneBriefing);
    await typeUnsentNote(services);

    expect(await signOut(services)).toEqual({ outcome: 'unsent-returns', unsent: 1 });
    expect(existsSync(store)).toBe(true);
    expect(await signOut(services, { discardUnsent: true })).toEqual({ outcome: 'signed-out' });
    expect(existsSync(store)).toBe(false);
  });

  it('counts unsent returns from the files when the store is closed (reader locked)', async () => {
    const { services, keychain, store, clock, script } = await signedIn(withOneBriefing);
    await typeUnsentNote(services);
    // Offline past the maximum offline period: the reader locks and the store closes.
    script.online = false;
    clock.now += 15 * 24 * 60 * 60_000;
    await until('locked', () => services.session().state === 'locked');
    await until('the store closed', () => services.workspace() === null);

    expect(await signOut(services)).toEqual({ outcome: 'unsent-returns', unsent: 1 });
    expect(existsSync(store)).toBe(true);
    expect(services.session().state).toBe('locked');
    expect(await signOut(services, { discardUnsent: true })).toEqual({ outcome: 'signed-out' });
    expect(services.session().state).toBe('signed-out');
    expect([...keychain.entries.keys()]).toEqual([]);
    expect(existsSync(store)).toBe(false);
  });

  it('refuses a request with unknown fields', async () => {
    const { services } = await signedIn();
    const result = await services.dispatch('session:sign-out', { wipe: true });
    expect(result.ok).toBe(false);
    expect(services.session().state).toBe('signed-in');
  });

  it('when the local copy cannot be erased, the person is told what to do, not "could not complete"', async () => {
    const { services, store, refusing } = await signedIn();
    refusing.storeKey = true;

    const result = await services.dispatch('session:sign-out', {});

    expect(result).toEqual({
      ok: false,
      error: {
        code: 'sign-out-erase-failed',
        message:
          'You are signed out, but the copy of your briefings on this device could not be erased. Make sure the system keychain is unlocked and sign out again, or ask IT support.',
      },
    });
    expect(services.session().state).toBe('signed-out');
    expect(existsSync(store)).toBe(true);
  });
});
