// Browser-host only: the loopback bridge that stands in for Electron's IPC where Electron cannot
// run. Every verb it answers and its event stream, called directly with the reader's launch key,
// carry the signed-in person's profile and never a token. (In Electron the reader has IPC only;
// tests/e2e/electron/window-hardening.spec.ts checks what the page can reach there.)
import type { IpcChannel, IpcRequests } from '../../../src/shared/ipc.js';
import { IPC_CHANNELS } from '../../../src/shared/ipc.js';
import { HOST_EVENTS_PATH, HOST_KEY_HEADER, SAMPLE_USER } from '../../../src/shared/protocol.js';
import { expect, test } from '../support/fixtures.js';
import { signIn } from '../support/sign-in.js';
import { tokensInKeychain } from '../support/tokens.js';

/** Harmless requests for every channel; a new channel fails to compile here until added. */
const BRIDGE_REQUESTS: { readonly [C in IpcChannel]: IpcRequests[C] | null } = {
  'briefings:list': {},
  'briefings:summaries': { ids: ['briefing:no-such'] },
  'briefings:get': { id: 'briefing:no-such' },
  'briefings:attachment': { id: 'briefing:no-such', name: 'x.pdf' },
  'briefings:mark-read': { id: 'briefing:no-such' },
  'annotations:list': { briefingId: 'briefing:no-such' },
  'annotations:save': { action: 'delete', annotationId: '00000000-0000-4000-8000-000000000000' },
  'annotations:version': { briefingId: 'briefing:no-such', sourceVersion: 1 },
  'sync:status': {},
  'sync:now': {},
  'session:get': {},
  'session:cancel-sign-in': {},
  // They change the session: the reader's own buttons exercise them (reader/sign-in.spec.ts).
  'session:sign-in': null,
  'session:sign-out': null,
  'config:get': {},
  'settings:set': { key: 'textSize', value: 'large' },
  'reader:shown': { id: null },
  'links:check': { url: 'https://intranet.example.org/' },
  'links:open': { url: 'https://intranet.example.org/' },
  'diagnostics:export': {},
  'search:query': { text: 'briefing' },
};

/** Everything the bridge answers the reader, every verb plus a stretch of the event stream. */
async function everythingTheBridgeSays(readerUrl: string): Promise<string> {
  const url = new URL(readerUrl);
  const key = new URLSearchParams(url.hash.slice(1)).get('key') ?? '';
  const answers: string[] = [];
  const events = new AbortController();
  const stream = fetch(`${url.origin}${HOST_EVENTS_PATH}?key=${encodeURIComponent(key)}`, {
    signal: events.signal,
  }).then(async (response) => {
    const reader = response.body?.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) return;
      answers.push(decoder.decode(chunk.value));
    }
  });
  for (const channel of IPC_CHANNELS) {
    const request = BRIDGE_REQUESTS[channel];
    if (request === null) continue;
    const response = await fetch(`${url.origin}/api/${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [HOST_KEY_HEADER]: key },
      body: JSON.stringify(request),
    });
    answers.push(await response.text());
  }
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  events.abort();
  await stream.catch(() => undefined);
  return answers.join('\n');
}

test('the bridge answers the reader every verb and event without a token in any of them', async ({
  product,
  reader,
}) => {
  await reader.open();
  await signIn(reader, SAMPLE_USER.id);
  const { access, refresh, id } = await tokensInKeychain(product.keychainService);
  const tokens = [...access, ...refresh, ...id];
  expect(tokens.length).toBeGreaterThanOrEqual(3);

  const bridge = await everythingTheBridgeSays(product.readerUrl);
  expect(bridge).toContain('"displayName":"Alex Morgan"');
  for (const token of tokens) expect(bridge).not.toContain(token);
});
