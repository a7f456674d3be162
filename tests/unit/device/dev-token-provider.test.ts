import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDevTokenProvider } from '../../../src/main/sync/dev-token-provider.js';
import { DEV_TOKEN_PATH } from '../../../src/shared/protocol.js';

type Reply = { status: number; body: unknown };

async function tokenServer(reply: (n: number, body: string) => Reply) {
  let calls = 0;
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      calls += 1;
      bodies.push(`${req.method} ${req.url} ${body}`);
      const { status, body: out } = reply(calls, body);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls: () => calls,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('development token provider', () => {
  let close: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await close?.();
    close = null;
  });

  it('asks the dev token endpoint for the named user and caches until near expiry', async () => {
    let clock = Date.parse('2025-01-01T00:00:00.000Z');
    const server = await tokenServer((n) => ({
      status: 200,
      body: { accessToken: `token-${n}`, expiresAt: new Date(clock + 10 * 60_000).toISOString() },
    }));
    close = server.close;
    const provider = createDevTokenProvider({
      serverUrl: server.url,
      userId: 'alex.morgan',
      now: () => clock,
    });

    expect(await provider.getAccessToken()).toBe('token-1');
    expect(await provider.getAccessToken()).toBe('token-1');
    expect(server.bodies[0]).toBe(`POST ${DEV_TOKEN_PATH} {"user":"alex.morgan"}`);

    clock += 9.5 * 60_000; // inside the renewal margin
    expect(await provider.getAccessToken()).toBe('token-2');
    provider.invalidate?.();
    expect(await provider.getAccessToken()).toBe('token-3');
  });

  it('makes one request for concurrent callers', async () => {
    const server = await tokenServer((n) => ({
      status: 200,
      // The broker's OAuth-style answer.
      body: { access_token: `t${n}`, token_type: 'Bearer', expires_in: 600 },
    }));
    close = server.close;
    const provider = createDevTokenProvider({ serverUrl: server.url, userId: 'alex.morgan' });
    const tokens = await Promise.all([1, 2, 3, 4].map(() => provider.getAccessToken()));
    expect(new Set(tokens)).toEqual(new Set(['t1']));
    expect(server.calls()).toBe(1);
  });

  it('answers null (sign-in needed) when the server will not issue a token', async () => {
    const server = await tokenServer(() => ({ status: 403, body: { error: 'forbidden' } }));
    close = server.close;
    const provider = createDevTokenProvider({ serverUrl: server.url, userId: 'nobody' });
    expect(await provider.getAccessToken()).toBeNull();
  });

  it('throws when the server cannot be reached, so sync reports offline', async () => {
    const provider = createDevTokenProvider({
      serverUrl: 'http://127.0.0.1:9',
      userId: 'alex.morgan',
    });
    await expect(provider.getAccessToken()).rejects.toThrow();
  });
});
