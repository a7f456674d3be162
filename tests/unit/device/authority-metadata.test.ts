import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthorityMetadataError,
  cloudDiscoveryFor,
  createAuthorityMetadataStore,
  discoveryUrl,
} from '../../../src/main/auth/authority-metadata.js';
import { createHttpsClient } from '../../../src/main/auth/https-client.js';
import { memoryLogger, tempDir } from './fixtures.js';
import type { TestTls } from './tls-fixture.js';
import { createTestTls, startHttpsServer } from './tls-fixture.js';

describe('authority metadata (the saved discovery document)', () => {
  let tls: TestTls;
  let server: Awaited<ReturnType<typeof startHttpsServer>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let issuer: string;
  let served: Record<string, unknown> = {};

  beforeAll(async () => {
    tls = await createTestTls();
    dir = await tempDir('authority-metadata');
    server = await startHttpsServer(tls, (request, response) => {
      if (request.url !== '/.well-known/openid-configuration') {
        response.writeHead(404).end('{}');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(served));
    });
    issuer = server.url;
  });
  afterAll(async () => {
    await server.close();
    await dir.remove();
  });

  const store = (file: string, online = true) =>
    createAuthorityMetadataStore({
      file,
      authority: `${issuer}/`,
      flavour: 'oidc',
      https: createHttpsClient({ extraCaPem: online ? tls.caPem : null }),
      logger: memoryLogger().logger,
    });
  const document = () => ({
    issuer,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    end_session_endpoint: `${issuer}/session/end`,
  });

  it('fetches and saves the document, then serves it with the provider unreachable', async () => {
    served = document();
    const file = join(dir.path, 'a', 'authority-metadata.json');
    const fetched = await store(file).refresh();
    expect(JSON.parse(fetched.authorityMetadata)).toMatchObject(document());
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ authority: `${issuer}/` });
    // A client that cannot even complete TLS stands for "offline".
    const offline = await store(file, false).load();
    expect(offline).toEqual(fetched);
  });

  it('knows nothing for another authority or a missing file', async () => {
    served = document();
    const file = join(dir.path, 'b', 'authority-metadata.json');
    expect(await store(file).load()).toBeNull();
    await store(file).refresh();
    const other = createAuthorityMetadataStore({
      file,
      authority: 'https://login.example.test/',
      flavour: 'oidc',
      https: createHttpsClient(),
      logger: memoryLogger().logger,
    });
    expect(await other.load()).toBeNull();
  });

  it('refuses a document whose issuer is not the configured authority', async () => {
    served = { ...document(), issuer: 'https://evil.example.test' };
    await expect(store(join(dir.path, 'c.json')).refresh()).rejects.toThrow(AuthorityMetadataError);
  });

  it('refuses an incomplete document or one with plain http endpoints', async () => {
    served = { ...document(), token_endpoint: `http://127.0.0.1/token` };
    await expect(store(join(dir.path, 'd.json')).refresh()).rejects.toThrow(/token_endpoint/);
    served = { issuer };
    await expect(store(join(dir.path, 'e.json')).refresh()).rejects.toThrow(/incomplete/);
  });

  it('names the authority as its own cloud, so msal never runs instance discovery', () => {
    expect(discoveryUrl('https://127.0.0.1:5443/', 'oidc')).toBe(
      'https://127.0.0.1:5443/.well-known/openid-configuration',
    );
    expect(discoveryUrl('https://login.microsoftonline.com/contoso/', 'entra')).toBe(
      'https://login.microsoftonline.com/contoso/v2.0/.well-known/openid-configuration',
    );
    expect(JSON.parse(cloudDiscoveryFor('https://127.0.0.1:5443/', 'oidc'))).toMatchObject({
      metadata: [{ aliases: ['127.0.0.1:5443'], preferred_cache: '127.0.0.1:5443' }],
    });
  });
});
