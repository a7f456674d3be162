// One queue contract, three implementations: the embedded SQLite queue, and RabbitMQ with a
// classic and with a quorum queue (quorum queues run on a single node too, as a one-member group).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { setLogLevel } from '../../../server/src/observability/logger.js';
import type { LogLevel } from '../../../server/src/observability/logger.js';
import { createAmqpQueue, retrySteps } from '../../../server/src/queue/queue.amqp.js';
import { createSqliteQueue } from '../../../server/src/queue/queue.sqlite.js';
import type { Queue } from '../../../server/src/queue/types.js';
import { queueContract } from './queue-contract.js';
import type { Payload, QueueFactory } from './queue-contract.js';
import { RABBITMQ_URL, deleteTopology, rabbitmqSkipReason, shareRabbitmq } from './rabbitmq.js';

setLogLevel((process.env['ATTACHE_TEST_LOG_LEVEL'] ?? 'silent') as LogLevel);

const sqliteFactory: QueueFactory = {
  create(settings) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attache-queue-'));
    const open = () =>
      createSqliteQueue<Payload>({
        file: path.join(dir, 'queue.sqlite'),
        name: 'contract',
        ...settings,
      });
    const handles: Queue<Payload>[] = [open()];
    return Promise.resolve({
      queue: handles[0]!,
      another: () => {
        const q = open();
        handles.push(q);
        return Promise.resolve(q);
      },
      async dispose() {
        for (const q of handles) await q.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    });
  },
};

function amqpFactory(queueType: 'classic' | 'quorum'): QueueFactory {
  return {
    create(settings) {
      const name = `attache-test.${queueType}.${randomBytes(4).toString('hex')}`;
      const open = () =>
        createAmqpQueue<Payload>({
          url: RABBITMQ_URL,
          name,
          queueType,
          prefetch: 10,
          connectWaitMs: 5_000,
          ...settings,
        });
      const handles: Queue<Payload>[] = [open()];
      return Promise.resolve({
        queue: handles[0]!,
        another: () => {
          const q = open();
          handles.push(q);
          return Promise.resolve(q);
        },
        async dispose() {
          for (const q of handles) await q.close();
          await deleteTopology(name, retrySteps(settings.retry));
        },
      });
    },
  };
}

describe('queue contract: SQLite (embedded)', () => {
  queueContract(sqliteFactory);
});

const skip = await rabbitmqSkipReason();
for (const type of ['classic', 'quorum'] as const) {
  if (skip) {
    describe.skip(`queue contract: RabbitMQ ${type} queue (skipped: ${skip})`, () => {
      queueContract(amqpFactory(type));
    });
  } else {
    describe(`queue contract: RabbitMQ ${type} queue`, () => {
      let release: () => void = () => undefined;
      beforeAll(async () => {
        release = await shareRabbitmq(); // no broker restart (fault test) meanwhile
      }, 300_000);
      afterAll(() => release());
      queueContract(amqpFactory(type));
    });
  }
}
