// Whether the tests can use the real RabbitMQ on 127.0.0.1:5672 (scripts/test.sh starts it).
// Where it cannot run (a developer laptop without it), the RabbitMQ tests report themselves
// skipped with the reason, unless ATTACHE_REQUIRE_RABBITMQ is set (CI sets it whenever it started
// RabbitMQ), in which case an unreachable broker fails them.
import { execFile } from 'node:child_process';
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
  const reason = await rabbitmqUnavailable();
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

/** Stops and starts the RabbitMQ application (the Erlang node stays up): a broker restart. */
export async function restartRabbitmq(downMs = 1_000): Promise<void> {
  await run('rabbitmqctl', ['-q', 'stop_app']);
  await new Promise((resolve) => setTimeout(resolve, downMs));
  await run('rabbitmqctl', ['-q', 'start_app']);
  await run('rabbitmqctl', ['-q', 'await_startup', '--timeout', '60']);
}
