// Fan-out benchmark (not part of the test suite): `npm run bench:fanout`.
//
// 1,000 users x 20 briefings go from the demo SOR through poller -> queue -> fan-out into the
// users' databases, once with the embedded SQLite queue and once with RabbitMQ, and the rate
// is compared with the raw limit measured in the same run against the same server: the same
// kind of documents written straight into the same kind of databases with `_bulk_docs` (one
// request of 20 per user database, 8 in parallel). CouchDB (the embedded express-pouchdb
// server) runs in a process of its own, as in production.
//
// `BENCH_COUCHDB=apache` runs the same on Apache CouchDB 3.5 (a fresh instance per measurement
// from ../shared/couchdb, as the `couchdb` test project starts them; users reach it with tokens,
// the production mode), the raw limit then measured on that instance.
//
// Not timed: starting CouchDB, creating the users' databases (steady state: the users exist),
// filling the SOR. Timed: from starting the pipeline to the last briefing written.
// Env: BENCH_USERS (1000), BENCH_PER_USER (20), BENCH_ORDER (by-user | round-robin),
// BENCH_RABBITMQ_URL (amqp://guest:guest@127.0.0.1:5672; "off" to skip), BENCH_QUEUES,
// BENCH_COUCHDB (embedded | apache).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAuditTrail } from '../../server/src/audit/audit-trail.js';
import { parseConfig } from '../../server/src/config/config-schema.js';
import { CONTROL_DB, ensureControlDb } from '../../server/src/couch/control-db.js';
import { createCouchClient } from '../../server/src/couch/couch-client.js';
import {
  EMBEDDED_COUCH_ORIGIN,
  startEmbeddedCouchProcess,
} from '../../server/src/couch/embedded-couch-process.js';
import type { CouchClient, CouchDoc } from '../../server/src/couch/types.js';
import pMap from 'p-map';
import { transformSorDocument } from '../../server/src/fanout/transform.js';
import {
  createBasicUserAuth,
  createJwtUserAuth,
  parseJwtSigningKey,
} from '../../server/src/couch/user-auth.js';
import type { UserAuth } from '../../server/src/couch/user-auth.js';
import { acquireTestCouchDb, findCouchDb, TEST_JWT_KEY_ID } from '../support/couchdb.js';
import { createUserDbs } from '../../server/src/user-dbs/user-dbs.js';
import type { UserDbs } from '../../server/src/user-dbs/user-dbs.js';
import { setLogLevel } from '../../server/src/observability/logger.js';
import type { LogLevel } from '../../server/src/observability/logger.js';
import { createMetrics } from '../../server/src/observability/metrics.js';
import {
  createFanoutQueue,
  FANOUT_QUEUE,
  startPipeline,
} from '../../server/src/pipeline/pipeline.js';
import { retrySteps } from '../../server/src/queue/queue.amqp.js';
import { createDemoSor } from '../../server/src/demo/sor/demo-sor.sqlite.js';
import type { DemoSor } from '../../server/src/demo/sor/demo-sor.sqlite.js';

const USERS = Number(process.env['BENCH_USERS'] ?? 1000);
const PER_USER = Number(process.env['BENCH_PER_USER'] ?? 20);
const ORDER = process.env['BENCH_ORDER'] === 'round-robin' ? 'round-robin' : 'by-user';
const RABBITMQ_URL = process.env['BENCH_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const QUEUES = (process.env['BENCH_QUEUES'] ?? 'sqlite,rabbitmq').split(',');
const QUEUE_TYPE = process.env['BENCH_RABBITMQ_QUEUE_TYPE'] === 'classic' ? 'classic' : 'quorum';
const RAW_PARALLEL = 8;
const EVENTS = USERS * PER_USER;
const ADMIN = { username: 'attache-bench', password: randomBytes(16).toString('hex') };
const BACKEND = process.env['BENCH_COUCHDB'] === 'apache' ? 'apache' : 'embedded';

setLogLevel((process.env['BENCH_LOG_LEVEL'] ?? 'warn') as 'warn');

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const progress = (text: string) => process.stderr.write(`  … ${text}\n`);
/**
 * Lets the event loop catch up after long synchronous set-up: keep-alive sockets CouchDB closed
 * meanwhile must be noticed as closed before the next request, or it fails "other side closed".
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));
const rate = (count: number, ms: number) => Math.round(count / (ms / 1000));

/** CPU seconds a process has used so far (Linux /proc; 0 elsewhere). */
function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
  } catch {
    return 0;
  }
}

