// One reader host per device data folder (src/host/host-instance.ts): a host records itself
// in the folder; the next one believes the record only while its process lives and its address
// still serves the reader. The "other host" is a real child process and a real HTTP server.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HOST_INSTANCE_FILE,
  HostAlreadyRunningError,
  findRunningHost,
} from '../../../src/host/host-instance.js';
import { startHost } from '../../../src/host/host.js';
import { createInMemoryKeychainTestDouble, createScriptedIdentity } from './auth-doubles.js';
import { memoryLogger, tempDir } from './fixtures.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function folder(): Promise<string> {
  const dir = await tempDir('host-instance');
  cleanups.push(dir.remove);
  return dir.path;
}

/** A live process that is not this one. */
function otherProcess(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  return child;
}

/** An HTTP server on loopback answering `/` with `page`. */
async function serving(page: string): Promise<string> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const READER_PAGE = '<!doctype html><title>Attaché</title>';

async function record(dataDir: string, pid: number | undefined, origin: string): Promise<void> {
  await writeFile(join(dataDir, HOST_INSTANCE_FILE), JSON.stringify({ pid, origin }));
}

describe('the reader host of a data folder', () => {
  it('is the one recorded there while its process lives and its address serves the reader', async () => {
    const dataDir = await folder();
    const other = otherProcess();
    const origin = await serving(READER_PAGE);
    await record(dataDir, other.pid, origin);
    expect(await findRunningHost(dataDir)).toEqual({ pid: other.pid, origin });
  });

  it.each([
    ['no record', 'none'],
    ['a record whose process has ended (killed outright)', 'dead'],
    ['a record whose address no longer answers', 'silent'],
    ['a record whose address serves something else (a reused process id)', 'stranger'],
    ['a damaged record', 'damaged'],
  ])('is nobody with %s', async (_what, kind) => {
    const dataDir = await folder();
    if (kind === 'dead') {
      const gone = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
      await new Promise((resolve) => gone.once('exit', resolve));
      await record(dataDir, gone.pid, await serving(READER_PAGE));
    } else if (kind === 'silent') {
      await record(dataDir, otherProcess().pid, 'http://127.0.0.1:9');
    } else if (kind === 'stranger') {
      await record(dataDir, otherProcess().pid, await serving('<title>Something else</title>'));
    } else if (kind === 'damaged') {
      await writeFile(join(dataDir, HOST_INSTANCE_FILE), '{"pid":');
    }
    expect(await findRunningHost(dataDir)).toBeNull();
  });

  it('refuses a second host with what to do, before it opens anything of the person', async () => {
    const dataDir = await folder();
    const other = otherProcess();
    const origin = await serving(READER_PAGE);
    await record(dataDir, other.pid, origin);
    const keychain = createInMemoryKeychainTestDouble();
    const { identity } = createScriptedIdentity({ keychain, now: Date.now });
    const web = await folder();
    const refused = startHost({
      dataDir,
      brokerUrl: 'http://127.0.0.1:9',
      auth: { identity, keychain, maxOfflineDays: 14 },
      port: 0,
      staticDir: web,
      logger: memoryLogger().logger,
    });
    await expect(refused).rejects.toBeInstanceOf(HostAlreadyRunningError);
    await expect(refused).rejects.toThrow(
      `Attaché's reader is already running for this device (process ${other.pid}, ${origin}). Use that one: its address is in the terminal where it started.`,
    );
    expect(existsSync(join(dataDir, 'device-id'))).toBe(false);
    expect(keychain.entries.size).toBe(0);
  });

  it('is recorded by a running host, owner-only, and the record goes when it stops', async () => {
    const dataDir = await folder();
    const web = await folder();
    await writeFile(join(web, 'index.html'), READER_PAGE);
    const keychain = createInMemoryKeychainTestDouble();
    const { identity } = createScriptedIdentity({ keychain, now: Date.now });
    const host = await startHost({
      dataDir,
      brokerUrl: 'http://127.0.0.1:9',
      auth: { identity, keychain, maxOfflineDays: 14 },
      port: 0,
      staticDir: web,
      logger: memoryLogger().logger,
    });
    const file = join(dataDir, HOST_INSTANCE_FILE);
    try {
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
        pid: process.pid,
        origin: host.origin,
      });
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    } finally {
      await host.stop();
    }
    expect(existsSync(file)).toBe(false);
  });
});
