// Test harness: a real Attaché server on loopback port 0 with its own temp data folder, plus
// small clients for the admin API, the broker and CouchDB itself.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../server/src/config/config-schema.js';
import type { ServerConfig } from '../../../server/src/config/types.js';
import { deriveCouchPassword, userDbNames } from '../../../server/src/user-dbs/user-dbs.js';
import { startServer } from '../../../server/src/server.js';
import type { RunningServer } from '../../../server/src/server.js';
import { SignJWT, importJWK } from 'jose';
import type { JWK } from 'jose';
import { idpKeysFile } from '../../../server/src/demo/idp/signing-keys.js';
import { DEV_IDP } from '../../../src/shared/protocol.js';
import { basic, couchRequest } from './couch-socket.js';
import { eventually } from '../../support/eventually.js';

/** A JSON reply; tests cast `body` to the shape they expect. */
export type Reply = { status: number; body: unknown };

export type Harness = {
  readonly server: RunningServer;
  readonly dataDir: string;
  readonly adminToken: string;
  readonly serviceSecret: string;
  admin(method: string, route: string, body?: unknown): Promise<Reply>;
  /**
   * An access token for `user` exactly as the development provider issues it, signed with the
   * provider's current key. The provider has three sample accounts; pipeline tests use many
   * users. Tests of sign-in itself use idp-client.ts (password sign-in) or msal-node.
   */
  devToken(user: string): Promise<string>;
  broker(
    pathAndQuery: string,
    init?: { method?: string; token?: string; body?: unknown },
  ): Promise<Reply & { headers: Headers }>;
  /**
   * Basic-auth request straight to the CouchDB-protocol server (its Unix socket) as `user`
   * (derived password).
   */
  couchAs(user: string, method: string, pathAndQuery: string, body?: unknown): Promise<Reply>;
  dbNames: typeof userDbNames;
  restart(): Promise<void>;
  stop(): Promise<void>;
};

export function testConfig(dataDir: string, overrides: Partial<ServerConfig> = {}): ServerConfig {
  return parseConfig({
    dataDir,
    sorPort: 0,
    brokerPort: 0,
    opsPort: 0,
    // parseConfig validates it; ATTACHE_TEST_LOG_LEVEL=info shows the server's log.
    logLevel: process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent',
    pollIntervalMs: 100,
    fanoutIdleMs: 50,
    idpPort: 0,
    queueRetryBaseMs: 100,
    queueRetryMaxMs: 1000,
    ...overrides,
  });
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return text === '' ? null : (JSON.parse(text) as unknown);
  } catch {
    return text;
  }
}

export async function startHarness(overrides: Partial<ServerConfig> = {}): Promise<Harness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-server-'));
  let config = testConfig(dataDir, overrides);
  let server = await startServer(config);
  // Restarts keep the provider's port: its issuer (and so every token's `iss`) names it.
  if (server.urls.idp) config = { ...config, idpPort: Number(new URL(server.urls.idp).port) };
  const adminToken = fs.readFileSync(server.files.adminToken, 'utf8').trim();
  const secrets = JSON.parse(fs.readFileSync(server.files.serverSecrets, 'utf8')) as {
    serviceSecret: string;
  };

  const harness: Harness = {
    get server() {
      return server;
    },
    dataDir,
    adminToken,
    serviceSecret: secrets.serviceSecret,
    dbNames: userDbNames,
    async admin(method, route, body) {
      const res = await fetch(`${server.urls.sor}/admin${route}`, {
        method,
        headers: {
          authorization: `Bearer ${adminToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await readJson(res) };
    },
    async devToken(user) {
      const { keys } = JSON.parse(fs.readFileSync(idpKeysFile(dataDir), 'utf8')) as {
        keys: (JWK & { kid: string })[];
      };
      const current = keys[0]!;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        scope: `${DEV_IDP.brokerAudience}/${DEV_IDP.syncScope}`,
        client_id: DEV_IDP.readerClientId,
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: current.kid })
        .setSubject(user)
        .setIssuer(server.urls.idp ?? '')
        .setAudience(DEV_IDP.brokerAudience)
        .setIssuedAt(now)
        .setExpirationTime(now + 900)
        .sign(await importJWK(current, 'ES256'));
    },
    async broker(pathAndQuery, init = {}) {
      const res = await fetch(`${server.urls.broker}${pathAndQuery}`, {
        method: init.method ?? 'GET',
        headers: {
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      return { status: res.status, body: await readJson(res), headers: res.headers };
    },
    async couchAs(user, method, pathAndQuery, body) {
      const password = deriveCouchPassword(secrets.serviceSecret, user);
      const res = await couchRequest(server.couch.socketPath ?? '', method, pathAndQuery, {
        authorization: basic({ username: user, password }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      let parsed: unknown;
      try {
        parsed = res.text === '' ? null : (JSON.parse(res.text) as unknown);
      } catch {
        parsed = res.text;
      }
      return { status: res.status, body: parsed };
    },
    async restart() {
      await server.stop();
      server = await startServer(config);
    },
    async stop() {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Waits until `probe` returns a value other than undefined (tests/support/eventually.ts). */
export function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  return eventually(
    async () => {
      const value = await probe();
      if (value === undefined) throw new Error('not yet');
      return value;
    },
    { what, timeout: timeoutMs, interval: 100 },
  );
}

export function briefingInput(
  title: string,
  recipients: string[],
  extra: Record<string, unknown> = {},
) {
  return {
    title,
    summary: `Summary of ${title}`,
    bodyHtml: '<h2>Purpose</h2><p>To brief you.</p>',
    classification: 'OFFICIAL: Sensitive',
    priority: 'priority',
    recipients,
    ...extra,
  };
}
