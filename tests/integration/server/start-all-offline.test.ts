// The README's "Try it" offline step, as a new user follows it: the whole product runs and the
// sample user signs in (npm start / npm run serve); everything stops; `npm run reader` starts
// the reader alone, which still shows the briefings; then `npm run serve` starts again while that
// reader keeps running. serve sees the reader, starts only the server, and the open reader
// catches up by itself: a briefing shared now reaches it. Each command is scripts/start-all.mjs
// as run.sh runs it, on free ports with temporary data folders; needs the build and the OS
// keychain (the D-Bus session scripts/test.sh starts).
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import keytar from 'keytar';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { devAccountsWithPasswords } from '../../../server/src/demo/idp/dev-users.js';
import { keychainServiceFor } from '../../../src/main/secrets/keychain-service.js';
import type { BriefingPage, SessionInfo, SyncStatus } from '../../../src/shared/ipc.js';
import { HOST_KEY_HEADER, SAMPLE_USER } from '../../../src/shared/protocol.js';
import type { Result } from '../../../src/shared/result.js';
import { launchBrowser, until } from '../device/device-sign-in.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const BUILT = ['dist/src/host/main.js', 'out/renderer/index.html', 'dist/server/src/main.js'];
const STARTUP_MS = 150_000;
const STEP_MS = 60_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-start-all-offline-'));
const deviceDataDir = path.join(root, 'device');
const started: ChildProcess[] = [];
let browser: Browser | null = null;

afterAll(async () => {
  // Whatever happened, nothing of this run outlives the test: each start-all leads its own
  // process group, which holds the server or the reader host too.
  for (const child of started) {
    if (child.pid !== undefined && groupAlive(child.pid)) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await browser?.close();
  const service = keychainServiceFor(deviceDataDir);
  try {
    for (const { account } of await keytar.findCredentials(service)) {
      await keytar.deletePassword(service, account);
    }
  } catch {
    // No keychain here: the test failed for that already.
  }
  fs.rmSync(root, { recursive: true, force: true });
}, STEP_MS);

type Run = {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first capture of `pattern` in the output, waited for. */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  readonly output: () => string;
};

/** `npm run serve` (no arguments) or `npm run reader` (`--reader-only`), as run.sh runs them. */
function startAll(env: NodeJS.ProcessEnv, args: string[] = []): Run {
  const child = spawn(process.execPath, ['scripts/start-all.mjs', ...args], {
    cwd: repo,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.push(child);
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => lines.push(line));
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const output = () => lines.slice(-80).join('\n');
  const waitFor = async (pattern: RegExp, timeoutMs = STARTUP_MS): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of lines) {
        const m = pattern.exec(line);
        if (m) return m[1] ?? m[0];
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `start-all ${args.join(' ')} exited before ${String(pattern)}:\n${output()}`,
        );
      }
      if (Date.now() > deadline) throw new Error(`no ${String(pattern)}:\n${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  return { child, lines, exited, waitFor, output };
}

async function stopAll(run: Run): Promise<void> {
  run.child.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    run.exited,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not stop:\n${run.output()}`)), STEP_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  expect(result, run.output()).toEqual({ code: 0, signal: null });
}

