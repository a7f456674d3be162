// The RabbitMQ queue's connection: one connection with a confirm channel for publishing and a
// channel for consuming, the topology declared on every (re)connection, reconnection with
// back-off, and publishing that resolves only once the broker confirmed the message (and did
// not return it as unroutable). What was delivered on a lost connection is void: the queue
// facade hears of it through `onDrop` and forgets its deliveries; the broker redelivers them.
import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { createLogger, describeError } from '../observability/logger.js';
import { backoffDelayMs } from '../timing/backoff.js';
import { createSleeper } from '../timing/sleeper.js';
import { H_PUBLISH_ID } from './amqp-headers.js';
import type { QueueNames } from './amqp-headers.js';
import { QueueUnavailableError } from './types.js';

const log = createLogger('queue-amqp');

export type Link = {
  readonly model: ChannelModel;
  /** Publishing (confirm mode). */
  readonly pub: ConfirmChannel;
  /** Consuming and acking. */
  readonly sub: Channel;
  /**
   * Delivery tags on `sub` not yet acked or requeued, oldest first (a Set keeps insertion order
   * and the broker numbers deliveries upwards): what an `allUpTo` ack would settle.
   */
  readonly unsettled: Set<number>;
  readonly generation: number;
};

export type AmqpLinkOptions = {
  readonly url: string;
  readonly names: QueueNames;
  /** The retry steps, one holding queue each. */
  readonly steps: readonly number[];
  readonly queueType: 'quorum' | 'classic';
  readonly prefetch: number;
  readonly connectWaitMs: number;
  /** A new connection is up (before anyone waiting for one is told): start consuming on it. */
  readonly onOpen: (link: Link) => Promise<void>;
  /** The connection was lost: every delivery on it is void. */
  readonly onDrop: () => void;
};

export type AmqpLink = {
  /** The connection as it is now, or null while there is none. */
  current(): Link | null;
  /** The connection, waiting up to `connectWaitMs` for one; QueueUnavailableError if none. */
  ready(): Promise<Link>;
  /** Forgets a connection that stopped working and starts another. */
  drop(link: Link, reason: string): void;
  /** Publishes with confirms; resolves when the broker has the message on disk (or routed it). */
  publish(
    link: Link,
    routingKey: string,
    exchange: string,
    body: Buffer,
    props: Options.Publish,
  ): Promise<void>;
  close(): Promise<void>;
};

function withHeartbeat(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', '10');
  return parsed.toString();
}

