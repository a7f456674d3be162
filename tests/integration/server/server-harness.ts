// Test harness: a real Attaché server on loopback port 0 with its own temp data folder, plus
// small clients for the admin API, the broker and CouchDB itself. In the suite's Apache CouchDB
// runs (ATTACHE_TEST_BACKEND=couchdb, tests/support/couchdb.ts) the server runs on a CouchDB of
// its own instead of the embedded CouchDB-protocol server; the same tests pass on both.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../../server/src/config/config-schema.js';
import type { ServerConfig } from '../../../server/src/config/types.js';
import { userDbNames } from '../../../server/src/user-dbs/user-dbs.js';
import { startServer } from '../../../server/src/server.js';
import type { RunningServer } from '../../../server/src/server.js';
import { SignJWT, importJWK } from 'jose';
import { expect } from 'vitest';
import type { JWK } from 'jose';
import { idpKeysFile } from '../../../server/src/demo/idp/signing-keys.js';
import { DEV_IDP } from '../../../src/shared/protocol.js';
import {
  acquireTestCouchDb,
  findCouchDb,
  testBackend,
  userAuthFor,
} from '../../support/couchdb.js';
import type { TestBackend, TestCouchDb } from '../../support/couchdb.js';
import { basicAuthHeader } from '../../../server/src/couch/couch-auth.js';
import type { CouchCredentials } from '../../../server/src/couch/types.js';
import { couchEndpointRequest } from './couch-socket.js';
import { eventually } from '../../support/eventually.js';

/** A JSON reply; tests cast `body` to the shape they expect. */
export type Reply = { status: number; body: unknown };

export type Harness = {
  readonly server: RunningServer;
  readonly dataDir: string;
  /** Which CouchDB the server runs on. */
  readonly backend: TestBackend;
  /** Apache CouchDB, in the real-CouchDB runs; null on the embedded server. */
  readonly couch: TestCouchDb | null;
  /** Every folder where the server's CouchDB keeps database files. */
  readonly couchDataDirs: readonly string[];
  readonly adminToken: string;
  readonly serviceSecret: string;
  /** The server's CouchDB admin (the one it generated, or Apache CouchDB's). */
  readonly couchAdminCredentials: CouchCredentials;
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
   * A request straight to the server's CouchDB (the embedded server's Unix socket, or Apache
   * CouchDB's URL) as `user`, authenticated as the broker would be (derived password or token).
   */
  couchAs(user: string, method: string, pathAndQuery: string, body?: unknown): Promise<Reply>;
  /** The same as the service admin. */
  couchAdmin(method: string, pathAndQuery: string, body?: unknown): Promise<Reply>;
  dbNames: typeof userDbNames;
  restart(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * A refusal by CouchDB itself, whichever backend answered: Apache CouchDB and express-pouchdb
 * disagree on 401 against 403 (a non-member, a non-admin's database creation, deletion or
 * `_all_dbs`), so the status may be either, and the body must be CouchDB's error object and
 * nothing else: no document, no row, no database name. What did not happen is for the caller to
 * check (e.g. as the admin).
 */
export function expectRefused(reply: Reply, what = 'the request'): void {
  expect([401, 403], `${what}: ${JSON.stringify(reply.body)}`).toContain(reply.status);
  const body = reply.body as Record<string, unknown> | null;
  expect(Object.keys(body ?? {}).sort(), what).toEqual(['error', 'reason']);
  expect(typeof body?.['error'] === 'string' && typeof body['reason'] === 'string', what).toBe(
    true,
  );
}

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

/**
 * Apache CouchDB for one harness in the real-CouchDB runs (a fresh instance, or the shared server
 * wiped); null on the embedded backend or when the test names a CouchDB itself.
 */
export async function couchForTest(
  overrides: Partial<ServerConfig> = {},
  options: { userAuth?: 'jwt' | 'basic' } = {},
): Promise<TestCouchDb | null> {
  if (testBackend() !== 'couchdb' || overrides.couchUrl !== undefined) return null;
  const source = await findCouchDb('instances');
  // The couchdb project's runner skips every test before this where there is none.
  if (source.kind === 'unavailable') throw new Error(source.reason);
  return acquireTestCouchDb(source, options);
}

/** Parses the body of a reply as JSON where it is JSON. */
function parseReply(text: string): unknown {
  try {
    return text === '' ? null : (JSON.parse(text) as unknown);
  } catch {
    return text;
  }
}

export async function startHarness(
  overrides: Partial<ServerConfig> = {},
  options: { userAuth?: 'jwt' | 'basic' } = {},
): Promise<Harness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-server-'));
  const couch = await couchForTest(overrides, options);
  let config = testConfig(dataDir, { ...couch?.config, ...overrides });
  let server: RunningServer;
  try {
    server = await startServer(config);
  } catch (error) {
    await couch?.release();
    throw error;
  }
  // Restarts keep the provider's port: its issuer (and so every token's `iss`) names it.
  if (server.urls.idp) config = { ...config, idpPort: Number(new URL(server.urls.idp).port) };
  const adminToken = fs.readFileSync(server.files.adminToken, 'utf8').trim();
  const secrets = JSON.parse(fs.readFileSync(server.files.serverSecrets, 'utf8')) as {
    serviceSecret: string;
    couchAdmin: { username: string; password: string };
  };
  const userAuth = userAuthFor(config, secrets.serviceSecret);
  const admin = couch?.admin ?? secrets.couchAdmin;
  const couchReply = async (
    authorization: string,
    method: string,
    pathAndQuery: string,
    body: unknown,
  ): Promise<Reply> => {
    const res = await couchEndpointRequest(server.couch, method, pathAndQuery, {
      authorization,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: parseReply(res.text) };
  };

  const harness: Harness = {
    get server() {
      return server;
    },
    dataDir,
    backend: couch ? 'couchdb' : 'embedded',
    couch,
    couchDataDirs: couch ? [dataDir, ...(couch.dataDir ? [couch.dataDir] : [])] : [dataDir],
    adminToken,
    serviceSecret: secrets.serviceSecret,
    couchAdminCredentials: admin,
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
      return couchReply(await userAuth.authorization(user), method, pathAndQuery, body);
    },
    couchAdmin(method, pathAndQuery, body) {
      return couchReply(basicAuthHeader(admin), method, pathAndQuery, body);
    },
    async restart() {
      await server.stop();
      server = await startServer(config);
    },
    async stop() {
      try {
        await server.stop();
      } finally {
        await couch?.release();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
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
