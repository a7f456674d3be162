// Fault injection: "no documents are lost" under crashes. The SOR (the demo SOR behind the REST
// contract) lives in this test process; the Attaché server runs as a child process and is
// killed with SIGKILL at random points (during start-up too) 30 times while 520 briefings are
// shared, updated, unshared and re-shared across 60 users. The RabbitMQ variant also restarts
// the broker under the running server. Afterwards every user's database must hold exactly
// what the SOR says (nothing missing, nothing extra, every briefing at its latest version), no
// replay may have written a revision twice, nothing may sit in the dead-letter queue, and the
// audit trail must verify.
//
// Bounded: a fixed number of kills and operations, each child lives at most a few seconds, the
// final drain has a deadline. ATTACHE_FAULT_SEED=<n> replays a failing run's randomness.
import { spawn } from 'node:child_process';
import type { ChildProcess, ChildProcessByStdio } from 'node:child_process';
import type { Server } from 'node:http';
import type { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditFile, readHeadFile } from '../../../server/src/audit/verify.js';
import { headFileOf } from '../../../server/src/audit/audit-trail.js';
import { CONTROL_DB } from '../../../server/src/couch/control-db.js';
import { createCouchClient } from '../../../server/src/couch/couch-client.js';
import {
  EMBEDDED_COUCH_ORIGIN,
  embeddedCouchPaths,
} from '../../../server/src/couch/embedded-couch-process.js';
import { closeServer, listen } from '../../../server/src/http/json-http.js';
import { setLogLevel } from '../../../server/src/observability/logger.js';
import type { LogLevel } from '../../../server/src/observability/logger.js';
import { CURSOR_FIELD } from '../../../server/src/poller/poller.js';
import { retrySteps } from '../../../server/src/queue/queue.amqp.js';
import { createSorAdminServer } from '../../../server/src/demo/sor/admin-api.js';
import { createDemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import type { DemoSor } from '../../../server/src/demo/sor/demo-sor.sqlite.js';
import { SOR_API_PREFIX } from '../../../server/src/sor/sor-contract.js';
import { checkUserDatabases } from './pipeline-oracle.js';
import { RABBITMQ_URL, deleteTopology, rabbitmqSkipReason, restartRabbitmq } from './rabbitmq.js';

setLogLevel((process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent') as LogLevel);

const KILLS = 30;
const USERS = 60;
const BRIEFINGS = 520;
const OTHER_OPERATIONS = 600; // new versions, unshares, re-shares, extra recipients
const RETRY = { maxAttempts: 100, baseDelayMs: 100, maxDelayMs: 1_000 };
const ROOT = path.resolve(import.meta.dirname, '../../..');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The server as production runs it: compiled JavaScript, not TypeScript transpiled on the fly
 * (which doubles start-up time). Bundled with esbuild (tsx's own compiler) into node_modules'
 * cache, so that its packages resolve as usual; falls back to tsx if esbuild is missing.
 */
async function serverCommand(): Promise<string[]> {
  const out = path.join(ROOT, 'node_modules/.cache/attache-tests/server-main.mjs');
  try {
    const esbuild = await import('esbuild');
    // The embedded CouchDB-protocol server's process starts from its own entry beside the main
    // one (server/src/couch/embedded-couch-process.ts), so it is bundled too.
    await esbuild.build({
      entryPoints: {
        'server-main': path.join(ROOT, 'server/src/main.ts'),
        'embedded-couch-child': path.join(ROOT, 'server/src/couch/embedded-couch-child.ts'),
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outdir: path.dirname(out),
      outExtension: { '.js': '.mjs' },
      logLevel: 'silent',
    });
    return [process.execPath, out];
  } catch {
    return [process.execPath, '--import', 'tsx', path.join(ROOT, 'server/src/main.ts')];
  }
}

/** A seeded PRNG (mulberry32), so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const content = (title: string, n: number) => ({
  title,
  summary: '',
  bodyHtml: `<h2>${title}</h2><p>Paragraph ${n}.</p><script>alert(${n})</script>`,
  classification: n % 3 === 0 ? 'PROTECTED' : 'OFFICIAL',
  priority: n % 4 === 0 ? 'urgent' : 'routine',
  sender: { name: 'Briefing Unit', role: 'Department' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
});

/** All SOR operations of a run, in order; each one is applied when the driver gets to it. */
function* operations(sor: DemoSor, users: readonly string[], rnd: () => number) {
  const pick = () => users[Math.floor(rnd() * users.length)]!;
  const ids: string[] = [];
  const pdf = new TextEncoder().encode('%PDF-1.7\n% fault injection\n');
  let other = 0;
  for (let n = 0; n < BRIEFINGS; n += 1) {
    const recipients = [...new Set([pick(), pick(), ...(rnd() < 0.3 ? [pick()] : [])])];
    ids.push(
      sor.create({
        content: content(`Briefing ${n}`, n),
        recipients,
        ...(n % 10 === 0
          ? { attachments: [{ name: `paper-${n}.pdf`, contentType: 'application/pdf', data: pdf }] }
          : {}),
      }).sorId,
    );
    yield;
    // Interleave the other operations with the creations, on briefings that exist by now.
    while (other < ((n + 1) * OTHER_OPERATIONS) / BRIEFINGS) {
      other += 1;
      const id = ids[Math.floor(rnd() * ids.length)]!;
      const roll = rnd();
      if (roll < 0.3) sor.update(id, { content: content(`${id} revised ${other}`, other) });
      else if (roll < 0.6) {
        const current = sor.get(id)?.recipients ?? [];
        if (current.length > 0) sor.unshare(id, [current[Math.floor(rnd() * current.length)]!]);
      } else sor.share(id, [pick()]);
      yield;
    }
  }
}

type Run = {
  dir: string;
  sor: DemoSor;
  sorServer: Server;
  env: NodeJS.ProcessEnv;
  opsUrl: string;
  command: string[];
  logs: string[];
};

async function prepare(variant: 'sqlite' | 'rabbitmq', prefix: string): Promise<Run> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `attache-fault-${variant}-`));
  const sor = createDemoSor({ file: path.join(dir, 'sor.sqlite') });
  const token = randomBytes(24).toString('hex');
  const sorServer = createSorAdminServer({ sor, adminToken: token });
  const sorPort = await listen(sorServer, '127.0.0.1', 0);
  fs.writeFileSync(path.join(dir, 'sor-token'), token, { mode: 0o600 });
  const [brokerPort, opsPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    ATTACHE_DATA_DIR: path.join(dir, 'server'),
    ATTACHE_INSTANCE_ID: 'fault-test',
    ATTACHE_SOR_PORT: '0',
    ATTACHE_BROKER_PORT: String(brokerPort),
    ATTACHE_OPS_PORT: String(opsPort),
    ATTACHE_LOG_LEVEL: process.env['ATTACHE_FAULT_LOG_LEVEL'] ?? 'warn',
    ATTACHE_DEMO_SOR: 'false',
    ATTACHE_SOR_ADAPTER: 'rest',
    ATTACHE_SOR_REST_URL: `http://127.0.0.1:${sorPort}${SOR_API_PREFIX}`,
    ATTACHE_SOR_REST_TOKEN_FILE: path.join(dir, 'sor-token'),
    ATTACHE_DEV_IDP: 'false',
    ATTACHE_TOKEN_ISSUER: 'https://issuer.invalid',
    ATTACHE_POLL_INTERVAL_MS: '100',
    ATTACHE_FANOUT_IDLE_MS: '50',
    // Leases of killed workers run out quickly; redeliveries of killed batches are no poison.
    ATTACHE_QUEUE_VISIBILITY_MS: '3000',
    ATTACHE_QUEUE_MAX_ATTEMPTS: String(RETRY.maxAttempts),
    ATTACHE_QUEUE_RETRY_BASE_MS: String(RETRY.baseDelayMs),
    ATTACHE_QUEUE_RETRY_MAX_MS: String(RETRY.maxDelayMs),
    ATTACHE_POLL_MAX_BACKOFF_MS: '1000',
    ATTACHE_LEASE_TTL_MS: '2000',
    ...(variant === 'rabbitmq'
      ? {
          ATTACHE_QUEUE: 'rabbitmq',
          ATTACHE_RABBITMQ_URL: RABBITMQ_URL,
          ATTACHE_RABBITMQ_QUEUE_TYPE: 'quorum',
          ATTACHE_RABBITMQ_PREFIX: prefix,
        }
      : {}),
  };
  return {
    dir,
    sor,
    sorServer,
    env,
    opsUrl: `http://127.0.0.1:${opsPort}`,
    command: await serverCommand(),
    logs: [],
  };
}

function spawnServer(run: Run): ChildProcessByStdio<null, Readable, Readable> {
  const [cmd, ...args] = run.command;
  const child = spawn(cmd!, args, { cwd: ROOT, env: run.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => {
    fs.appendFileSync(path.join(run.dir, 'server.log'), chunk.toString('utf8'));
    run.logs.push(chunk.toString('utf8'));
    if (run.logs.length > 400) run.logs.splice(0, run.logs.length - 400);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function opsJson(run: Run, route: string): Promise<unknown> {
  const res = await fetch(`${run.opsUrl}${route}`, { signal: AbortSignal.timeout(3_000) });
  return res.json();
}

async function faultRun(variant: 'sqlite' | 'rabbitmq'): Promise<void> {
  const seed = Number(process.env['ATTACHE_FAULT_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  const rnd = prng(seed);
  const prefix = `attache-fault-${randomBytes(4).toString('hex')}`;
  const run = await prepare(variant, prefix);
  const started = Date.now();
  const users = Array.from({ length: USERS }, (_, i) => `fault.user-${String(i).padStart(2, '0')}`);
  const ops = operations(run.sor, users, rnd);
  const totalOps = BRIEFINGS + OTHER_OPERATIONS;
  let applied = 0;
  const applySome = (count: number) => {
    for (let i = 0; i < count; i += 1) {
      if (ops.next().done) return;
      applied += 1;
    }
  };
  const restartsAt = variant === 'rabbitmq' ? new Set([9, 19]) : new Set<number>();
  let restarts = 0;
  let child: ChildProcess | null = null;
  let failed = false;

  try {
    for (let k = 0; k < KILLS; k += 1) {
      child = spawnServer(run);
      // A random point of the server's life: some kills land during start-up, most while it
      // polls, enqueues and writes.
      const lifetime = 300 + rnd() * 3_000;
      const perTick = Math.ceil(totalOps / KILLS / 10);
      for (let t = 0; t < 10; t += 1) {
        applySome(perTick);
        await sleep(lifetime / 10);
      }
      if (restartsAt.has(k)) {
        // The broker goes away under the running server and comes back.
        await restartRabbitmq(500);
        restarts += 1;
        await sleep(1_000 + rnd() * 1_000);
      }
      await kill(child);
    }
    applySome(totalOps);
    expect(applied).toBe(totalOps);

    // The last start: let it drain, then compare with the SOR.
    child = spawnServer(run);
    const lastSeq = Math.max(
      ...(await run.sor.listChanges(null, 1_000_000)).changes.map((c) => c.seq),
    );
    const secrets = () =>
      JSON.parse(
        fs.readFileSync(path.join(run.dir, 'server/secrets/server-secrets.json'), 'utf8'),
      ) as { couchAdmin: { username: string; password: string } };
    const couch = createCouchClient({
      url: EMBEDDED_COUCH_ORIGIN,
      socketPath: embeddedCouchPaths(path.join(run.dir, 'server')).socketPath,
      credentials: secrets().couchAdmin,
    });
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        const lease = await couch.getDoc(CONTROL_DB, 'lease:poller');
        const cursor = (lease?.['data'] as Record<string, unknown> | undefined)?.[CURSOR_FIELD];
        const health = (await opsJson(run, '/healthz')) as {
          checks: { queue: { detail?: { ready: number; delayed: number; leased: number } } };
        };
        const q = health.checks.queue.detail;
        if (cursor === String(lastSeq) && q && q.ready + q.delayed + q.leased === 0) break;
      } catch {
        /* still starting */
      }
      if (Date.now() > deadline) throw new Error('the pipeline did not drain within 2 minutes');
      await sleep(250);
    }

    const report = await checkUserDatabases(run.sor, couch, users);
    expect(report.problems).toEqual([]);
    expect(report.briefings).toBeGreaterThan(BRIEFINGS); // most are shared with 2–3 users
    const adminToken = fs.readFileSync(path.join(run.dir, 'server/secrets/admin-token'), 'utf8');
    const dead = (await (
      await fetch(`${run.opsUrl}/dead-letters`, {
        headers: { authorization: `Bearer ${adminToken.trim()}` },
      })
    ).json()) as { deadLetters: unknown[] };
    expect(dead.deadLetters).toEqual([]);
    const auditFile = path.join(run.dir, 'server/audit/audit.jsonl');
    await kill(child); // one more kill: the trail must still verify afterwards
    const audit = await verifyAuditFile(auditFile, { head: readHeadFile(headFileOf(auditFile)) });
    expect(audit.problems).toEqual([]);
    // Every share that landed is in the trail, however the crashes fell.
    const shared = new Set(
      fs
        .readFileSync(auditFile, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { action: string; user: string; sorId?: string })
        .filter((r) => r.action === 'fanout.share')
        .map((r) => `${r.user} ${r.sorId}`),
    );
    expect(report.present.filter((pair) => !shared.has(pair))).toEqual([]);
    expect(restarts).toBe(restartsAt.size);
    console.log(
      `fault injection (${variant}, seed ${seed}): ${KILLS + 1} SIGKILLs, ${restarts} broker restarts, ` +
        `${applied} SOR operations, ${report.briefings} briefings in ${users.length} databases verified, ` +
        `${audit.records} audit records, ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  } catch (error) {
    failed = true;
    console.error(`fault injection (${variant}) failed with seed ${seed}; server log tail:`);
    console.error(run.logs.join('').split('\n').slice(-60).join('\n'));
    throw error;
  } finally {
    if (child) await kill(child);
    await closeServer(run.sorServer);
    run.sor.close();
    if (variant === 'rabbitmq') {
      await deleteTopology(`${prefix}.fanout`, retrySteps(RETRY)).catch(() => undefined);
    }
    if (failed || process.env['ATTACHE_KEEP_FAULT_DIR']) {
      console.error(`fault injection (${variant}): data, logs and audit trail kept in ${run.dir}`);
    } else fs.rmSync(run.dir, { recursive: true, force: true });
  }
}

const rabbitSkip = await rabbitmqSkipReason();

describe('fault injection: SIGKILL at random points', () => {
  beforeAll(() => undefined);
  afterAll(() => undefined);

  it('loses nothing and duplicates nothing with the embedded queue', async () => {
    await faultRun('sqlite');
  }, 300_000);

  (rabbitSkip ? it.skip : it)(
    `loses nothing and duplicates nothing with RabbitMQ, restarted under the running server${rabbitSkip ? ` (skipped: ${rabbitSkip})` : ''}`,
    async () => {
      await faultRun('rabbitmq');
    },
    300_000,
  );
});