async function declareTopology(ch: Channel, options: AmqpLinkOptions): Promise<void> {
  const { names } = options;
  const typeArgs = { 'x-queue-type': options.queueType };
  await ch.assertExchange(names.dlx, 'fanout', { durable: true });
  await ch.assertQueue(names.dead, { durable: true, arguments: { ...typeArgs } });
  await ch.bindQueue(names.dead, names.dlx, '');
  await ch.assertQueue(names.work, {
    durable: true,
    arguments: { ...typeArgs, 'x-dead-letter-exchange': names.dlx },
  });
  for (const ms of options.steps) {
    await ch.assertQueue(names.retry(ms), {
      durable: true,
      arguments: {
        ...typeArgs,
        'x-message-ttl': ms,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': names.work,
        // Quorum queues dead-letter at most once unless told otherwise; a retry must not vanish.
        ...(options.queueType === 'quorum'
          ? { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' }
          : {}),
      },
    });
  }
}

export function createAmqpLink(options: AmqpLinkOptions): AmqpLink {
  const url = withHeartbeat(options.url);
  let link: Link | null = null;
  let connecting: Promise<void> | null = null;
  let generation = 0;
  let closed = false;
  let lastError = '';
  const returned = new Set<string>();
  // Whoever waits for a connection; woken when one is up or the queue closes.
  const linkWaiters = createSleeper();
  // The pause between two connection attempts; close() cuts it short.
  const retryPause = createSleeper();

  function drop(dead: Link, reason: string): void {
    if (link !== dead) return;
    link = null;
    options.onDrop();
    dead.model.close().catch(() => undefined);
    if (!closed) {
      log.warn({ reason }, 'RabbitMQ connection lost; reconnecting');
      void ensureLink();
    }
  }

  async function openLink(): Promise<void> {
    const model = await connect(url, { noDelay: true, timeout: 5_000 });
    try {
      const pub = await model.createConfirmChannel();
      const sub = await model.createChannel();
      await declareTopology(pub, options);
      await sub.prefetch(Math.max(1, options.prefetch));
      generation += 1;
      const current: Link = { model, pub, sub, generation, unsettled: new Set() };
      model.on('error', (error: Error) => {
        lastError = error.message;
      });
      model.on('close', () => drop(current, lastError || 'connection closed'));
      for (const ch of [pub, sub]) {
        ch.on('error', (error: Error) => {
          lastError = error.message;
          log.error({ err: error.message }, 'RabbitMQ channel error');
        });
        ch.on('close', () => drop(current, lastError || 'channel closed'));
      }
      pub.on('return', (message: ConsumeMessage) => {
        const id = message.properties.headers?.[H_PUBLISH_ID] as unknown;
        if (typeof id === 'string') returned.add(id);
      });
      link = current;
      await options.onOpen(current);
      log.info({ queue: options.names.work, type: options.queueType }, 'connected to RabbitMQ');
      linkWaiters.wake();
    } catch (error) {
      await model.close().catch(() => undefined);
      throw error;
    }
  }

  function ensureLink(): Promise<void> {
    if (link || closed) return Promise.resolve();
    connecting ??= (async () => {
      for (let attempt = 1; !closed && !link; attempt += 1) {
        try {
          await openLink();
        } catch (error) {
          lastError = describeError(error).message;
          const delay = backoffDelayMs(attempt, { baseDelayMs: 200, maxDelayMs: 5_000 });
          if (attempt === 1 || attempt % 10 === 0) {
            log.warn({ err: lastError, attempt, retryInMs: delay }, 'cannot reach RabbitMQ');
          }
          await retryPause.sleep(delay);
        }
      }
    })().finally(() => {
      connecting = null;
    });
    return connecting;
  }

  void ensureLink();

  return {
    current: () => link,

    async ready() {
      if (closed) throw new QueueUnavailableError('The queue is closed.');
      if (link) return link;
      void ensureLink();
      await linkWaiters.sleep(options.connectWaitMs);
      if (!link) {
        throw new QueueUnavailableError(
          `RabbitMQ is unreachable${lastError ? ` (${lastError})` : ''}.`,
        );
      }
      return link;
    },

    drop,

    async publish(current, routingKey, exchange, body, props) {
      const publishId = randomUUID();
      const headers = { ...(props.headers as Record<string, unknown>), [H_PUBLISH_ID]: publishId };
      await new Promise<void>((resolve, reject) => {
        // publish() returning false only means amqplib's buffer is full; the message is still
        // queued and its confirm still arrives, which is what we wait for.
        current.pub.publish(
          exchange,
          routingKey,
          body,
          { ...props, headers, persistent: true, mandatory: true, contentType: 'application/json' },
          (error: unknown) => {
            if (error) {
              reject(
                new QueueUnavailableError(
                  `RabbitMQ did not confirm a publish: ${describeError(error).message}`,
                ),
              );
            } else if (returned.delete(publishId)) {
              reject(new Error(`RabbitMQ could not route a message to ${exchange || routingKey}.`));
            } else resolve();
          },
        );
      });
    },

    async close() {
      closed = true;
      linkWaiters.wake();
      retryPause.wake();
      const current = link;
      link = null;
      if (current) await current.model.close().catch(() => undefined);
      await connecting?.catch(() => undefined);
    },
  };
}
