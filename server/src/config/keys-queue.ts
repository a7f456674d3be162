// Configuration of the queue between the poller and the fan-out: the embedded SQLite queue or
// RabbitMQ, leases, retries and dead-lettering.
// One documented key per entry; config-schema.ts assembles all groups.
import { z } from 'zod';
import type { ConfigRule, KeyGroup } from './key-spec.js';
import { positiveInt, optionalUrl } from './key-spec.js';

export const QUEUE_KEYS = {
  queue: {
    env: 'ATTACHE_QUEUE',
    doc: 'Queue between poller and fan-out: "sqlite" (embedded, in dataDir) or "rabbitmq".',
    schema: z.enum(['sqlite', 'rabbitmq']).default('sqlite'),
  },
  rabbitmqUrl: {
    env: 'ATTACHE_RABBITMQ_URL',
    doc: 'With queue=rabbitmq: amqp:// or amqps:// URL, credentials included (never logged).',
    schema: optionalUrl(['amqp:', 'amqps:']).default(''),
    secret: true,
  },
  rabbitmqQueueType: {
    env: 'ATTACHE_RABBITMQ_QUEUE_TYPE',
    doc: '"quorum" (replicated; production) or "classic" (durable, single node).',
    schema: z.enum(['quorum', 'classic']).default('quorum'),
  },
  rabbitmqPrefix: {
    env: 'ATTACHE_RABBITMQ_PREFIX',
    doc: 'Prefix of the queue and exchange names (<prefix>.fanout, <prefix>.fanout.dead, <prefix>.fanout.retry.<ms>).',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,100}$/, { error: 'expected 1-100 of A-Z a-z 0-9 _ . -' })
      .default('attache'),
  },
  queueVisibilityMs: {
    env: 'ATTACHE_QUEUE_VISIBILITY_MS',
    doc: 'Lease (visibility) timeout: a claimed event not acked within it is redelivered.',
    schema: positiveInt.default(60_000),
  },
  queueMaxAttempts: {
    env: 'ATTACHE_QUEUE_MAX_ATTEMPTS',
    doc: 'Deliveries of one event before it is dead-lettered.',
    schema: positiveInt.max(100).default(8),
  },
  queueRetryBaseMs: {
    env: 'ATTACHE_QUEUE_RETRY_BASE_MS',
    doc: 'First retry delay; doubles with each attempt.',
    schema: positiveInt.default(500),
  },
  queueRetryMaxMs: {
    env: 'ATTACHE_QUEUE_RETRY_MAX_MS',
    doc: 'Cap of the retry delay.',
    schema: positiveInt.default(60_000),
  },
} as const satisfies KeyGroup;

/** What these keys require of each other (or of other groups' keys). */
export const QUEUE_RULES: readonly ConfigRule[] = [
  {
    key: 'rabbitmqUrl',
    message: 'is required when queue is "rabbitmq"',
    holds: (c) => c.queue !== 'rabbitmq' || c.rabbitmqUrl !== '',
  },
  {
    key: 'queueRetryBaseMs',
    message: 'must not exceed queueRetryMaxMs',
    holds: (c) => c.queueRetryBaseMs <= c.queueRetryMaxMs,
  },
];
