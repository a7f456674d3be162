// Whether the tests can use the real RabbitMQ on 127.0.0.1:5672 (scripts/test.sh starts it).
// Where it cannot run (a developer laptop without it), the RabbitMQ tests report themselves
// skipped with the reason, unless ATTACHE_REQUIRE_RABBITMQ is set (CI sets it whenever it started
// RabbitMQ), in which case an unreachable broker fails them.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';

export const RABBITMQ_URL =
  process.env['ATTACHE_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
export const RABBITMQ_REQUIRED = Boolean(process.env['ATTACHE_REQUIRE_RABBITMQ']);

/** null when RabbitMQ answers; otherwise why not. */
export async function rabbitmqUnavailable(): Promise<string | null> {
  try {
    const conn = await amqp.connect(RABBITMQ_URL, { noDelay: true, timeout: 3_000 });
    await conn.close();
    return null;
  } catch (error) {
    return `RabbitMQ unreachable at ${RABBITMQ_URL.replace(/\/\/[^@]*@/, '//')}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * The reason to skip the RabbitMQ tests, or null to run them. Throws when RabbitMQ is required
 * but unreachable, so that CI can never skip them silently.
 */
export async function rabbitmqSkipReason(): Promise<string | null> {
  // Probe with the broker held shared: another file may be restarting it right now (the fault
  // injection test does), and a probe in that window would find it down.
  const release = await shareRabbitmq();
  let reason: string | null;
  try {
    reason = await rabbitmqUnavailable();
  } finally {
    release();
  }
  if (reason && RABBITMQ_REQUIRED) {
    throw new Error(`${reason} (ATTACHE_REQUIRE_RABBITMQ is set, so this is a failure)`);
  }
  return reason;
}

/** Deletes a test's queues and exchange (`<name>`, `<name>.dead`, `<name>.retry.*`, `<name>.dlx`). */
export async function deleteTopology(name: string, retrySteps: readonly number[]): Promise<void> {
  const conn = await amqp.connect(RABBITMQ_URL, { noDelay: true });
  try {
    const ch = await conn.createChannel();
    for (const queue of [name, `${name}.dead`, ...retrySteps.map((ms) => `${name}.retry.${ms}`)]) {
      await ch.deleteQueue(queue);
    }
    await ch.deleteExchange(`${name}.dlx`);
    await ch.close();
  } finally {
    await conn.close();
  }
}

const run = promisify(execFile);

// Test files run in parallel, and a broker restart would break another file's RabbitMQ tests.
// So the broker is shared under a readers-writer lock across processes: a file using RabbitMQ
// holds a reader mark for its duration; a restart takes the writer mark and waits for readers
// to finish. Each side announces itself first and then looks for the other, so they never
// overlap; marks of dead processes are ignored.
const LOCK_DIR = path.join(os.tmpdir(), 'attache-rabbitmq-lock');
const READERS = path.join(LOCK_DIR, 'readers');
const WRITER = path.join(LOCK_DIR, 'writer');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function liveMarks(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((name) => {
    const pid = Number(name.split('-')[0]);
    if (pid === process.pid || alive(pid)) return true;
    fs.rmSync(path.join(dir, name), { force: true, recursive: true });
    return false;
  });
}

function writerActive(): boolean {
  return liveMarks(WRITER).length > 0;
}

/** Holds the broker shared (no restart) until the returned function is called. */
export async function shareRabbitmq(timeoutMs = 240_000): Promise<() => void> {
  fs.mkdirSync(READERS, { recursive: true });
  const mark = path.join(READERS, `${process.pid}-${randomBytes(4).toString('hex')}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    fs.writeFileSync(mark, '');
    if (!writerActive()) return () => fs.rmSync(mark, { force: true });
    fs.rmSync(mark, { force: true });
    if (Date.now() > deadline) throw new Error('RabbitMQ stayed locked by a restart');
    await sleep(200);
  }
}

/**
 * Stops and starts the RabbitMQ application (the Erlang node stays up): a broker restart, once
 * no other test file is using the broker.
 */
export async function restartRabbitmq(downMs = 1_000, timeoutMs = 240_000): Promise<void> {
  fs.mkdirSync(WRITER, { recursive: true });
  const mark = path.join(WRITER, `${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.writeFileSync(mark, '');
  try {
    const deadline = Date.now() + timeoutMs;
    while (liveMarks(READERS).length > 0) {
      if (Date.now() > deadline) throw new Error('other tests kept using RabbitMQ');
      await sleep(200);
    }
    await run('rabbitmqctl', ['-q', 'stop_app']);
    await sleep(downMs);
    await run('rabbitmqctl', ['-q', 'start_app']);
    await run('rabbitmqctl', ['-q', 'await_startup', '--timeout', '60']);
  } finally {
    fs.rmSync(mark, { force: true });
  }
}
