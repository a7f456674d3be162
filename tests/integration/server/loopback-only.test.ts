// Every TCP listener the server starts by default (SOR admin API, broker, ops, development
// provider), and the reader's browser host, accepts connections on 127.0.0.1 and on no other
// address of this machine: not ::1, not the machine's network addresses, not another loopback
// address such as 127.0.0.2 (which a wildcard bind would answer even on a machine with no
// network). The embedded CouchDB-protocol server has no TCP port at all: its process listens on
// one Unix socket, in an owner-only folder.
import fs from 'node:fs';
import path from 'node:path';
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
    const ports = [urls.sor, urls.broker, urls.ops, urls.idp ?? ''].map(portOf);
    expect(new Set(ports).size).toBe(4);
  });

  for (const component of ['sor', 'broker', 'ops', 'idp'] as const) {
    it(`${component} accepts on 127.0.0.1 and on no other address`, async () => {
      const port = portOf(h.server.urls[component] ?? '');
      expect(await acceptingAddresses(port)).toEqual(['127.0.0.1']);
    });
  }
});

/** Inodes of the sockets process `pid` holds open. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  return inodes;
}

/** Local ports of the TCP sockets (IPv4 and IPv6) process `pid` listens on (Linux /proc). */
function listeningTcpPorts(pid: number): number[] {
  const mine = socketInodes(pid);
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const lines = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      // local_address is addr:port in hex; st 0A is LISTEN; field 9 is the inode.
      if (fields[3] === '0A' && mine.has(fields[9] ?? '')) {
        ports.push(parseInt(fields[1]?.split(':')[1] ?? '', 16));
      }
    }
  }
  return ports.sort((a, b) => a - b);
}

/** Paths of the Unix sockets process `pid` listens on. */
function listeningUnixSockets(pid: number): string[] {
  const mine = socketInodes(pid);
  return (
    fs
      .readFileSync(`/proc/${pid}/net/unix`, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      // Flags 00010000 is __SO_ACCEPTCON (listening); field 6 is the inode, 7 the path.
      .filter((fields) => fields[3] === '00010000' && mine.has(fields[6] ?? ''))
      .map((fields) => fields[7] ?? '')
  );
}

describe.runIf(process.platform === 'linux')(
  'the embedded CouchDB-protocol server has no TCP port',
  () => {
    let h: Harness;

    beforeAll(async () => {
      h = await startHarness({
        seedDemoData: false,
        devIdp: false,
        tokenIssuer: 'https://x.invalid',
      });
    });
    afterAll(async () => {
      await h?.stop();
    });

    it('listens on no TCP port, only on its Unix socket (the probe sees the server’s own ports)', () => {
      const pid = h.server.couch.embedded?.pid();
      expect(pid, 'the embedded server runs in a process of its own').toBeTypeOf('number');
      expect(pid).not.toBe(process.pid);
      // The same probe finds the broker's port in the server process: it can see listeners.
      expect(listeningTcpPorts(process.pid)).toContain(portOf(h.server.urls.broker));
      expect(listeningTcpPorts(pid!)).toEqual([]);
      expect(listeningUnixSockets(pid!)).toEqual([h.server.couch.socketPath]);
      expect(h.server.couch.url).toBe('http://localhost');
    });

    it('keeps its socket in an owner-only folder of the data directory', () => {
      const socketPath = h.server.couch.socketPath ?? '';
      expect(path.dirname(socketPath)).toBe(path.join(h.dataDir, 'couch', 'run'));
      expect(fs.statSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700);
      expect(fs.statSync(path.join(h.dataDir, 'couch')).mode & 0o777).toBe(0o700);
      expect(fs.statSync(socketPath).isSocket()).toBe(true);
      expect(fs.statSync(socketPath).mode & 0o077).toBe(0);
    });
  },
);

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