type BenchCouch = {
  client: CouchClient & { close(): Promise<void> };
  pid: number;
  /** How the users reach it (the broker's mode for this backend). */
  auth: UserAuth;
  /** Its server admin, which the users' databases name as their admin. */
  adminName: string;
  stop: () => Promise<void>;
};

/** The Erlang VM running the instance in `dir` (for its CPU time), or 0. */
function beamPid(dir: string): number {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('beam') && cmdline.includes(dir)) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return 0;
}

/** A fresh Apache CouchDB 3.5 instance, users reaching it with tokens. */
async function startApacheCouch(): Promise<BenchCouch> {
  const source = await findCouchDb('instances');
  if (source.kind !== 'instances') {
    throw new Error(
      source.kind === 'unavailable'
        ? source.reason
        : 'BENCH_COUCHDB=apache starts its own instances: unset ATTACHE_TEST_COUCHDB_URL',
    );
  }
  const couch = await acquireTestCouchDb(source);
  const client = createCouchClient({ url: couch.url, credentials: couch.admin });
  return {
    client,
    adminName: couch.admin.username,
    pid: couch.instance ? beamPid(couch.instance.dir) : 0,
    auth: createJwtUserAuth({
      signingKey: parseJwtSigningKey(fs.readFileSync(couch.config.couchJwtKeyFile ?? '', 'utf8')),
      keyId: TEST_JWT_KEY_ID,
    }),
    async stop() {
      await client.close();
      await couch.release();
    },
  };
}

/** The embedded CouchDB-protocol server in its own supervised process, as the server runs it. */
async function startCouch(dir: string): Promise<BenchCouch> {
  if (BACKEND === 'apache') return startApacheCouch();
  const couch = await startEmbeddedCouchProcess({
    dataDir: dir,
    admin: ADMIN,
    logLevel: (process.env['BENCH_LOG_LEVEL'] ?? 'warn') as LogLevel,
  });
  const client = createCouchClient({
    url: EMBEDDED_COUCH_ORIGIN,
    socketPath: couch.socketPath,
    credentials: ADMIN,
  });
  return {
    client,
    adminName: ADMIN.username,
    pid: couch.pid() ?? 0,
    auth: createBasicUserAuth(randomBytes(32).toString('hex')),
    async stop() {
      await client.close();
      await couch.stop();
    },
  };
}

/** About 2 KB of briefing HTML, different for each document. */
function body(user: number, n: number): string {
  const para = `<p>Paragraph about item ${n} for reader ${user}: background, current position, options considered and the recommended course of action, with the risks the department sees and the handling it proposes.</p>`;
  return `<h2>Briefing ${n}</h2>${para.repeat(8)}<ul><li>Point one</li><li>Point two</li></ul>`;
}

function fillSor(file: string, users: readonly string[]): DemoSor {
  const sor = createDemoSor({ file });
  const create = (u: number, n: number) =>
    sor.create({
      content: {
        title: `Briefing ${n} for ${users[u]}`,
        summary: '',
        bodyHtml: body(u, n),
        classification: 'OFFICIAL: Sensitive',
        priority: n % 5 === 0 ? 'urgent' : 'routine',
        sender: { name: 'Briefing Unit', role: 'Department' },
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      },
      recipients: [users[u]!],
    });
  if (ORDER === 'by-user') {
    for (let u = 0; u < users.length; u += 1) for (let n = 0; n < PER_USER; n += 1) create(u, n);
  } else {
    for (let n = 0; n < PER_USER; n += 1) for (let u = 0; u < users.length; u += 1) create(u, n);
  }
  return sor;
}

const usersOf = (label: string) =>
  Array.from({ length: USERS }, (_, i) => `${label}.user-${String(i).padStart(4, '0')}`);

async function ensureUsers(userDbs: UserDbs, users: readonly string[]): Promise<void> {
  await pMap(
    users,
    async (user) => {
      await userDbs.ensure(user);
    },
    { concurrency: 16 },
  );
}

