// Every listener the server starts by default (SOR admin API, broker, ops, embedded
// CouchDB-protocol server, development provider), and the reader's browser host, accepts
// connections on 127.0.0.1 and on no other address of this machine: not ::1, not the machine's
// network addresses, not another loopback address such as 127.0.0.2 (which a wildcard bind
// would answer even on a machine with no network).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHost } from '../../../src/host/host.js';
import { startHost } from '../../../src/host/host.js';
import {
  createInMemoryKeychainTestDouble,
  createScriptedIdentity,
} from '../../unit/device/auth-doubles.js';
import { memoryLogger, tempDir } from '../../unit/device/fixtures.js';
import { accepts, otherAddresses } from '../net-probes.js';
import { startHarness } from './server-harness.js';
import type { Harness } from './server-harness.js';

/** The addresses among 127.0.0.1 and every other one that accept on `port`. */
async function acceptingAddresses(port: number): Promise<string[]> {
  const open: string[] = [];
  for (const address of ['127.0.0.1', ...otherAddresses()]) {
    if (await accepts(address, port)) open.push(address);
  }
  return open;
}

function portOf(url: string): number {
  const port = Number(new URL(url).port);
  expect(port).toBeGreaterThan(0);
  return port;
}

describe('every server component listens on 127.0.0.1 only', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ seedDemoData: false });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('the server was started with every component on and every port chosen by the system', () => {
    const { urls } = h.server;
    expect(urls.sor).not.toBe('');
    expect(urls.idp).not.toBeNull();
    const ports = [urls.sor, urls.broker, urls.ops, urls.couch, urls.idp ?? ''].map(portOf);
    expect(new Set(ports).size).toBe(5);
  });

  for (const component of ['sor', 'broker', 'ops', 'couch', 'idp'] as const) {
    it(`${component} accepts on 127.0.0.1 and on no other address`, async () => {
      const port = portOf(h.server.urls[component] ?? '');
      expect(await acceptingAddresses(port)).toEqual(['127.0.0.1']);
    });
  }
});

describe("the reader's browser host listens on 127.0.0.1 only", () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  let web: Awaited<ReturnType<typeof tempDir>>;
  let host: RunningHost;

  beforeAll(async () => {
    data = await tempDir('it-loopback-host-data');
    web = await tempDir('it-loopback-host-web');
    const keychain = createInMemoryKeychainTestDouble();
    const { identity, script } = createScriptedIdentity({ keychain, now: Date.now });
    script.online = false;
    host = await startHost({
      dataDir: data.path,
      // Nothing listens on port 9 (discard): the host starts with the server unreachable.
      brokerUrl: 'http://127.0.0.1:9',
      auth: { identity, keychain, maxOfflineDays: 14 },
      port: 0,
      staticDir: web.path,
      logger: memoryLogger().logger,
    });
  });
  afterAll(async () => {
    await host?.stop();
    await data?.remove();
    await web?.remove();
  });

  it('accepts on 127.0.0.1 and on no other address', async () => {
    expect(await acceptingAddresses(portOf(host.origin))).toEqual(['127.0.0.1']);
  });
});
