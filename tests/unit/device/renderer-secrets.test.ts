// The renderer cannot reach secrets: every verb of the IPC contract, called while signed in
// with tokens in the keychain and in use by sync, answers without any of them, and no event
// pushed to the reader carries one either. (The e2e sign-in spec repeats this over the real
// browser-host bridge with real tokens.)
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceServices } from '../../../src/main/composition-root.js';
import { createDeviceServices } from '../../../src/main/composition-root.js';
import type { IpcChannel, IpcRequests } from '../../../src/shared/ipc.js';
import { IPC_CHANNELS } from '../../../src/shared/ipc.js';
import {
  ALEX,
  createInMemoryKeychainTestDouble,
  createScriptedIdentity,
  until,
} from './auth-doubles.js';
import { memoryLogger, tempDir } from './fixtures.js';

/** One valid request per channel; a new channel fails to compile here until it is added. */
const SAMPLE_REQUESTS: { readonly [C in IpcChannel]: IpcRequests[C] } = {
  'briefings:list': {},
  'briefings:summaries': { ids: ['briefing:1'] },
  'briefings:get': { id: 'briefing:1' },
  'briefings:attachment': { id: 'briefing:1', name: 'a.pdf' },
  'briefings:mark-read': { id: 'briefing:1' },
  'annotations:list': { briefingId: 'briefing:1' },
  'annotations:save': { action: 'create', briefingId: 'briefing:1', note: 'a general note' },
  'annotations:version': { briefingId: 'briefing:1', sourceVersion: 1 },
  'sync:status': {},
  'sync:now': {},
  'session:get': {},
  'session:sign-in': {},
  'session:cancel-sign-in': {},
  'session:sign-out': {},
  'config:get': {},
  'settings:set': { key: 'textSize', value: 'large' },
  'reader:shown': { id: 'briefing:1' },
  'links:check': { url: 'https://intranet.example.org/' },
  'links:open': { url: 'https://intranet.example.org/' },
  'diagnostics:export': {},
  'search:query': { text: 'briefing' },
};
/** Run last: they end the session the other calls need. */
const LAST: readonly IpcChannel[] = [
  'session:sign-in',
  'session:cancel-sign-in',
  'session:sign-out',
];

describe('the renderer cannot reach secrets', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('no IPC verb answers with a token, and no event carries one', async () => {
    const data = await tempDir('renderer-secrets');
    cleanups.push(data.remove);
    const keychain = createInMemoryKeychainTestDouble();
    const { identity, script } = createScriptedIdentity({ keychain, now: Date.now });
    const services: DeviceServices = await createDeviceServices({
      dataDir: data.path,
      brokerUrl: 'http://127.0.0.1:9',
      appVersion: '1.0.0',
      auth: { identity, keychain, maxOfflineDays: 14 },
      logger: memoryLogger().logger,
      sync: { backOff: { initialMs: 50, maxMs: 100 } },
    });
    cleanups.push(() => services.stop());
    const seen: unknown[] = [];
    services.events.subscribe((name, payload) => seen.push({ name, payload }));
    services.start();

    seen.push(await services.dispatch('session:sign-in', {}));
    await until('the sign-in page', () => script.pending !== null);
    script.pending?.complete(ALEX);
    await until('signed in', () => services.session().state === 'signed-in');
    // The token sync uses before every replication request, the one no answer may contain.
    expect(await services.auth.tokenProvider.getAccessToken()).toBe(script.issued[0]);

    const channels = [
      ...IPC_CHANNELS.filter((c) => !LAST.includes(c)),
      ...LAST.filter((c) => IPC_CHANNELS.includes(c)),
    ];
    expect(new Set(channels)).toEqual(new Set(IPC_CHANNELS));
    for (const channel of channels) {
      seen.push({ channel, result: await services.dispatch(channel, SAMPLE_REQUESTS[channel]) });
    }

    const everything = JSON.stringify(seen);
    for (const secret of script.issued) expect(everything).not.toContain(secret);
    // The session the reader sees names the person, nothing more.
    expect(everything).toContain('"displayName":"Alex Morgan"');
    // Signed out (the last verb): tokens, session and the data key of Alex's store all gone.
    expect([...keychain.entries.keys()]).toEqual([]);
  });
});
