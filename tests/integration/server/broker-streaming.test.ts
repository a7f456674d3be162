// The broker streams `_changes` without buffering: a continuous feed delivers a change while the
// request is still open, and a long-poll returns when the change happens, not at its timeout.
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInWithPassword } from './idp-client.js';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

const USER = 'alex.morgan';
let h: Harness;
let token: string;

beforeAll(async () => {
  h = await startHarness({ seedDemoData: false });
  const ca = fs.readFileSync(h.server.files.devCa ?? '', 'utf8');
  token = (await signInWithPassword(h.server.urls.idp ?? '', ca, USER, 'attache-alex'))
    .access_token;
  // The user's databases exist once a first briefing reached them.
  const first = await h.admin('POST', '/briefings', briefingInput('First', [USER]));
  const id = `briefing:${(first.body as { sorId: string }).sorId}`;
  await waitFor('first briefing', async () =>
    (await h.broker(`/db/briefings/${encodeURIComponent(id)}`, { token })).status === 200
      ? true
      : undefined,
  );
});
afterAll(async () => {
  await h?.stop();
});

/** Opens a GET through the broker and hands each body chunk to `onChunk` as it arrives. */
function open(path: string, onChunk: (text: string) => void) {
  const url = new URL(h.server.urls.broker);
  let ended = false;
  const req = http.get({
    host: url.hostname,
    port: url.port,
    path,
    headers: { authorization: `Bearer ${token}` },
  });
  const response = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', onChunk);
      res.on('end', () => (ended = true));
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' ? undefined : reject(error),
    );
  });
  return { response, ended: () => ended, close: () => req.destroy() };
}

describe('streaming _changes through the broker', () => {
  it('a continuous feed delivers a new briefing while the request stays open', async () => {
    let received = '';
    const feed = open('/db/briefings/_changes?feed=continuous&since=now&heartbeat=1000', (t) => {
      received += t;
    });
    try {
      expect(await feed.response).toBe(200);
      const created = await h.admin('POST', '/briefings', briefingInput('Live one', [USER]));
      const id = `briefing:${(created.body as { sorId: string }).sorId}`;
      await waitFor('the change on the open feed', () =>
        Promise.resolve(received.includes(`"id":"${id}"`) ? true : undefined),
      );
      expect(feed.ended()).toBe(false);
    } finally {
      feed.close();
    }
  });

  it('a long-poll returns as soon as the change happens, well before its timeout', async () => {
    let received = '';
    const started = Date.now();
    const poll = open('/db/briefings/_changes?feed=longpoll&since=now&timeout=20000', (t) => {
      received += t;
    });
    try {
      expect(await poll.response).toBe(200);
      const created = await h.admin('POST', '/briefings', briefingInput('Long-polled', [USER]));
      const id = `briefing:${(created.body as { sorId: string }).sorId}`;
      await waitFor('the long-poll answer', () => Promise.resolve(poll.ended() ? true : undefined));
      expect(received).toContain(`"id":"${id}"`);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      poll.close();
    }
  });
});
