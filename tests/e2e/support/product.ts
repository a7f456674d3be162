// The whole product on this machine, as the README's quick start runs it: the server process
// (demo SOR, embedded CouchDB-protocol server, queue, poller, fan-out, broker) and the reader's
// browser host process (the device side), from the build output, on free loopback ports with
// their own temporary data folders. Either side can be stopped and started again.
//
// The device signs in through the server's development OpenID provider (https, local CA) with
// msal-node, its secrets in the OS keychain: run inside a D-Bus session with an unlocked
// gnome-keyring (scripts/test.sh does).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { serverSecretsFile } from '../../../server/src/config/server-secrets.js';
import {
  EMBEDDED_COUCH_ORIGIN,
  embeddedCouchPaths,
} from '../../../server/src/couch/embedded-couch-process.js';
import { keychainServiceFor } from '../../../src/main/secrets/keychain-service.js';
import type { CouchReply } from '../../integration/server/couch-socket.js';
import { basic, couchEndpointRequest } from '../../integration/server/couch-socket.js';
import { freePort, startNode, waitFor, type Proc } from './processes.js';

const repo = resolve(import.meta.dirname, '../../..');
const SERVER_ENTRY = join(repo, 'dist/server/src/main.js');
const HOST_ENTRY = join(repo, 'dist/src/host/main.js');

export type SorBriefingInput = {
  readonly title: string;
  readonly bodyHtml: string;
  readonly summary?: string;
  readonly classification: string;
  readonly priority: 'routine' | 'priority' | 'urgent';
  readonly recipients?: readonly string[];
  readonly attachments?: readonly { name: string; contentType: string; dataBase64: string }[];
};

export type ProductOptions = {
  /** The device's offline sign-in period (ATTACHE_MAX_OFFLINE_DAYS); fractions for tests. */
  readonly maxOfflineDays?: number;
  /** The device's log level (ATTACHE_LOG_LEVEL); `debug` includes msal's own lines. */
  readonly hostLogLevel?: 'debug' | 'info';
  /** Whether `start` also starts the reader's browser host (default true); the fixture starts it itself. */
  readonly startHost?: boolean;
  /**
   * The organisation's managed policy for the device (the Linux policy file's keys, e.g.
   * `{ Theme: 'dark' }`): written to a file the device reads through ATTACHE_POLICY_FILE, in
   * either shell. None: no policy file.
   */
  readonly policy?: Readonly<Record<string, unknown>>;
  /** More settings for the server process, e.g. the Apache CouchDB it runs on. */
  readonly serverEnvironment?: Readonly<Record<string, string>>;
};

export class Product {
  private server: Proc | null = null;
  private host: Proc | null = null;
  /** Every line every host process printed, across restarts. */
  private readonly hostLines: string[] = [];
  readerUrl = '';
  /**
   * The broker's address as the device is given it when it next starts: the broker itself unless
   * a test puts something between them (support/slow-link.ts).
   */
  deviceBrokerUrl = '';

  private constructor(
    readonly root: string,
    readonly ports: {
      sor: number;
      broker: number;
      ops: number;
      reader: number;
      idp: number;
    },
    readonly options: ProductOptions,
  ) {
    this.deviceBrokerUrl = `http://127.0.0.1:${ports.broker}`;
  }

  static async start(options: ProductOptions = {}): Promise<Product> {
    const root = mkdtempSync(join(tmpdir(), 'attache-e2e-'));
    const ports = {
      sor: await freePort(),
      broker: await freePort(),
      ops: await freePort(),
      reader: await freePort(),
      // Fixed for the product's lifetime: the issuer names its port, and a restarted server
      // must be the same identity provider the device signed in with.
      idp: await freePort(),
    };
    const product = new Product(root, ports, options);
    if (product.policyFile) {
      mkdirSync(dirname(product.policyFile), { recursive: true });
      writeFileSync(product.policyFile, JSON.stringify(options.policy));
    }
    await product.startServer();
    if (options.startHost !== false) await product.startHost();
    return product;
  }

  get sorUrl(): string {
    return `http://127.0.0.1:${this.ports.sor}`;
  }

  /** The development OpenID provider, as the device's ATTACHE_AUTHORITY (trailing slash). */
  get authority(): string {
    return `https://127.0.0.1:${this.ports.idp}/`;
  }

  /** The development CA the server generated; the device trusts it for the provider. */
  get caFile(): string {
    return join(this.root, 'server/secrets/dev-ca.pem');
  }

  get deviceDataDir(): string {
    return join(this.root, 'device');
  }

  /** The managed policy file the device reads (ProductOptions.policy), or null. */
  get policyFile(): string | null {
    return this.options.policy ? join(this.root, 'policy', 'policy.json') : null;
  }

  /** What points the device (host or app, both run as development builds) at the policy file. */
  devicePolicyEnvironment(): Record<string, string> {
    return this.policyFile ? { ATTACHE_POLICY_FILE: this.policyFile } : {};
  }

  /** The keychain service under which the host keeps this device's secrets. */
  get keychainService(): string {
    return keychainServiceFor(this.deviceDataDir);
  }

