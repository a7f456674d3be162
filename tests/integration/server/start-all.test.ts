// The README's first command ends in `node scripts/start-all.mjs` (npm start -> quickstart.sh
// -> run.sh): the server and the reader host from the build output, a banner with the reader's
// address and the sample sign-in, the server restarted when it dies, and Ctrl-C to stop. This
// runs it as run.sh does, on free ports with temporary data folders, and needs the build (`npm
// run build`; scripts/test.sh builds before the tests) and the OS keychain (the D-Bus session
// scripts/test.sh starts).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import keytar from 'keytar';
import { afterAll, describe, expect, it } from 'vitest';
import { devAccountsWithPasswords } from '../../../server/src/demo/idp/dev-users.js';
import { keychainServiceFor } from '../../../src/main/secrets/keychain-service.js';

const repo = path.resolve(import.meta.dirname, '../../..');
// What run.sh checks before it starts anything.
const BUILT = ['dist/src/host/main.js', 'out/renderer/index.html', 'dist/server/src/main.js'];
// Generous: on a loaded two-core machine the server, its embedded CouchDB and the seeding take
// a while, and start-all itself allows the server 60 s to become healthy.
const STARTUP_MS = 150_000;
const STOP_MS = 30_000;

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

/** Whether anything accepts connections on the loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether any process is left in the process group `pgid`. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-start-all-'));
const deviceDataDir = path.join(root, 'device');
let child: ChildProcess | null = null;

afterAll(async () => {
  // Whatever happened above, nothing of this run outlives the test: start-all leads its own
  // process group, which holds the server and the reader host too.
  if (child?.pid !== undefined && groupAlive(child.pid)) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const service = keychainServiceFor(deviceDataDir);
  try {
    for (const { account } of await keytar.findCredentials(service)) {
      await keytar.deletePassword(service, account);
    }
  } catch {
    // No keychain here: the test failed for that already, and there is nothing to remove.
  }
  fs.rmSync(root, { recursive: true, force: true });
});

describe('npm start (scripts/start-all.mjs)', () => {
  it(
    'starts the server and the reader, prints where to sign in, and stops cleanly on SIGINT',
    async () => {
      const missing = BUILT.filter((file) => !fs.existsSync(path.join(repo, file)));
      expect(missing, 'the product is not built: run `npm run build` first').toEqual([]);

      const used = new Set<number>();
      const port = async (): Promise<number> => {
        for (;;) {
          const p = await freePort();
          if (!used.has(p)) {
            used.add(p);
            return p;
          }
        }
      };
      const ports = {
        ATTACHE_SOR_PORT: await port(),
        ATTACHE_BROKER_PORT: await port(),
        ATTACHE_OPS_PORT: await port(),
        ATTACHE_IDP_PORT: await port(),
        ATTACHE_READER_PORT: await port(),
      };
      // As from a fresh shell: no Attaché setting of the test run's own leaks in.
      const env: NodeJS.ProcessEnv = Object.fromEntries(
        Object.entries(process.env).filter(([key]) => !key.startsWith('ATTACHE_')),
      );
      Object.assign(
        env,
        Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
        { ATTACHE_DATA_DIR: path.join(root, 'server'), ATTACHE_DEVICE_DATA_DIR: deviceDataDir },
      );

      const started = spawn(process.execPath, ['scripts/start-all.mjs'], {
        cwd: repo,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      child = started;
      const lines: string[] = [];
      for (const stream of [started.stdout, started.stderr]) {
        createInterface({ input: stream }).on('line', (line) => lines.push(line));
      }
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve) => started.once('exit', (code, signal) => resolve({ code, signal })),
      );
      const output = () => lines.slice(-60).join('\n');
      const find = (pattern: RegExp) => lines.map((l) => pattern.exec(l)).find(Boolean) ?? null;

      const deadline = Date.now() + STARTUP_MS;
      let reader: RegExpExecArray | null = null;
      let signIn: RegExpExecArray | null = null;
      while (!(reader && signIn)) {
        if (started.exitCode !== null || started.signalCode !== null) {
          throw new Error(`start-all exited before its banner:\n${output()}`);
        }
        if (Date.now() > deadline) {
          throw new Error(`no banner within ${STARTUP_MS / 1000} s:\n${output()}`);
        }
        await sleep(250);
        reader = find(/^\s+Reader \(open in a browser\):\s+(\S+)$/);
        signIn = find(/^\s+Sign in as:\s+(\S+)\s+password: (\S+)\s+\(sample user\)$/);
      }

      const sample = devAccountsWithPasswords()[0]!;
      expect(signIn.slice(1)).toEqual([sample.id, sample.password]);
      const readerUrl = new URL(reader[1]!);
      expect(readerUrl.origin).toBe(`http://127.0.0.1:${ports.ATTACHE_READER_PORT}`);
      // The reader was pointed at this run's sign-in page and CA, and the banner says where the
      // rest listens: the port and data-folder settings reached both processes.
      const banner = lines.join('\n');
      expect(banner).toContain(`The sign-in page (https://127.0.0.1:${ports.ATTACHE_IDP_PORT})`);
      expect(banner).toContain(`trust the CA in ${path.join(root, 'server/secrets/dev-ca.pem')}`);
      expect(banner).toContain(
        `Demo SOR admin API:          http://127.0.0.1:${ports.ATTACHE_SOR_PORT}`,
      );
      expect(banner).toContain(`http://127.0.0.1:${ports.ATTACHE_OPS_PORT}/healthz`);
      expect(fs.existsSync(path.join(root, 'server/secrets/admin-token'))).toBe(true);

      const page = await fetch(readerUrl);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('<title>Attaché</title>');

      const health = await fetch(`http://127.0.0.1:${ports.ATTACHE_OPS_PORT}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({
        status: 'ok',
        checks: { couch: { ok: true }, sor: { ok: true }, queue: { ok: true } },
      });

      // Crash-only: the server killed outright (as a fatal fault or the OOM killer would) is
      // started again by start-all's supervisor, and answers again with nobody touching it;
      // the reader host stays up meanwhile.
      const serverPids = () =>
        lines
          .map((l) => /^\[attache\] server started \(pid (\d+)\)$/.exec(l)?.[1])
          .filter((pid): pid is string => pid !== undefined)
          .map(Number);
      expect(serverPids()).toHaveLength(1);
      const [firstPid] = serverPids();
      process.kill(firstPid!, 'SIGKILL');
      const healthyAgain = async () => {
        try {
          return (await fetch(`http://127.0.0.1:${ports.ATTACHE_OPS_PORT}/healthz`)).status === 200;
        } catch {
          return false;
        }
      };
      const restartBy = Date.now() + STARTUP_MS;
      while (!(serverPids().length === 2 && (await healthyAgain()))) {
        if (Date.now() > restartBy) {
          throw new Error(`the server was not restarted and healthy in time:\n${output()}`);
        }
        await sleep(250);
      }
      expect(output()).toContain('[attache] server exited (SIGKILL); restarting it in 1 s.');
      expect(serverPids()[1]).not.toBe(firstPid);
      expect((await fetch(readerUrl)).status).toBe(200);

      // A Ctrl-C in a terminal: SIGINT to the process group, and when run.sh runs the product
      // under its own keychain, that wrapper passes on a second copy a moment later. Both reach
      // start-all alone here; it must stop the server and the reader itself, cleanly, and not
      // take the copy for a second Ctrl-C (which kills at once).
      started.kill('SIGINT');
      await sleep(5);
      started.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(new Error(`start-all did not exit within ${STOP_MS / 1000} s:\n${output()}`));
          }, STOP_MS);
        }),
      ]).finally(() => clearTimeout(timer));
      expect(result, output()).toEqual({ code: 0, signal: null });
      expect(output()).toContain('Attaché server stopped');
      expect(output()).not.toContain('killing them');
      const open = [];
      for (const [name, p] of Object.entries(ports)) if (await listening(p)) open.push(name);
      expect(open, `still listening after start-all exited:\n${output()}`).toEqual([]);
      expect(groupAlive(started.pid!), 'the server or the reader outlived start-all').toBe(false);
    },
    2 * STARTUP_MS + STOP_MS + 30_000,
  );
});
