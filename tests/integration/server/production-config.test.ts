// Production settings at work: an instance that uses an external CouchDB over HTTP (here another
// instance's CouchDB-protocol server, standing in for Apache CouchDB 3: it listens on a Unix
// socket only, so a test-only TCP relay on loopback gives it the URL an external CouchDB has)
// with configured credentials and a shared service secret; configuration that cannot work stops the start with
// an error naming the key; and the operations endpoints (metrics, runbook actions).
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/src/config/config-schema.js';
import { ConfigError } from '../../../server/src/config/types.js';
import type { ServerConfig } from '../../../server/src/config/types.js';
import { startServer } from '../../../server/src/server.js';
import { newJwtKey } from '../../support/couchdb.js';
import { briefingInput, startHarness, waitFor } from './server-harness.js';
import type { Harness } from './server-harness.js';

let a: Harness;
let dir: string;
let couchPassword: string;
/** http://127.0.0.1:<port> of the relay to instance A's CouchDB-protocol server. */
let externalCouchUrl: string;
let relay: net.Server | null = null;
/** The service admin B signs in as, and how it acts as users there. */
let couchUser = 'attache-service';
let userAuth: Partial<ServerConfig> = { couchUserAuth: 'basic' };

/** A TCP listener on loopback that pipes each connection to a Unix socket (test fake of a network CouchDB). */
async function tcpRelayTo(socketPath: string): Promise<net.Server> {
  const server = net.createServer((client) => {
    const upstream = net.createConnection({ path: socketPath });
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function configB(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return parseConfig({
    dataDir: path.join(dir, 'b'),
    sorPort: 0,
    brokerPort: 0,
    opsPort: 0,
    logLevel: process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent',
    devIdp: false,
    tokenIssuer: 'https://issuer.invalid',
    seedDemoData: false,
    instanceId: 'instance-b',
    pollIntervalMs: 100,
    fanoutIdleMs: 50,
    couchUrl: externalCouchUrl,
    couchUser,
    couchPasswordFile: path.join(dir, 'couch-password'),
    serviceSecretFile: path.join(dir, 'service-secret'),
    ...userAuth,
    ...overrides,
  });
}

async function startFailure(config: ServerConfig): Promise<ConfigError> {
  try {
    const server = await startServer(config);
    await server.stop();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the start to fail');
}

beforeAll(async () => {
  // Instance A owns the CouchDB-protocol server but does not poll (its demo SOR stays empty):
  // one poller lease per CouchDB, and instance B's SOR is the one with briefings.
  a = await startHarness({ seedDemoData: false, pollerEnabled: false, returnsEnabled: false });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-prod-config-'));
  const secrets = JSON.parse(fs.readFileSync(a.server.files.serverSecrets, 'utf8')) as {
    couchAdmin: { password: string };
    serviceSecret: string;
  };
  if (a.couch) {
    // On Apache CouchDB, A's CouchDB is external already: B joins it as A does (same admin, same
    // token key).
    externalCouchUrl = a.couch.url;
    couchUser = a.couch.admin.username;
    couchPassword = a.couch.admin.password;
    // A acts as users by token (the production mode); B by per-user Basic: both modes on one
    // CouchDB, each reading what the other wrote.
    userAuth = { couchUserAuth: 'basic' };
  } else {
    relay = await tcpRelayTo(a.server.couch.socketPath ?? '');
    externalCouchUrl = `http://127.0.0.1:${(relay.address() as net.AddressInfo).port}`;
    couchPassword = secrets.couchAdmin.password;
  }
  fs.writeFileSync(path.join(dir, 'couch-password'), `${couchPassword}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'service-secret'), secrets.serviceSecret, { mode: 0o600 });
});
afterAll(async () => {
  relay?.close();
  await a?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('an instance on an external CouchDB', () => {
  it('delivers into the external CouchDB, where the users’ credentials (shared secret) read it', async () => {
    const b = await startServer(configB());
    try {
      expect(b.couch).toMatchObject({ url: externalCouchUrl, socketPath: null, embedded: null });
      const token = fs.readFileSync(b.files.adminToken, 'utf8').trim();
      const res = await fetch(`${b.urls.sor}/admin/briefings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(briefingInput('Through an external CouchDB', ['quinn.adeyemi'])),
      });
      const { sorId } = (await res.json()) as { sorId: string };
      const doc = await waitFor('delivery', async () => {
        const got = await a.couchAs(
          'quinn.adeyemi',
          'GET',
          `/${a.dbNames('quinn.adeyemi').briefings}/briefing:${sorId}`,
        );
        return got.status === 200 ? got.body : undefined;
      });
      expect(doc).toMatchObject({ title: 'Through an external CouchDB', sourceVersion: 1 });
      const metrics = await (await fetch(`${b.urls.ops}/metrics`)).text();
      expect(metrics).toMatch(/^attache_lease_held\{lease="poller"\} 1$/m);
    } finally {
      await b.stop();
    }
  });
});