  async startServer(): Promise<void> {
    this.server = startNode('server', SERVER_ENTRY, {
      ATTACHE_DATA_DIR: join(this.root, 'server'),
      ATTACHE_SOR_PORT: String(this.ports.sor),
      ATTACHE_BROKER_PORT: String(this.ports.broker),
      ATTACHE_OPS_PORT: String(this.ports.ops),
      ATTACHE_POLL_INTERVAL_MS: '250',
      ATTACHE_IDP_PORT: String(this.ports.idp),
      ...this.options.serverEnvironment,
    });
    const server = this.server;
    await waitFor(
      'server /healthz',
      async () => {
        const r = await fetch(`http://127.0.0.1:${this.ports.ops}/healthz`);
        return r.ok ? true : undefined;
      },
      60_000,
      server,
    );
  }

  async stopServer(): Promise<void> {
    await this.server?.stop();
    this.server = null;
  }

  /** Starts the reader's host; `readerUrl` then carries the new launch secret. */
  async startHost(): Promise<string> {
    this.host = startNode(
      'host',
      HOST_ENTRY,
      {
        ATTACHE_DEVICE_DATA_DIR: this.deviceDataDir,
        ATTACHE_BROKER_URL: this.deviceBrokerUrl,
        ATTACHE_READER_PORT: String(this.ports.reader),
        ATTACHE_READER_STATIC_DIR: join(repo, 'out/renderer'),
        ATTACHE_AUTHORITY: this.authority,
        ATTACHE_TLS_CA_FILE: this.caFile,
        ...(this.options.maxOfflineDays === undefined
          ? {}
          : { ATTACHE_MAX_OFFLINE_DAYS: String(this.options.maxOfflineDays) }),
        ...(this.options.hostLogLevel ? { ATTACHE_LOG_LEVEL: this.options.hostLogLevel } : {}),
        ...this.devicePolicyEnvironment(),
      },
      (line) => this.hostLines.push(line),
    );
    const host = this.host;
    this.readerUrl = await waitFor(
      'reader host',
      () => {
        for (const line of host.output) {
          const m = /^Reader ready: (\S+)/.exec(line);
          if (m?.[1]) return Promise.resolve(m[1]);
        }
        return Promise.resolve(undefined);
      },
      30_000,
      host,
    );
    return this.readerUrl;
  }

  async stopHost(): Promise<void> {
    await this.host?.stop();
    this.host = null;
  }

  /**
   * A request to the server's database as its administrator, as the fan-out writes: the
   * embedded server through its socket, or the Apache CouchDB the server was started on.
   */
  couchAdmin(method: string, path: string, body?: unknown): Promise<CouchReply> {
    const env = this.options.serverEnvironment ?? {};
    const url = env['ATTACHE_COUCH_URL'];
    const init = (authorization: string) => ({
      authorization,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (url) {
      const user = env['ATTACHE_COUCH_USER'] ?? '';
      const password = readFileSync(env['ATTACHE_COUCH_PASSWORD_FILE'] ?? '', 'utf8').trim();
      return couchEndpointRequest(
        { url, socketPath: null },
        method,
        path,
        init(basic({ username: user, password })),
      );
    }
    const serverDir = join(this.root, 'server');
    const { couchAdmin } = JSON.parse(readFileSync(serverSecretsFile(serverDir), 'utf8')) as {
      couchAdmin: { username: string; password: string };
    };
    return couchEndpointRequest(
      { url: EMBEDDED_COUCH_ORIGIN, socketPath: embeddedCouchPaths(serverDir).socketPath },
      method,
      path,
      init(basic(couchAdmin)),
    );
  }

  private adminToken(): string {
    return readFileSync(join(this.root, 'server/secrets/admin-token'), 'utf8').trim();
  }

  async sor<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await fetch(`${this.sorUrl}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${this.adminToken()}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`SOR admin ${method} ${path} answered ${r.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  createBriefing(input: SorBriefingInput): Promise<{ sorId: string; version: number }> {
    return this.sor('POST', '/briefings', input);
  }

  unshare(sorId: string, users: readonly string[]): Promise<unknown> {
    return this.sor('POST', `/briefings/${encodeURIComponent(sorId)}/unshare`, { users });
  }

  /** The ops server's admin endpoints (device list, remote wipe), with the admin token. */
  async ops<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await fetch(`http://127.0.0.1:${this.ports.ops}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.adminToken()}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`ops ${method} ${path} answered ${r.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  /** The id the host made for this device on its first run. */
  deviceId(): string {
    return readFileSync(join(this.deviceDataDir, 'device-id'), 'utf8').trim();
  }

  /** The server's audit trail, one record per line. */
  auditTrail(): Record<string, unknown>[] {
    return readFileSync(join(this.root, 'server/audit/audit.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** What the host printed (stdout and stderr), e.g. to prove a token never reached a log. */
  hostOutput(): string {
    return this.hostLines.join('\n');
  }

  /** Everything the processes printed, for a failing test's message. */
  logs(): string {
    return [...(this.server?.output ?? []), ...(this.host?.output ?? [])].join('\n');
  }

  async stop(): Promise<void> {
    await this.stopHost();
    await this.stopServer();
    rmSync(this.root, { recursive: true, force: true });
  }
}
