// Which CouchDB a test's server runs on. The suite runs the backend-sensitive server integration
// tests and the device sync tests twice: on the embedded CouchDB-protocol server, and on Apache
// CouchDB 3.5 (the `couchdb` vitest project sets ATTACHE_TEST_BACKEND=couchdb; the shared harness
// then points the server at one).
//
// Where Apache CouchDB comes from, best first for the runner asking:
// - fresh instances, one per server a test starts, from the build in ../shared/couchdb/ (or
//   ATTACHE_TEST_COUCHDB_HOME, the tree scripts/test.sh extracted): nothing is shared, so test
//   files run in parallel (vitest);
// - one running server named by ATTACHE_TEST_COUCHDB_URL, _USER and _PASSWORD (scripts/test.sh
//   starts one; a developer may name their own): Attaché's databases on it are deleted before
//   each use, so its users must take turns (Playwright runs one test at a time; vitest runs one
//   file at a time then). _DATA_DIR names its data folder, for the tests that search its files;
//   _JWT_KEY_FILE the private key whose public half its [jwt_keys] holds (without it, per-user
//   Basic authentication).
// Where there is neither, the real-CouchDB runs report themselves skipped with the reason; in CI
// (`CI` set) they fail instead.
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ServerConfig } from '../../server/src/config/types.js';
import { CONTROL_DB } from '../../server/src/couch/control-db.js';
import type { CouchCredentials } from '../../server/src/couch/types.js';
import {
  couchJwtIni,
  createBasicUserAuth,
  createJwtUserAuth,
  parseJwtSigningKey,
} from '../../server/src/couch/user-auth.js';
import type { UserAuth } from '../../server/src/couch/user-auth.js';
import {
  COUCHDB_APT_PACKAGES,
  ensureCouchDbTree,
  missingLibraries,
  startCouchDbInstance,
} from './couchdb-instance.js';
import type { CouchDbInstance } from './couchdb-instance.js';

export type TestBackend = 'embedded' | 'couchdb';
export const TEST_BACKEND_VAR = 'ATTACHE_TEST_BACKEND';
/** The key id test instances accept tokens for (the product's default). */
export const TEST_JWT_KEY_ID = 'attache';

export function testBackend(env: NodeJS.ProcessEnv = process.env): TestBackend {
  const value = env[TEST_BACKEND_VAR] ?? 'embedded';
  if (value !== 'embedded' && value !== 'couchdb') {
    throw new Error(`${TEST_BACKEND_VAR}=${value}: expected "embedded" or "couchdb"`);
  }
  return value;
}

export type SharedCouchDb = {
  readonly url: string;
  readonly user: string;
  readonly password: string;
  readonly dataDir: string | null;
  readonly jwtKeyFile: string | null;
};

export type CouchDbSource =
  | { readonly kind: 'instances'; readonly tree: string }
  | { readonly kind: 'server'; readonly server: SharedCouchDb }
  | { readonly kind: 'unavailable'; readonly reason: string };

function sharedServer(env: NodeJS.ProcessEnv): SharedCouchDb | null {
  const url = env['ATTACHE_TEST_COUCHDB_URL'];
  const user = env['ATTACHE_TEST_COUCHDB_USER'];
  const password = env['ATTACHE_TEST_COUCHDB_PASSWORD'];
  if (!url || !user || !password) return null;
  return {
    url: url.replace(/\/+$/, ''),
    user,
    password,
    dataDir: env['ATTACHE_TEST_COUCHDB_DATA_DIR'] || null,
    jwtKeyFile: env['ATTACHE_TEST_COUCHDB_JWT_KEY_FILE'] || null,
  };
}

/** The extracted tree, or why there is none (no build, or libraries it needs are missing). */
async function tree(env: NodeJS.ProcessEnv): Promise<{ tree: string } | { reason: string }> {
  const home = env['ATTACHE_TEST_COUCHDB_HOME'];
  const found = home ? { tree: home } : await ensureCouchDbTree(env);
  if (found.tree === null) return { reason: 'reason' in found ? found.reason : 'no tree' };
  const missing = missingLibraries(found.tree);
  if (missing.length > 0) {
    return {
      reason: `Apache CouchDB cannot run here: ${missing.join(', ')} not found (as root: apt-get install ${COUCHDB_APT_PACKAGES.join(' ')}, which npm test does)`,
    };
  }
  return { tree: found.tree };
}

/**
 * Where a real-CouchDB run gets its CouchDB. `prefer`: 'instances' for runners that run tests in
 * parallel, 'server' for those that run one at a time (it saves a start per test).
 */
export async function findCouchDb(
  prefer: 'instances' | 'server',
  env: NodeJS.ProcessEnv = process.env,
): Promise<CouchDbSource> {
  const server = sharedServer(env);
  if (prefer === 'server' && server) return { kind: 'server', server };
  const found = await tree(env);
  if ('tree' in found) return { kind: 'instances', tree: found.tree };
  if (server) return { kind: 'server', server };
  return {
    kind: 'unavailable',
    reason: `Apache CouchDB tests skipped: ${found.reason}, and ATTACHE_TEST_COUCHDB_URL names no server (README, "Tests on Apache CouchDB")`,
  };
}

/**
 * Why a real-CouchDB run is skipped, or null when it can run. In CI a missing CouchDB is a
 * failure of the run, never a skip.
 */
