import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHost } from '../../../src/host/host.js';
import { startHost } from '../../../src/host/host.js';
import { HOST_ERROR_CODES, MAX_BODY_BYTES } from '../../../src/host/bridge-server.js';
import { CONTENT_SECURITY_POLICY } from '../../../src/main/windows/security.js';
import { HOST_KEY_HEADER, SAMPLE_USER } from '../../../src/shared/protocol.js';
import { createSessionRecordStore } from '../../../src/main/auth/session-record.js';
import { ALEX, createInMemoryKeychainTestDouble, createScriptedIdentity } from './auth-doubles.js';
import { briefing, memoryLogger, seedLocalBriefings, tempDir } from './fixtures.js';
import { rawRequest, readEvents } from './http-client.js';
import { eventually } from '../../support/eventually.js';

describe('browser host', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let web: Awaited<ReturnType<typeof tempDir>>;
  let host: RunningHost;
  const log = memoryLogger();
  let hostHeader: string;

  const api = (
    channel: string,
    init: { key?: string; body?: string; headers?: Record<string, string> } = {},
  ) =>
    rawRequest(host.origin, {
      method: 'POST',
      path: `/api/${channel}`,
      headers: {
        'content-type': 'application/json',
        ...(init.key === undefined ? {} : { [HOST_KEY_HEADER]: init.key }),
        ...init.headers,
      },
      body: init.body ?? '{}',
    });

  beforeAll(async () => {
    data = await tempDir('host-data');
    web = await tempDir('host-web');
    await writeFile(join(web.path, 'index.html'), '<!doctype html><title>Attaché</title>');
    // Signed in here yesterday; the identity provider is unreachable today.
    const keychain = createInMemoryKeychainTestDouble();
    await seedLocalBriefings(
      data.path,
      SAMPLE_USER.id,
      [briefing('on-disk', { title: 'Already on disk' })],
      keychain,
    );
    const yesterday = Date.now() - 24 * 60 * 60 * 1000;
    await createSessionRecordStore(keychain, log.logger).write({
      account: ALEX,
      history: { lastOnlineAt: yesterday, lastSeenAt: yesterday },
    });
    const { identity, script } = createScriptedIdentity({ keychain, now: Date.now });
    script.online = false;
    host = await startHost({
      dataDir: data.path,
      // Nothing listens on port 9 (discard): the host must work with the server unreachable.
      brokerUrl: 'http://127.0.0.1:9',
      auth: { identity, keychain, maxOfflineDays: 14 },
      port: 0,
      staticDir: web.path,
      logger: log.logger,
      sync: { backOff: { initialMs: 200, maxMs: 1_000 } },
    });
    hostHeader = new URL(host.origin).host;
  });

  afterAll(async () => {
    await host.stop();
    await data.remove();
    await web.remove();
  });

  it('listens on the loopback address and hands out the key in the URL fragment', () => {
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.url).toBe(`${host.origin}/#key=${host.secret}`);
    expect(host.secret.length).toBeGreaterThanOrEqual(32);
  });

  it('draws a new 256-bit launch key on every launch', async () => {
    // The key is the only thing keeping other local processes and web pages off the bridge; a
    // fixed or short one would be guessable or survive from one launch to the next.
    expect(Buffer.from(host.secret, 'base64url')).toHaveLength(32);
    const otherData = await tempDir('host-data-second');
    const keychain = createInMemoryKeychainTestDouble();
    const { identity, script } = createScriptedIdentity({ keychain, now: Date.now });
    script.online = false;
    const second = await startHost({
      dataDir: otherData.path,
      brokerUrl: 'http://127.0.0.1:9',
      auth: { identity, keychain, maxOfflineDays: 14 },
      port: 0,
      staticDir: web.path,
      logger: memoryLogger().logger,
    });
    try {
      expect(Buffer.from(second.secret, 'base64url')).toHaveLength(32);
      expect(second.secret).not.toBe(host.secret);
      expect(second.url).toBe(`${second.origin}/#key=${second.secret}`);
    } finally {
      await second.stop();
      await otherData.remove();
    }
  });

  it('serves the reader with the strict CSP', async () => {
    const response = await rawRequest(host.origin, { path: '/' });
    expect(response.status).toBe(200);
    expect(response.body).toContain('<title>Attaché</title>');
    expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a bridge call with the key from the local store, while the server is unreachable', async () => {
    const response = await api('briefings:list', { key: host.secret });
    expect(response.status).toBe(200);
    const result = JSON.parse(response.body) as {
      ok: boolean;
      value: { items: Array<{ title: string }> };
    };
    expect(result.ok).toBe(true);
    expect(result.value.items.map((b) => b.title)).toEqual(['Already on disk']);
  });

  it.each([
    ['a missing key', undefined],
    ['a wrong key', 'not-the-key'],
    ['an empty key', ''],
  ])('refuses a bridge call with %s', async (_label, key) => {
    const response = await api('briefings:list', key === undefined ? {} : { key });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({
      ok: false,
      error: { code: HOST_ERROR_CODES.unauthorized },
    });
    expect(response.body).not.toContain('Already on disk');
  });

  it('refuses a request whose Host header names another site (DNS rebinding)', async () => {
    for (const path of ['/', '/api/briefings:list']) {
      const response = await rawRequest(host.origin, {
        method: path === '/' ? 'GET' : 'POST',
        path,
        headers: {
          host: 'attacker.example:80',
          'content-type': 'application/json',
          [HOST_KEY_HEADER]: host.secret,
        },
        body: path === '/' ? undefined : '{}',
      });
      expect(response.status).toBe(403);
      expect(JSON.parse(response.body)).toMatchObject({
        error: { code: HOST_ERROR_CODES.forbiddenHost },
      });
    }
  });

  it('accepts localhost as well as 127.0.0.1 in the Host header', async () => {
    const port = hostHeader.split(':')[1] ?? '';
    const response = await rawRequest(host.origin, {
      path: '/',
      headers: { host: `localhost:${port}` },
    });
    expect(response.status).toBe(200);
  });

  it('refuses cross-origin bridge calls even with the key', async () => {
    const response = await api('briefings:list', {
      key: host.secret,
      headers: { origin: 'https://evil.example' },
    });
    expect(response.status).toBe(403);
  });

  it('refuses non-JSON bodies, invalid JSON and oversized bodies', async () => {
    const form = await api('briefings:list', {
      key: host.secret,
      headers: { 'content-type': 'text/plain' },
    });
    expect(form.status).toBe(415);
    const broken = await api('briefings:get', { key: host.secret, body: '{"id":' });
    expect(broken.status).toBe(400);
    const huge = await api('briefings:get', {
      key: host.secret,
      body: JSON.stringify({ id: 'x'.repeat(MAX_BODY_BYTES) }),
    });
    expect(huge.status).toBe(413);
  });

  it('passes malformed requests to the dispatcher, which answers with a typed error', async () => {
    const response = await api('briefings:get', {
      key: host.secret,
      body: JSON.stringify({ id: 1 }),
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({
      ok: false,
      error: { code: 'ipc-invalid-request' },
    });
    const unknown = await api('briefings:purge', { key: host.secret });
    expect(JSON.parse(unknown.body)).toMatchObject({
      ok: false,
      error: { code: 'ipc-unknown-channel' },
    });
  });

  it('streams events only with the key, starting with the current sync status', async () => {
    expect((await readEvents(host.origin, '/api/events', 1)).status).toBe(401);
    expect((await readEvents(host.origin, '/api/events?key=wrong', 1)).status).toBe(401);
    const { status, events } = await readEvents(
      host.origin,
      `/api/events?key=${encodeURIComponent(host.secret)}`,
      1,
    );
    expect(status).toBe(200);
    expect(events[0]?.event).toBe('sync:status-changed');
    expect(events[0]?.data).toMatchObject({ pendingUploads: 0 });
  });

  it('reports the unreachable server as offline, not as an error', async () => {
    await eventually(async () => {
      const response = await api('sync:status', { key: host.secret });
      expect((JSON.parse(response.body) as { value: { state: string } }).value.state).toBe(
        'offline',
      );
    });
  });

  it('never logs the launch key', () => {
    expect(JSON.stringify(log.records)).not.toContain(host.secret);
  });

  it('does not serve files outside the reader folder', async () => {
    const response = await rawRequest(host.origin, { path: '/..%2f..%2fetc/passwd' });
    expect([403, 404]).toContain(response.status);
  });
});
