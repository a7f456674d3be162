// Runs the embedded CouchDB-protocol server in a child process and keeps it running (crash-only):
// if the child dies, it is started again with capped exponential back-off, and requests in
// flight fail as CouchDB being unavailable (the server and its broker stay up). The child listens
// on a Unix socket in an owner-only folder of the data directory and opens no TCP port; it gets
// only its folder and the admin credentials, over IPC. The built product runs it under Node's
// permission model: it may read its own code and folder and write only its folder, so code that
// ran inside it (express-pouchdb runs design-document functions in process) cannot read the
// server's secrets, start processes or worker threads.
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensurePrivateDir } from '../config/secret-files.js';
import { ConfigError } from '../config/types.js';
import { createLogger } from '../observability/logger.js';
import type { LogLevel } from '../observability/logger.js';
import type { ChildReport, ChildStart } from './embedded-couch-child.js';
import type { CouchCredentials } from './types.js';

const log = createLogger('couch');

/** The HTTP origin requests over the socket carry (nothing resolves or connects to it). */
export const EMBEDDED_COUCH_ORIGIN = 'http://localhost';
/** Longest socket path: Linux keeps 108 bytes for it (with its NUL), macOS 104. */
const MAX_SOCKET_PATH_BYTES = 103;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

export type RestartPolicy = {
  /** First delay before a restart; doubles with each crash in a row. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A child that ran this long resets the back-off. */
  readonly stableAfterMs: number;
};
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  baseDelayMs: 250,
  maxDelayMs: 15_000,
  stableAfterMs: 30_000,
};

/** Delay before restart number `attempt` (0-based) in a row. Pure. */
export function restartDelayMs(policy: RestartPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
}

/** Where the embedded server keeps its files and its socket, under the data folder. */
export function embeddedCouchPaths(dataDir: string): {
  couchDir: string;
  runDir: string;
  socketPath: string;
} {
  const couchDir = path.join(dataDir, 'couch');
  const runDir = path.join(couchDir, 'run');
  return { couchDir, runDir, socketPath: path.join(runDir, 'couch.sock') };
}

export type EmbeddedCouchProcess = {
  readonly socketPath: string;
  /** Process id of the running child, null between a crash and its restart. */
  pid(): number | null;
  /** Restarts after a crash since start. */
  restarts(): number;
  stop(): Promise<void>;
};

/** The package.json that decides the module type of files in `dir`, if any. */
function nearestPackageJson(dir: string): string | null {
  for (let current = dir; ; current = path.dirname(current)) {
    const candidate = path.join(current, 'package.json');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(current) === current) return null;
  }
}

/** How to start the child: its entry file and Node options (see the file comment). */
function childLaunch(dataDir: string, couchDir: string): { entry: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ext = path.extname(here);
  // Beside this file: the source or the built tree, or a bundle built with its own entry.
  const entry = path.join(path.dirname(here), `embedded-couch-child${ext}`);
  if (!fs.existsSync(entry)) {
    throw new Error(`The embedded CouchDB-protocol server's entry ${entry} is missing.`);
  }
  const require = createRequire(import.meta.url);
  if (ext === '.ts') {
    // From source (tests, development): tsx compiles on the fly, which needs child processes
    // and workers, so the permission model cannot apply; the built product below is sandboxed.
    return { entry, execArgv: ['--import', pathToFileURL(require.resolve('tsx')).href] };
  }
  const pkg = require.resolve('express-pouchdb/package.json');
  const marker = `${path.sep}node_modules${path.sep}`;
  const nodeModules = pkg.slice(0, pkg.lastIndexOf(marker) + marker.length);
  // The server's own code the child loads (couch/, observability/, config/), and the
  // package.json that says its files are ES modules; nothing else of the installation.
  const codeDir = path.resolve(path.dirname(here), '..');
  const scope = nearestPackageJson(path.dirname(here));
  const inside = (dir: string) => !path.relative(dir, dataDir).startsWith('..');
  if (inside(codeDir) || inside(nodeModules)) {
    // The child may read those folders: the server's secrets must not be among them.
    const problem = `dataDir (ATTACHE_DATA_DIR): ${dataDir} lies inside the server's code (${inside(codeDir) ? codeDir : nodeModules}); choose a folder of its own`;
    throw new ConfigError(`Invalid server configuration:\n  - ${problem}`, [problem]);
  }
  const permission = process.allowedNodeEnvironmentFlags.has('--permission')
    ? '--permission'
    : '--experimental-permission';
  return {
    entry,
    execArgv: [
      permission,
      `--allow-fs-read=${codeDir}${path.sep}`,
      ...(scope ? [`--allow-fs-read=${scope}`] : []),
      `--allow-fs-read=${nodeModules}`,
      // node-gyp-build (leveldown) asks whether this file exists; without the grant it throws.
      '--allow-fs-read=/etc/alpine-release',
      `--allow-fs-read=${couchDir}${path.sep}`,
      `--allow-fs-write=${couchDir}${path.sep}`,
      // leveldown is a native addon; it opens only the paths PouchDB gives it.
      '--allow-addons',
      '--disable-warning=ExperimentalWarning',
      '--disable-warning=SecurityWarning',
    ],
  };
}