async function rawLimit(couch: CouchClient, userDbs: UserDbs, dir: string): Promise<number> {
  fs.mkdirSync(dir, { recursive: true });
  const users = usersOf('raw');
  progress("creating the raw baseline's user databases");
  await ensureUsers(userDbs, users);
  progress('filling the SOR');
  const sor = fillSor(path.join(dir, 'sor-raw.sqlite'), users);
  // The very documents the fan-out would write, prepared before the clock starts.
  const perUser = new Map<string, CouchDoc[]>();
  for (const summary of sor.list()) {
    const doc = await sor.fetchDocument(summary.sorId);
    const t = transformSorDocument(doc!);
    const user = summary.recipients[0]!;
    const list = perUser.get(user) ?? [];
    list.push({ _id: t.id, ...t.doc, _attachments: {} });
    perUser.set(user, list);
  }
  sor.close();
  await settle();
  const started = performance.now();
  await pMap(
    perUser,
    async ([user, docs]) => {
      const results = await couch.bulkDocs((await userDbs.ensure(user)).briefings, docs);
      if (results.some((r) => r.error))
        throw new Error(`raw write failed: ${JSON.stringify(results[0])}`);
    },
    { concurrency: RAW_PARALLEL },
  );
  return performance.now() - started;
}

async function pipelineRun(
  queueKind: 'sqlite' | 'rabbitmq',
  couch: CouchClient,
  couchPid: number,
  userDbs: UserDbs,
  dir: string,
  serviceAdminName: string,
): Promise<{ ms: number; cpu: { self: number; couch: number } }> {
  const label = `bench-${queueKind}`;
  const users = usersOf(label);
  progress(`creating the ${queueKind} run's user databases`);
  await ensureUsers(userDbs, users);
  progress('filling the SOR');
  const sor = fillSor(path.join(dir, `sor-${queueKind}.sqlite`), users);
  progress('running the pipeline');
  const prefix = `attache-bench-${randomBytes(3).toString('hex')}`;
  const config = parseConfig({
    dataDir: path.join(dir, label),
    logLevel: 'warn',
    instanceId: label,
    queue: queueKind,
    ...(queueKind === 'rabbitmq'
      ? { rabbitmqUrl: RABBITMQ_URL, rabbitmqPrefix: prefix, rabbitmqQueueType: QUEUE_TYPE }
      : {}),
    pollIntervalMs: 50,
    fanoutIdleMs: 20,
    returnsEnabled: false,
    ...(process.env['BENCH_FANOUT_CONCURRENCY']
      ? { fanoutConcurrency: Number(process.env['BENCH_FANOUT_CONCURRENCY']) }
      : {}),
    ...(process.env['BENCH_FANOUT_BATCH']
      ? { fanoutBatchSize: Number(process.env['BENCH_FANOUT_BATCH']) }
      : {}),
  });
  fs.mkdirSync(config.dataDir, { recursive: true });
  const queue = createFanoutQueue(config);
  const metrics = createMetrics({ queueDepth: () => queue.depth() });
  const audit = createAuditTrail({
    file: path.join(config.dataDir, 'audit.jsonl'),
    instance: label,
  });
  const written = async () => {
    const text = await metrics.registry.getSingleMetricAsString(
      'attache_fanout_events_processed_total',
    );
    return Number(/outcome="written"\} (\d+)/.exec(text)?.[1] ?? 0);
  };
  if (queueKind === 'rabbitmq') await queue.depth(); // connected before the clock starts
  await settle();
  // Each run has a SOR of its own: the poller starts at the beginning of its change log.
  const lease = await couch.getDoc(CONTROL_DB, 'lease:poller');
  if (lease) await couch.putDoc(CONTROL_DB, { ...lease, released: true, data: {} });

  const started = performance.now();
  const cpuBefore = { couch: cpuSeconds(couchPid), self: cpuSeconds(process.pid) };
  const pipeline = await startPipeline({
    config,
    couch,
    userDbs,
    serviceAdminName,
    sor,
    queue,
    metrics,
    audit,
    instanceId: label,
  });
  const deadline = Date.now() + 15 * 60_000;
  while ((await written()) < EVENTS) {
    if (Date.now() > deadline) throw new Error(`${queueKind}: only ${await written()} written`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const elapsed = performance.now() - started;
  const cpu = {
    couch: cpuSeconds(couchPid) - cpuBefore.couch,
    self: cpuSeconds(process.pid) - cpuBefore.self,
  };
  await pipeline.stop();
  await queue.close();
  await audit.close();
  sor.close();
  if (queueKind === 'rabbitmq') {
    // Leave the broker as it was.
    const amqp = await import('amqplib');
    const conn = await amqp.connect(RABBITMQ_URL);
    const ch = await conn.createChannel();
    const name = `${prefix}.${FANOUT_QUEUE}`;
    for (const q of [
      name,
      `${name}.dead`,
      ...retrySteps({
        maxAttempts: config.queueMaxAttempts,
        baseDelayMs: config.queueRetryBaseMs,
        maxDelayMs: config.queueRetryMaxMs,
      }).map((ms) => `${name}.retry.${ms}`),
    ]) {
      await ch.deleteQueue(q);
    }
    await ch.deleteExchange(`${name}.dlx`);
    await conn.close();
  }
  return { ms: elapsed, cpu };
}

async function rabbitmqReachable(): Promise<string | null> {
  if (RABBITMQ_URL === 'off') return 'BENCH_RABBITMQ_URL=off';
  try {
    const amqp = await import('amqplib');
    const conn = await amqp.connect(RABBITMQ_URL, { timeout: 3_000 });
    await conn.close();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * One measurement: a fresh CouchDB process, the raw limit on it, then the pipeline on it. Each
 * queue gets its own server: express-pouchdb keeps every database open (about four files
 * each), and three sets of 2,000 databases would not fit one process's file limit here.
 */
async function measure(kind: 'sqlite' | 'rabbitmq', dir: string, sorDir: string): Promise<void> {
  const couchServer = await startCouch(path.join(dir, `couch-${kind}`));
  try {
    const couch = couchServer.client;
    const serviceAdminName = couchServer.adminName;
    await ensureControlDb(couch, serviceAdminName);
    const userDbs = createUserDbs({ couch, auth: couchServer.auth, serviceAdminName });
    const rawMs = await rawLimit(couch, userDbs, path.join(sorDir, `raw-${kind}`));
    const raw = rate(EVENTS, rawMs);
    console.log(
      `raw _bulk_docs limit:  ${EVENTS} docs in ${seconds(rawMs)} s = ${raw} docs/s ` +
        `(${USERS} requests of ${PER_USER}, ${RAW_PARALLEL} in parallel)`,
    );
    const { ms, cpu } = await pipelineRun(
      kind,
      couch,
      couchServer.pid,
      userDbs,
      sorDir,
      serviceAdminName,
    );
    const events = rate(EVENTS, ms);
    const name = kind === 'sqlite' ? 'embedded SQLite queue:' : `RabbitMQ ${QUEUE_TYPE} queue:`;
    console.log(
      `${name.padEnd(22)} ${EVENTS} events in ${seconds(ms)} s = ${events} events/s, ` +
        `${(events / raw).toFixed(2)} of the raw limit ` +
        `(CPU: pipeline ${cpu.self.toFixed(1)} s, CouchDB ${cpu.couch.toFixed(1)} s)`,
    );
  } finally {
    await couchServer.stop();
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-bench-'));
  const sorDir = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/attache-bench-sor-') : dir;
  try {
    console.log(
      `Attaché fan-out benchmark: ${USERS} users x ${PER_USER} briefings = ${EVENTS} events ` +
        `(~2 KB of HTML each; SOR change log ordered ${ORDER}); ${os.cpus().length} cores`,
    );
    console.log(
      BACKEND === 'apache'
        ? 'CouchDB: Apache CouchDB 3.5.0 on loopback, a fresh instance per measurement (users by token)'
        : 'CouchDB: embedded express-pouchdb on LevelDB, in its own process, over its Unix socket',
    );
    const skipRabbit = await rabbitmqReachable();
    for (const kind of QUEUES) {
      if (kind !== 'sqlite' && kind !== 'rabbitmq') continue;
      if (kind === 'rabbitmq' && skipRabbit) {
        console.log(`RabbitMQ:              skipped (${skipRabbit})`);
        continue;
      }
      await measure(kind, dir, sorDir);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    if (sorDir !== dir) fs.rmSync(sorDir, { recursive: true, force: true });
  }
}

await main();
