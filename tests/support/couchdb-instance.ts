// Apache CouchDB instances for the tests: the relocatable 3.5.0 build in ../shared/couchdb/
// (beside the clone, as in CI), extracted once into .couchdb/ (git-ignored), started on loopback,
// each with its own free port, folder, data, admin and node name, and no Erlang distribution
// (`-start_epmd false -dist_listen false`: nothing but the HTTP port is opened, and nothing stays
// behind when it stops). ../shared/couchdb/README.md describes the procedure this follows.
//
// Every instance runs under a small shell watchdog that stops it when its owner process goes
// away, so a test worker that dies never leaves a CouchDB running.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const repo = resolve(import.meta.dirname, '../..');

export const COUCHDB_VERSION = '3.5.0';
const TARBALL_NAME = `apache-couchdb-${COUCHDB_VERSION}-quickjs-debian12-x86_64.tar.gz`;
/** The tarball's SHA-256, from ../shared/couchdb/README.md: a damaged copy is never run. */
const TARBALL_SHA256 = 'c89dd9871489f6d222c44ac24bab7d03cc5f011e3b751040b796b561889eed6e';
/** Debian 12 packages the build links to that a minimal system may lack. */
export const COUCHDB_APT_PACKAGES = ['libicu72', 'libssl3'] as const;
const START_TIMEOUT_MS = 90_000;

/** Where the tarball is looked for: ATTACHE_COUCHDB_TARBALL, else ../shared/couchdb/. */
export function couchDbTarball(env: NodeJS.ProcessEnv = process.env): string {
  return env['ATTACHE_COUCHDB_TARBALL'] || join(repo, '..', 'shared', 'couchdb', TARBALL_NAME);
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(typeof chunk === 'string' ? chunk : new Uint8Array(chunk)))
      .on('end', () => resolvePromise(hash.digest('hex')))
      .on('error', reject);
  });
}

/**
 * The extracted tree (`.couchdb/apache-couchdb-3.5.0`), extracting the tarball first when needed
 * (into a temporary folder renamed into place, so a half-extracted tree is never used); null with
 * the reason when there is no tarball.
 */
