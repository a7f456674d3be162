// Starts the whole product on one machine with embedded defaults: the server (demo SOR,
// embedded CouchDB-protocol server, queue, poller, fan-out, broker) and the reader's browser
// host (the device side, where Electron cannot run). Ctrl-C stops both.
//
// The server runs supervised, crash-only: when it exits without being asked to (a crash, a
// kill), it is started again after a back-off that doubles from 1 s to 30 s and starts over
// once a run has lasted a minute. Its state is all on disk, so a restart is its recovery, and the
// reader keeps running meanwhile (it syncs again when the server answers). Exit code 2 is a
// configuration error, which the same settings would repeat: that stops the quick start.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { RESTART_FIRST_MS, restartDelay } from './restart-backoff.mjs';

// Paths below (build output, default .data folders) are relative to the repository.
process.chdir(fileURLToPath(new URL('..', import.meta.url)));

const env = process.env;
const opsPort = env.ATTACHE_OPS_PORT ?? '5090';
const brokerPort = env.ATTACHE_BROKER_PORT ?? '5080';
const sorPort = env.ATTACHE_SOR_PORT ?? '5070';
const children = [];
const rawLogs = env.ATTACHE_LOG_FORMAT === 'json';

// The processes log structured JSON (for log shippers); a person at a terminal gets one short
// line per record instead. ATTACHE_LOG_FORMAT=json passes the records through unchanged.
const PINO_LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const SKIP = new Set([
  'level',
  'time',
  'msg',
  'message',
  'scope',
  'service',
  'pid',
  'hostname',
  'at',
]);
function humanLine(name, line) {
  if (rawLogs || !line.startsWith('{')) return `[${name}] ${line}`;
  try {
    const rec = JSON.parse(line);
    const level = PINO_LEVELS[rec.level] ?? rec.level ?? 'info';
    const time =
      typeof rec.time === 'string'
        ? rec.time.slice(11, 19)
        : new Date(rec.time).toISOString().slice(11, 19);
    const extra = Object.entries(rec)
      .filter(([k]) => !SKIP.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `[${name}] ${time} ${level.padEnd(5)} ${rec.scope ? `${rec.scope}: ` : ''}${rec.msg ?? rec.message ?? ''}${extra ? `  ${extra}` : ''}`;
  } catch {
    return `[${name}] ${line}`;
  }
}

function spawnChild(name, args, extraEnv) {
  const child = spawn(process.execPath, args, {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  createInterface({ input: child.stderr }).on('line', (l) => console.error(humanLine(name, l)));
  return child;
}

/** A process whose end ends the quick start (the reader host). */
function run(name, args, extraEnv) {
  const child = spawnChild(name, args, extraEnv);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[${name}] exited (${code ?? signal}); stopping.`);
      stop(1);
    }
  });
  return child;
}

const CONFIG_ERROR_EXIT = 2;
let restartTimer = null;

/** A process started again, with back-off, whenever it ends unasked (the server). */
function supervise(name, args, onStart) {
  let nextDelayMs = RESTART_FIRST_MS;
  const start = () => {
    const child = spawnChild(name, args);
    const startedAt = Date.now();
    console.error(`[attache] ${name} started (pid ${child.pid})`);
    onStart(child);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      if (code === CONFIG_ERROR_EXIT) {
        console.error(`[${name}] stopped on a configuration error (see above); stopping.`);
        stop(CONFIG_ERROR_EXIT);
        return;
      }
      const backoff = restartDelay(nextDelayMs, Date.now() - startedAt);
      const { delayMs } = backoff;
      nextDelayMs = backoff.nextDelayMs;
      console.error(
        `[attache] ${name} exited (${code ?? signal}); restarting it in ${delayMs / 1000} s.`,
      );
      restartTimer = setTimeout(() => {
        restartTimer = null;
        if (!stopping) start();
      }, delayMs);
    });
  };
  start();
}

// Stopping waits for every process to close its databases and queue cleanly; one that has not
// within STOP_GRACE_MS (or at a second Ctrl-C a moment later) is killed, so nothing is left
// running either way.
const STOP_GRACE_MS = 15_000;
const running = (c) => c.exitCode === null && c.signalCode === null;
let stopping = false;
let stopAt = 0;
function forceStop(why = 'did not stop in time') {
  const left = children.filter(running);
  if (left.length > 0) {
    console.error(`[attache] ${left.length} process(es) ${why}; killing them.`);
  }
  for (const c of left) c.kill('SIGKILL');
  process.exit(1);
}
function stop(code = 0) {
  if (stopping) {
    // One Ctrl-C can arrive twice: the terminal signals the whole process group, and the
    // keychain wrapper (scripts/lib.sh) passes its own copy on. Only a later one is a second
    // Ctrl-C from the person.
    if (Date.now() - stopAt > 1_000) forceStop('still stopping at the second Ctrl-C');
    return;
  }
  stopping = true;
  stopAt = Date.now();
  if (restartTimer) clearTimeout(restartTimer);
  for (const c of children.filter(running)) c.kill('SIGTERM');
  const timer = setTimeout(forceStop, STOP_GRACE_MS);
  Promise.all(
    children.map((c) => (running(c) ? new Promise((r) => c.once('exit', r)) : undefined)),
  ).then(() => {
    clearTimeout(timer);
    process.exit(code);
  });
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

// --reader-only: the device side alone (the plane): the reader host starts whether or not a
// server answers, and finds the development CA where an earlier full start left it.
const readerOnly = process.argv.includes('--reader-only');

// A reader already running for this device (the README's offline step: `npm run reader`, then
// `npm run serve`) holds the person's store and its port: only the server starts, and that
// reader catches up by itself once the server answers.
const { findRunningHost } = await import('../dist/src/host/host-instance.js');
const runningReader = readerOnly
  ? null
  : await findRunningHost(resolve(env.ATTACHE_DEVICE_DATA_DIR ?? '.data/device'));
if (runningReader) {
  console.log(
    `[attache] A reader is already running for this device (process ${runningReader.pid}, ${runningReader.origin}): starting the server only. That reader catches up by itself.`,
  );
}

// The device must know the development OpenID provider and trust its CA: the server logs both
// when it is ready (fields idp and devCa).
let devIdp = null;
if (readerOnly) {
  const caFile = resolve(env.ATTACHE_DATA_DIR ?? '.data/server', 'secrets/dev-ca.pem');
  if (existsSync(caFile)) {
    devIdp = { issuer: `https://127.0.0.1:${env.ATTACHE_IDP_PORT ?? '5443'}`, caFile };
  }
}
const serverLines = (child) =>
  createInterface({ input: child.stdout }).on('line', (l) => {
    try {
      const rec = JSON.parse(l);
      if (typeof rec.idp === 'string' && typeof rec.devCa === 'string') {
        devIdp = { issuer: rec.idp, caFile: rec.devCa };
      }
    } catch {
      // not a JSON record
    }
    console.log(humanLine('server', l));
  });
if (!readerOnly) supervise('server', ['dist/server/src/main.js'], serverLines);

const deadline = Date.now() + 60_000;
for (; !readerOnly;) {
  try {
    const r = await fetch(`http://127.0.0.1:${opsPort}/healthz`);
    if (r.ok) break;
  } catch {
    // not listening yet
  }
  if (Date.now() > deadline) {
    console.error('The server did not become healthy within 60 s; see the [server] lines above.');
    stop(1);
    break;
  }
  await sleep(300);
}

const host = runningReader
  ? null
  : run('reader', ['dist/src/host/main.js'], {
      ATTACHE_BROKER_URL: env.ATTACHE_BROKER_URL ?? `http://127.0.0.1:${brokerPort}`,
      ...(devIdp
        ? {
            ATTACHE_AUTHORITY: env.ATTACHE_AUTHORITY ?? `${devIdp.issuer}/`,
            ATTACHE_TLS_CA_FILE: env.ATTACHE_TLS_CA_FILE ?? devIdp.caFile,
          }
        : {}),
    });
// The sample account to sign in with, from the provider's own list (server/README.md).
const { devAccountsWithPasswords } = await import('../dist/server/src/demo/idp/dev-users.js');
const sample = devAccountsWithPasswords()[0];
if (runningReader) {
  console.log(`
  Attaché server is running on embedded defaults.

    Reader (already running):    ${runningReader.origin}  (its address with the key is in the
                                 terminal where it started; it catches up by itself)
    Demo SOR admin API:          http://127.0.0.1:${sorPort}  (CLI: npm run sor -- --help)
    Health and metrics:          http://127.0.0.1:${opsPort}/healthz  /metrics

  Press Ctrl-C to stop the server (the reader keeps running).
`);
}
createInterface({ input: host?.stdout ?? Readable.from([]) }).on('line', (line) => {
  const m = /^Reader ready: (\S+)/.exec(line);
  if (!m) {
    console.log(humanLine('reader', line));
    return;
  }
  console.log(`
  Attaché ${readerOnly ? 'reader is running (server not started: offline until one answers)' : 'is running on embedded defaults'}.

    Reader (open in a browser):  ${m[1]}
    Sign in as:                  ${sample.id}  password: ${sample.password}  (sample user)
${
  devIdp
    ? `                                 The sign-in page (${devIdp.issuer}) uses a development
                                 certificate: your browser warns about it; continue, or
                                 trust the CA in ${devIdp.caFile}
`
    : ''
}${
    readerOnly
      ? ''
      : `    Demo SOR admin API:          http://127.0.0.1:${sorPort}  (CLI: npm run sor -- --help)
    Health and metrics:          http://127.0.0.1:${opsPort}/healthz  /metrics
`
  }
  Press Ctrl-C to stop.
`);
});
