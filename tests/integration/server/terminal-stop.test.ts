// Ctrl-C in the terminal of the quick start: the terminal sends SIGINT to the whole foreground
// process group, which held the embedded CouchDB-protocol server's child as well. The child
// died under the server, which then logged an alarming "exited; restarting it" on its way out.
// The child now runs in a process group of its own: the server stops it, cleanly, itself.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-ctrl-c-'));

afterAll(() => fs.rmSync(dataRoot, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The processes `parent` started (Linux: the fourth field of /proc/<pid>/stat). */
function childrenOf(parent: number): number[] {
  return fs.readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === parent ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}

type RunningServer = {
  readonly pid: number;
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  readonly output: () => string;
  readonly kill: () => void;
};

/** The server from source, in a process group of its own, as a shell runs a foreground command. */
function startServer(): RunningServer {
  const dir = fs.mkdtempSync(path.join(dataRoot, 'server-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: repo,
    detached: true,
    env: {
      ...process.env,
      ATTACHE_DATA_DIR: dir,
      ATTACHE_SOR_PORT: '0',
      ATTACHE_BROKER_PORT: '0',
      ATTACHE_OPS_PORT: '0',
      ATTACHE_IDP_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid ?? 0;
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    pid,
    ready: eventually(() => expect(out).toContain('Ready.'), { timeout: 60_000 }),
    exited,
    output: () => out,
    kill: () => {
      for (const each of [pid, ...childrenOf(pid)]) if (alive(each)) process.kill(each, 'SIGKILL');
    },
  };
}

describe('the server in a terminal', () => {
  it('stops on Ctrl-C with its database child, without reporting a crash', async () => {
    const server = startServer();
    try {
      await server.ready;
      const database = childrenOf(server.pid);
      expect(database.length).toBeGreaterThan(0);
      // What the terminal does on Ctrl-C.
      process.kill(-server.pid, 'SIGINT');
      expect(await server.exited).toBe(0);
      expect(server.output()).not.toMatch(/restarting it/);
      expect(server.output()).not.toMatch(/"level":50/);
      // Nothing of it is left running.
      await eventually(() => expect(database.filter(alive)).toEqual([]), { timeout: 10_000 });
    } finally {
      server.kill();
    }
  }, 90_000);

  it('leaves no database child behind when the server itself is killed', async () => {
    const server = startServer();
    try {
      await server.ready;
      const database = childrenOf(server.pid);
      expect(database.length).toBeGreaterThan(0);
      // Only the server: its child is in a group of its own, and learns of it from the channel.
      process.kill(server.pid, 'SIGKILL');
      await server.exited;
      await eventually(() => expect(database.filter(alive)).toEqual([]), { timeout: 10_000 });
    } finally {
      server.kill();
    }
  }, 90_000);
});
