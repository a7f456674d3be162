import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpsClientError, createHttpsClient } from '../../../src/main/auth/https-client.js';
import type { TestTls } from './tls-fixture.js';
import { createTestTls, startHttpsServer } from './tls-fixture.js';

describe('identity-provider https client', () => {
  let tls: TestTls;
  let server: Awaited<ReturnType<typeof startHttpsServer>>;
  const requests: string[] = [];

  beforeAll(async () => {
    tls = await createTestTls();
    server = await startHttpsServer(tls, (request, response) => {
      requests.push(`${request.method} ${request.url}`);
      if (request.url === '/not-json') {
        response.end('<html>');
        return;
      }
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        response.writeHead(request.url === '/token' ? 400 : 200, {
          'content-type': 'application/json',
        });
        response.end(JSON.stringify({ method: request.method, body }));
      });
    });
  });
  afterAll(() => server.close());

  it('trusts the configured CA, and returns the JSON answer of any status', async () => {
    const client = createHttpsClient({ extraCaPem: tls.caPem });
    expect(await client.requestJson(`${server.url}/doc`, { method: 'GET' })).toMatchObject({
      status: 200,
      body: { method: 'GET', body: '' },
    });
    const post = await client.requestJson(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token',
    });
    expect(post).toMatchObject({ status: 400, body: { body: 'grant_type=refresh_token' } });
    expect(post.headers['content-type']).toBe('application/json');
  });

  it('refuses a certificate from a CA it was not told to trust (verification stays on)', async () => {
    const error = await createHttpsClient()
      .requestJson(`${server.url}/doc`, { method: 'GET' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpsClientError);
    expect((error as HttpsClientError).reason).toBe('network');
    expect(String((error as Error).cause)).toMatch(/certificate/i);
  });

  it('refuses plain http before sending anything', async () => {
    const before = requests.length;
    const error = await createHttpsClient({ extraCaPem: tls.caPem })
      .requestJson(server.url.replace('https:', 'http:'), { method: 'GET' })
      .catch((e: unknown) => e);
    expect((error as HttpsClientError).reason).toBe('insecure-url');
    expect(requests.length).toBe(before);
  });

  it('reports an answer that is not JSON', async () => {
    const error = await createHttpsClient({ extraCaPem: tls.caPem })
      .requestJson(`${server.url}/not-json`, { method: 'GET' })
      .catch((e: unknown) => e);
    expect((error as HttpsClientError).reason).toBe('not-json');
  });
});