export async function ensureCouchDbTree(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ tree: string } | { tree: null; reason: string }> {
  const parent = join(repo, '.couchdb');
  const tree = join(parent, `apache-couchdb-${COUCHDB_VERSION}`);
  if (existsSync(join(tree, 'bin', 'couchdb'))) return { tree };
  const tarball = couchDbTarball(env);
  if (!existsSync(tarball)) {
    return { tree: null, reason: `no Apache CouchDB build at ${tarball}` };
  }
  const digest = await sha256Of(tarball);
  if (digest !== TARBALL_SHA256) {
    throw new Error(`${tarball} is damaged: SHA-256 ${digest}, expected ${TARBALL_SHA256}`);
  }
  const staging = join(parent, `.extract-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(staging, { recursive: true });
  try {
    const tar = spawnSync('tar', ['-xzf', tarball, '-C', staging], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`cannot extract ${tarball}: ${tar.stderr.trim()}`);
    try {
      renameSync(join(staging, `apache-couchdb-${COUCHDB_VERSION}`), tree);
    } catch (error) {
      // Another process extracted it meanwhile: theirs is as good as ours.
      if (!existsSync(join(tree, 'bin', 'couchdb'))) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { tree };
}

/** Shared libraries the tree's programs need and this machine lacks (from ldd), e.g. libicu. */
export function missingLibraries(tree: string): string[] {
  const erts = readdirSync(tree).find((name) => name.startsWith('erts-')) ?? 'erts';
  const files = [join(tree, erts, 'bin', 'beam.smp')];
  for (const app of readdirSync(join(tree, 'lib'))) {
    const priv = join(tree, 'lib', app, 'priv');
    if (!existsSync(priv)) continue;
    for (const name of readdirSync(priv)) if (name.endsWith('.so')) files.push(join(priv, name));
  }
  const ldd = spawnSync('ldd', files, { encoding: 'utf8' });
  const missing = new Set<string>();
  for (const line of (ldd.stdout ?? '').split('\n')) {
    const match = /^\s*(\S+) => not found/.exec(line);
    if (match?.[1]) missing.add(match[1]);
  }
  return [...missing];
}

const rnd = () => randomBytes(16).toString('hex');

/** Sends a signal to a process that may already be gone. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    if (pid > 0) process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** A free loopback port (another process may take it before CouchDB binds: start retries). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePromise(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

// Stops CouchDB when the owner process is gone or the watchdog is told to stop (SIGTERM), and
// waits for it to exit. `bin/couchdb` execs the Erlang VM, so $child is the VM itself.
const WATCHDOG = `
"$COUCHDB_BIN" >"$COUCHDB_LOG" 2>&1 </dev/null &
child=$!
echo "$child" > "$COUCHDB_PID_FILE"
stop() { kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0; }
trap stop TERM INT
while kill -0 "$ATTACHE_OWNER_PID" 2>/dev/null && kill -0 "$child" 2>/dev/null; do
  sleep 1 & wait $!
done
stop
`;

export type CouchDbInstance = {
  readonly url: string;
  readonly port: number;
  /** The instance's server admin. */
  readonly user: string;
  readonly password: string;
  /** The instance's folder (ini, vm.args, log, data). */
  readonly dir: string;
  /** `[couchdb] database_dir`: where its database files are. */
  readonly dataDir: string;
  readonly log: string;
  /** Stops it (at once, unless its data is kept) and removes its folder unless `keep`. */
  stop(options?: { keep?: boolean }): Promise<void>;
};

/**
 * Starts an instance from `tree` in `dir` (created) and resolves once it answers `/_up` and its
 * `_users` database exists. `ini`: more settings, appended to the instance's own ini file (last,
 * so they win); `owner`: the process whose end stops it (default: this one).
 */
export async function startCouchDbInstance(options: {
  readonly tree: string;
  readonly dir: string;
  readonly ini?: string;
  readonly owner?: number;
  readonly user?: string;
}): Promise<CouchDbInstance> {
  const { tree, dir } = options;
  const user = options.user ?? 'attache-test-admin';
  const password = rnd();
  let lastProblem = '';
  // A port another process took between our probe and CouchDB's bind: try another one.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    const ini = [
      '[couchdb]',
      'single_node = true',
      `database_dir = ${dataDir}`,
      `view_index_dir = ${dataDir}`,
      `uuid = ${rnd()}`,
      '',
      '[chttpd]',
      `port = ${port}`,
      'bind_address = 127.0.0.1',
      '',
      '[chttpd_auth]',
      `secret = ${rnd()}`,
      '',
      '[cluster]',
      'n = 1',
      '',
      '[smoosh]',
      `state_dir = ${dataDir}`,
      '',
      '[log]',
      'level = warning',
      '',
      // Files stored as written (no snappy, no gzip of attachments): the tests that search the
      // data folder for an unshared briefing's text must be able to see it while it is there.
      '[couchdb]',
      'file_compression = none',
      '',
      '[attachments]',
      'compression_level = 0',
      '',
      '[admins]',
      `${user} = ${password}`,
      '',
      options.ini ?? '',
    ].join('\n');
    writeFileSync(join(dir, 'local.ini'), ini, { mode: 0o600 });
    const vmArgs = readFileSync(join(tree, 'etc', 'vm.args'), 'utf8')
      .split('\n')
      .filter((line) => !line.startsWith('-name '));
    vmArgs.push(
      `-name couchdb${port}-${process.pid}@127.0.0.1`,
      `-setcookie ${rnd()}`,
      '-start_epmd false',
      '-dist_listen false',
    );
    writeFileSync(join(dir, 'vm.args'), `${vmArgs.join('\n')}\n`, { mode: 0o600 });
    const log = join(dir, 'couchdb.log');
    const pidFile = join(dir, 'couchdb.pid');
    rmSync(pidFile, { force: true });
    const etc = join(tree, 'etc');
    const watchdog = spawn('sh', ['-c', WATCHDOG], {
      env: {
        PATH: '/usr/bin:/bin',
        HOME: dir,
        ERL_CRASH_DUMP: join(dir, 'erl_crash.dump'),
        COUCHDB_ARGS_FILE: join(dir, 'vm.args'),
        COUCHDB_INI_FILES: [
          join(etc, 'default.ini'),
          join(etc, 'default.d'),
          join(etc, 'local.ini'),
          join(etc, 'local.d'),
          join(dir, 'local.ini'),
        ].join(' '),
        COUCHDB_BIN: join(tree, 'bin', 'couchdb'),
        COUCHDB_LOG: log,
        COUCHDB_PID_FILE: pidFile,
        ATTACHE_OWNER_PID: String(options.owner ?? process.pid),
      },
      stdio: 'ignore',
      detached: true,
    });
    watchdog.unref();
    writeFileSync(join(dir, 'watchdog.pid'), String(watchdog.pid));
    let gone = false;
    const exited = new Promise<void>((resolvePromise) =>
      watchdog.once('exit', () => {
        gone = true;
        resolvePromise();
      }),
    );
    const url = `http://127.0.0.1:${port}`;
    const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const instance: CouchDbInstance = {
      url,
      port,
      user,
      password,
      dir,
      dataDir,
      log,
      async stop({ keep = false } = {}) {
        if (!gone) {
          // Data that is thrown away needs no clean shutdown (CouchDB is crash-only anyway).
          if (!keep && existsSync(pidFile))
            signal(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
          signal(watchdog.pid ?? 0, 'SIGTERM');
          watchdog.ref(); // the caller waits for it: keep the process alive until it exits
          await exited;
        }
        if (!keep) rmSync(dir, { recursive: true, force: true });
      },
    };
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!gone && Date.now() < deadline) {
      try {
        const up = await fetch(`${url}/_up`, { signal: AbortSignal.timeout(2_000) });
        // `_users` is made at the first start, just after /_up answers.
        const users = up.ok
          ? await fetch(`${url}/_users`, {
              headers: { authorization: auth },
              signal: AbortSignal.timeout(2_000),
            })
          : null;
        if (users?.ok) return instance;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    await instance.stop({ keep: true });
    const portTaken = text.includes('eaddrinuse');
    lastProblem = portTaken
      ? `port ${port} was taken`
      : `${gone ? 'it exited' : `no answer within ${START_TIMEOUT_MS / 1000} s`}; the end of ${log}:\n${text.slice(-2000)}`;
    if (!portTaken) break;
  }
  throw new Error(`Apache CouchDB did not start: ${lastProblem}`);
}

/** Stops an instance the command line left running (by its watchdog's pid file). */
export async function stopCouchDbInstance(dir: string): Promise<void> {
  const file = join(dir, 'watchdog.pid');
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8'));
  signal(pid, 'SIGTERM');
  for (let i = 0; i < 300; i += 1) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
}