export function skipReason(
  source: CouchDbSource,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  if (source.kind !== 'unavailable') return null;
  if (env['CI']) throw new Error(`CI must run the tests on Apache CouchDB: ${source.reason}`);
  return source.reason;
}

/** One CouchDB for one server under test, and Attaché's settings for it. */
export type TestCouchDb = {
  readonly url: string;
  readonly admin: CouchCredentials;
  /** Where its database files are; null for a server whose folder the environment does not name. */
  readonly dataDir: string | null;
  /** The server configuration that points Attaché at it. */
  readonly config: Partial<ServerConfig>;
  /** The same as environment variables, for a server started as its own process. */
  readonly env: Readonly<Record<string, string>>;
  /** The instance itself (fresh instances only), e.g. to stop it as an outage would. */
  readonly instance: CouchDbInstance | null;
  release(): Promise<void>;
};

/** Attaché's databases, which a shared server loses before each use. */
const ATTACHE_DB = /^(userdb-|returns-)/;

async function wipe(server: SharedCouchDb): Promise<void> {
  const authorization = `Basic ${Buffer.from(`${server.user}:${server.password}`).toString('base64')}`;
  const list = await fetch(`${server.url}/_all_dbs`, { headers: { authorization } });
  if (!list.ok) throw new Error(`${server.url}/_all_dbs answered ${list.status}`);
  for (const db of (await list.json()) as string[]) {
    if (db !== CONTROL_DB && !ATTACHE_DB.test(db)) continue;
    const res = await fetch(`${server.url}/${encodeURIComponent(db)}`, {
      method: 'DELETE',
      headers: { authorization },
    });
    if (!res.ok && res.status !== 404) throw new Error(`deleting ${db} answered ${res.status}`);
  }
}

function settings(options: {
  url: string;
  admin: CouchCredentials;
  secrets: string;
  jwtKeyFile: string | null;
}): { config: Partial<ServerConfig>; env: Record<string, string> } {
  const passwordFile = path.join(options.secrets, 'couch-password');
  fs.writeFileSync(passwordFile, options.admin.password, { mode: 0o600 });
  const auth = options.jwtKeyFile ? 'jwt' : 'basic';
  const config: Partial<ServerConfig> = {
    couchUrl: options.url,
    couchUser: options.admin.username,
    couchPasswordFile: passwordFile,
    couchUserAuth: auth,
    ...(options.jwtKeyFile ? { couchJwtKeyFile: options.jwtKeyFile } : {}),
  };
  const env: Record<string, string> = {
    ATTACHE_COUCH_URL: options.url,
    ATTACHE_COUCH_USER: options.admin.username,
    ATTACHE_COUCH_PASSWORD_FILE: passwordFile,
    ATTACHE_COUCH_USER_AUTH: auth,
    ...(options.jwtKeyFile ? { ATTACHE_COUCH_JWT_KEY_FILE: options.jwtKeyFile } : {}),
  };
  return { config, env };
}

/** A new EC P-256 key for the users' tokens, and the ini lines an instance needs to accept it. */
export function newJwtKey(secrets: string): { file: string; ini: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const file = path.join(secrets, 'couch-jwt.pem');
  fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), {
    mode: 0o600,
  });
  return { file, ini: couchJwtIni(privateKey, TEST_JWT_KEY_ID) };
}

/**
 * A CouchDB for one server under test: a fresh instance (which accepts the users' tokens, the
 * production mode), or the shared server with Attaché's databases deleted. `userAuth: 'basic'`
 * has the server use per-user Basic authentication instead.
 */
export async function acquireTestCouchDb(
  source: Exclude<CouchDbSource, { kind: 'unavailable' }>,
  options: { readonly userAuth?: 'jwt' | 'basic'; readonly ini?: string } = {},
): Promise<TestCouchDb> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-couchdb-'));
  const secrets = path.join(dir, 'secrets');
  fs.mkdirSync(secrets, { mode: 0o700 });
  try {
    if (source.kind === 'server') {
      const { server } = source;
      await wipe(server);
      const admin = { username: server.user, password: server.password };
      const jwtKeyFile = options.userAuth === 'basic' ? null : server.jwtKeyFile;
      return {
        url: server.url,
        admin,
        dataDir: server.dataDir,
        ...settings({ url: server.url, admin, secrets, jwtKeyFile }),
        instance: null,
        release: () => Promise.resolve(fs.rmSync(dir, { recursive: true, force: true })),
      };
    }
    const key = newJwtKey(secrets);
    const instance = await startCouchDbInstance({
      tree: source.tree,
      dir: path.join(dir, 'couchdb'),
      ini: `${key.ini}\n${options.ini ?? ''}`,
    });
    const admin = { username: instance.user, password: instance.password };
    const jwtKeyFile = options.userAuth === 'basic' ? null : key.file;
    return {
      url: instance.url,
      admin,
      dataDir: instance.dataDir,
      ...settings({ url: instance.url, admin, secrets, jwtKeyFile }),
      instance,
      async release() {
        await instance.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * How a test acts as a user directly against CouchDB, exactly as the server's broker does for
 * this configuration (a token, or Basic with the derived password).
 */
export function userAuthFor(config: ServerConfig, serviceSecret: string): UserAuth {
  if (config.couchUserAuth === 'basic') return createBasicUserAuth(serviceSecret);
  return createJwtUserAuth({
    signingKey: parseJwtSigningKey(fs.readFileSync(config.couchJwtKeyFile, 'utf8')),
    keyId: config.couchJwtKeyId,
  });
}
