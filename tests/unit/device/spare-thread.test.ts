// The workspace thread the app starts at launch (src/main/index.ts), before it knows who will
// sign in: the device services open the first person's workspace in it, and end it at stop if
// nobody signed in. Real threads on real stores; the identity provider is scripted and the
// broker an address nobody listens on.
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceServices } from '../../../src/main/composition-root.js';
import { createDeviceServices } from '../../../src/main/composition-root.js';
import { launchWorkspaceThread } from '../../../src/main/session/workspace-thread.js';
import {
  ALEX,
  createInMemoryKeychainTestDouble,
  createScriptedIdentity,
  until,
} from './auth-doubles.js';
import { briefing, memoryLogger, seedLocalBriefings, tempDir } from './fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function services(spare: ReturnType<typeof launchWorkspaceThread>) {
  const data = await tempDir('spare-thread');
  cleanups.push(data.remove);
  const keychain = createInMemoryKeychainTestDouble();
  await seedLocalBriefings(data.path, ALEX.userId, [briefing('BRF-1')], keychain);
  const { identity, script } = createScriptedIdentity({ keychain, now: () => Date.now() });
  const device: DeviceServices = await createDeviceServices({
    dataDir: data.path,
    brokerUrl: 'http://127.0.0.1:9',
    appVersion: '1.0.0',
    auth: { identity, keychain, maxOfflineDays: 14 },
    logger: memoryLogger().logger,
    sync: { backOff: { initialMs: 50, maxMs: 100 } },
    spareThread: spare,
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await device.stop();
  };
  cleanups.push(stop);
  return { device, script, stop };
}

describe('the workspace thread started at launch', () => {
  it('is the one the first sign-in’s workspace opens in', async () => {
    const spare = launchWorkspaceThread(memoryLogger().logger);
    cleanups.push(() => spare.discard());
    const { device, script } = await services(spare);
    device.start();
    expect(spare.usable()).toBe(true);

    await device.dispatch('session:sign-in', {});
    await until('the sign-in page', () => script.pending !== null);
    script.pending?.complete(ALEX);
    await until('the store open', () => device.workspace() !== null);
    expect(spare.usable()).toBe(false);
    const page = await device.dispatch('briefings:list', {});
    expect(page).toMatchObject({ ok: true, value: { items: [{ id: 'briefing:BRF-1' }] } });
  });

  it('ends at stop when nobody signed in', async () => {
    const spare = launchWorkspaceThread(memoryLogger().logger);
    const { stop } = await services(spare);
    await spare.ready();
    await stop();
    expect(spare.usable()).toBe(false);
    await expect(spare.ready()).rejects.toThrow(/workspace-worker thread ended/);
  });

  it('is not used once it has ended on its own: the workspace opens in a new thread', async () => {
    const spare = launchWorkspaceThread(memoryLogger().logger);
    await spare.ready();
    await spare.discard();
    const { device, script } = await services(spare);
    device.start();
    await device.dispatch('session:sign-in', {});
    await until('the sign-in page', () => script.pending !== null);
    script.pending?.complete(ALEX);
    await until('the store open', () => device.workspace() !== null);
    const page = await device.dispatch('briefings:list', {});
    expect(page).toMatchObject({ ok: true, value: { items: [{ id: 'briefing:BRF-1' }] } });
  });
});