/** The reader's bridge, as the page in a browser calls it. */
function bridge(readerUrl: string) {
  const url = new URL(readerUrl);
  const key = new URLSearchParams(url.hash.slice(1)).get('key') ?? '';
  return async <T>(channel: string, request: object = {}): Promise<T> => {
    const response = await fetch(`${url.origin}/api/${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [HOST_KEY_HEADER]: key },
      body: JSON.stringify(request),
    });
    const result = (await response.json()) as Result<T>;
    if (!result.ok) throw new Error(`${channel}: ${result.error.message}`);
    return result.value;
  };
}

describe('the README’s offline step (npm run reader, then npm run serve)', () => {
  it(
    'starts only the server beside a reader already running, and that reader catches up by itself',
    async () => {
      const missing = BUILT.filter((file) => !fs.existsSync(path.join(repo, file)));
      expect(missing, 'the product is not built: run `npm run build` first').toEqual([]);

      const ports = {
        ATTACHE_SOR_PORT: await freePort(),
        ATTACHE_BROKER_PORT: await freePort(),
        ATTACHE_OPS_PORT: await freePort(),
        ATTACHE_COUCH_PORT: await freePort(),
        ATTACHE_IDP_PORT: await freePort(),
        ATTACHE_READER_PORT: await freePort(),
      };
      expect(new Set(Object.values(ports)).size).toBe(6);
      const env: NodeJS.ProcessEnv = Object.fromEntries(
        Object.entries(process.env).filter(([key]) => !key.startsWith('ATTACHE_')),
      );
      Object.assign(
        env,
        Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
        {
          ATTACHE_DATA_DIR: path.join(root, 'server'),
          ATTACHE_DEVICE_DATA_DIR: deviceDataDir,
          ATTACHE_POLL_INTERVAL_MS: '250',
        },
      );
      const readerLine = /^\s+Reader \(open in a browser\):\s+(\S+)$/;

      // 1. The quick start: the whole product; the sample user signs in and gets the briefings.
      const first = startAll(env);
      let call = bridge(await first.waitFor(readerLine));
      await call('session:sign-in');
      const signInPage = await first.waitFor(/Sign in to Attaché at: (https:\S+)/, STEP_MS);
      browser = await launchBrowser();
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      await page.goto(signInPage);
      await page.getByLabel('Username').fill(SAMPLE_USER.id);
      await page.getByLabel('Password').fill(devAccountsWithPasswords()[0]!.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await until(
        'signed in',
        async () => (await call<SessionInfo>('session:get')).state === 'signed-in',
        STEP_MS,
      );
      const synced = await until(
        'the sample briefings on the device',
        async () => {
          const list = (await call<BriefingPage>('briefings:list', { limit: 500 })).items;
          return list.length >= 20 ? list : null;
        },
        STEP_MS,
      );
      await context.close();

      // 2. Ctrl-C; 3. `npm run reader`: the reader alone, offline, the briefings still there.
      await stopAll(first);
      const reader = startAll(env, ['--reader-only']);
      call = bridge(await reader.waitFor(readerLine));
      expect((await call<BriefingPage>('briefings:list', { limit: 500 })).items.length).toBe(
        synced.length,
      );
      await until(
        'the reader offline',
        async () => (await call<SyncStatus>('sync:status')).state === 'offline',
        STEP_MS,
      );

      // 4. `npm run serve` while the reader runs: the server alone, said so, and no second
      // reader (which could open neither the store nor the port).
      const serve = startAll(env);
      await serve.waitFor(/A reader is already running for this device \(process \d+, (\S+)\)/);
      await serve.waitFor(/^\s+Attaché (server is running) on embedded defaults\.$/);
      expect(serve.output()).toContain(`http://127.0.0.1:${ports.ATTACHE_READER_PORT}`);
      expect(serve.output()).not.toMatch(/\[reader\]/);
      expect(serve.output()).not.toContain('stopping.');
      const health = await fetch(`http://127.0.0.1:${ports.ATTACHE_OPS_PORT}/healthz`);
      expect(health.status).toBe(200);

      // 5. The reader that kept running catches up by itself: a briefing shared now arrives.
      const adminToken = fs
        .readFileSync(path.join(root, 'server/secrets/admin-token'), 'utf8')
        .trim();
      const created = await fetch(`http://127.0.0.1:${ports.ATTACHE_SOR_PORT}/admin/briefings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          title: 'Shared while the reader was offline',
          bodyHtml: '<p>It reaches the reader that kept running.</p>',
          classification: 'OFFICIAL',
          priority: 'routine',
          recipients: [SAMPLE_USER.id],
        }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
      const { sorId } = (await created.json()) as { sorId: string };
      await until(
        'the new briefing in the reader that kept running',
        async () =>
          (await call<BriefingPage>('briefings:list', { limit: 500 })).items.some(
            (b) => b.id === `briefing:${sorId}`,
          ),
        STEP_MS,
      );
      // The briefing is listed as soon as it is written; the pull says it is up to date once it
      // has moved its checkpoint and found nothing more after it.
      await until(
        'the reader up to date',
        async () => (await call<SyncStatus>('sync:status')).state === 'up-to-date',
        STEP_MS,
      );
      expect(reader.child.exitCode).toBeNull();

      // Each stops by itself on Ctrl-C; nothing is left.
      await stopAll(serve);
      expect(reader.child.exitCode, 'the reader stopped with the server').toBeNull();
      await stopAll(reader);
      for (const run of [first, reader, serve]) expect(groupAlive(run.child.pid!)).toBe(false);
    },
    STARTUP_MS * 2 + STEP_MS * 4,
  );
});