describe('configuration checked at start', () => {
  it('names an unreadable password file', async () => {
    const error = await startFailure(configB({ couchPasswordFile: path.join(dir, 'nope') }));
    expect(error.problems).toEqual([
      `couchPasswordFile (ATTACHE_COUCH_PASSWORD_FILE): cannot read "${path.join(dir, 'nope')}" (ENOENT)`,
    ]);
  });

  it('says when CouchDB refuses the credentials, and when it cannot be reached', async () => {
    fs.writeFileSync(path.join(dir, 'wrong-password'), 'not-the-password');
    const refused = await startFailure(
      configB({ couchPasswordFile: path.join(dir, 'wrong-password') }),
    );
    expect(refused.message).toContain('Cannot sign in to CouchDB');
    expect(refused.problems[0]).toContain(
      `couchUser (ATTACHE_COUCH_USER): CouchDB at ${externalCouchUrl} refused "${couchUser}"`,
    );
    expect(refused.message).not.toContain('not-the-password');
    const unreachable = await startFailure(configB({ couchUrl: 'http://127.0.0.1:9' }));
    expect(unreachable.problems[0]).toMatch(/^couchUrl \(ATTACHE_COUCH_URL\): cannot reach/);
  });

  it('refuses a service secret too short to derive passwords from', async () => {
    fs.writeFileSync(path.join(dir, 'short-secret'), 'short');
    const error = await startFailure(
      configB({ serviceSecretFile: path.join(dir, 'short-secret') }),
    );
    expect(error.problems[0]).toMatch(
      /^serviceSecretFile \(ATTACHE_SERVICE_SECRET_FILE\): .* holds fewer than 32 characters$/,
    );
  });
});

describe('per-user tokens on Apache CouchDB', () => {
  it('stops the start when CouchDB does not take the tokens, with the ini lines it needs', async (context) => {
    if (!a.couch) return context.skip('the embedded server has no JWT handler');
    const key = newJwtKey(fs.mkdtempSync(path.join(dir, 'other-key-')));
    const error = await startFailure(
      configB({ couchUserAuth: 'jwt', couchJwtKeyFile: key.file, couchJwtKeyId: 'attache' }),
    );
    expect(error.message).toContain('Cannot act as users in CouchDB');
    expect(error.problems[0]).toContain(`CouchDB at ${externalCouchUrl} does not accept`);
    // The public half of the key it was given, for the operator to add.
    expect(error.problems[0]).toContain(/^ec:attache = .*$/m.exec(key.ini)?.[0] ?? 'no key line');
  });
});

describe('operations endpoints', () => {
  it('publishes the pipeline metrics', async () => {
    const text = await (await fetch(`${a.server.urls.ops}/metrics`)).text();
    for (const line of [
      /^attache_queue_depth\{state="delayed"\} \d+$/m,
      /^attache_fanout_events_processed_total\{outcome="written"\} \d+$/m,
      /^attache_fanout_events_failed_total\{disposition="dead_letter"\} \d+$/m,
      /^attache_approval_to_couch_lag_seconds_bucket\{le="1"\} \d+$/m,
      /^attache_sor_changes_queued_total \d+$/m,
      /^attache_lease_held\{lease="poller"\} 0$/m, // instance A does not poll
      /^attache_returns_processed_total\{outcome="stored"\} \d+$/m,
    ]) {
      expect(text).toMatch(line);
    }
  });

  it('runs the runbook actions for operators only, with clear answers', async () => {
    const post = (route: string, body: unknown, token?: string) =>
      fetch(`${a.server.urls.ops}${route}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    expect((await post('/dead-letters/replay', {})).status).toBe(401);
    expect((await post('/poller/cursor', { cursor: null })).status).toBe(401);
    const replay = await post('/dead-letters/replay', {}, a.adminToken);
    expect(await replay.json()).toEqual({ replayed: 0 });
    const bad = await post('/poller/cursor', { cursor: 12 }, a.adminToken);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('{"cursor": null}');
    const reset = await post('/poller/cursor', { cursor: '0' }, a.adminToken);
    expect(await reset.json()).toEqual({ cursor: '0' });
  });
});