export async function startEmbeddedCouchProcess(deps: {
  dataDir: string;
  admin: CouchCredentials;
  logLevel: LogLevel;
  restart?: RestartPolicy;
}): Promise<EmbeddedCouchProcess> {
  const policy = deps.restart ?? DEFAULT_RESTART_POLICY;
  const { couchDir, runDir, socketPath } = embeddedCouchPaths(deps.dataDir);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    const problem = `dataDir (ATTACHE_DATA_DIR): too long for the embedded CouchDB-protocol server's socket ${socketPath} (a Unix socket path holds at most ${MAX_SOCKET_PATH_BYTES} bytes): choose a shorter folder`;
    throw new ConfigError(`Invalid server configuration:\n  - ${problem}`, [problem]);
  }
  const launch = childLaunch(deps.dataDir, couchDir);
  ensurePrivateDir(couchDir);
  ensurePrivateDir(runDir);

  let child: ChildProcess | null = null;
  /** Restarts happen only while running: not during the first start, not after stop(). */
  let phase: 'starting' | 'running' | 'stopped' = 'starting';
  let restarts = 0;
  let crashesInARow = 0;
  let restartTimer: NodeJS.Timeout | null = null;

  function spawnChild(): Promise<ChildProcess> {
    const started = Date.now();
    const proc = fork(launch.entry, [], {
      execArgv: launch.execArgv,
      // Nothing of the server's environment (it may name credentials, e.g. a RabbitMQ URL).
      env: {},
      cwd: couchDir,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
      // A process group of its own: Ctrl-C in a terminal signals the whole foreground group,
      // and the child must stop when the server says so, not under it (which looked like a
      // crash). A server that dies closes the IPC channel, and the child exits on that.
      detached: true,
    });
    const ready = new Promise<ChildProcess>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error('the embedded CouchDB-protocol server did not start within 60 s'));
      }, START_TIMEOUT_MS);
      proc.on('message', (message: ChildReport) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(proc);
        } else if (message.type === 'failed') {
          clearTimeout(timer);
          reject(
            new Error(`the embedded CouchDB-protocol server failed to start: ${message.message}`),
          );
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(
            `the embedded CouchDB-protocol server exited while starting (${signal ?? `code ${code}`})`,
          ),
        );
      });
    });
    proc.once('exit', (code, signal) => {
      if (child === proc) child = null;
      if (phase !== 'running') return;
      if (Date.now() - started >= policy.stableAfterMs) crashesInARow = 0;
      const delay = restartDelayMs(policy, crashesInARow);
      crashesInARow += 1;
      log.error(
        { code, signal, restartInMs: delay },
        'embedded CouchDB-protocol server exited; restarting it',
      );
      scheduleRestart(delay);
    });
    const start: ChildStart = {
      type: 'start',
      couchDir,
      socketPath,
      admin: deps.admin,
      logLevel: deps.logLevel,
    };
    proc.send(start);
    return ready;
  }

  function scheduleRestart(delay: number): void {
    restartTimer = setTimeout(() => {
      restartTimer = null;
      if (phase !== 'running') return;
      restarts += 1;
      spawnChild().then(
        (proc) => {
          if (phase !== 'running') proc.kill('SIGKILL');
          else {
            child = proc;
            log.info({ pid: proc.pid, restarts }, 'embedded CouchDB-protocol server restarted');
          }
        },
        // Its exit handler has scheduled the next attempt already.
        (error: unknown) => log.error({ err: String(error) }, 'restart failed'),
      );
    }, delay);
    restartTimer.unref();
  }

  // The first start must succeed: a server that cannot start its database says so and stops.
  try {
    child = await spawnChild();
  } catch (error) {
    phase = 'stopped';
    throw error;
  }
  phase = 'running';

  return {
    socketPath,
    pid: () => child?.pid ?? null,
    restarts: () => restarts,
    async stop() {
      phase = 'stopped';
      if (restartTimer) clearTimeout(restartTimer);
      const proc = child;
      child = null;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
        proc.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        if (proc.connected) proc.send({ type: 'stop' });
        else proc.kill('SIGTERM');
      });
    },
  };
}
