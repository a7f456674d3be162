// The RabbitMQ queue's dead letters: writing one with its reason, and peeking at or replaying
// the dead-letter queue. AMQP has no "peek": a dedicated channel takes messages without acking
// them and closing it gives them back, in order.
import type { Channel, ConsumeMessage, GetMessage, Options } from 'amqplib';
import { createLogger, describeError } from '../observability/logger.js';
import {
  H_ATTEMPTS,
  H_DEAD_AT,
  H_ENQUEUED_AT,
  H_REASON,
  cut,
  headerNumber,
} from './amqp-headers.js';
import type { QueueNames } from './amqp-headers.js';
import type { AmqpLink, Link } from './amqp-link.amqp.js';
import type { DeadLetter } from './types.js';

const log = createLogger('queue-amqp');

/** Longest wait for peeked dead letters to be back on their queue (see giveBack). */
const GIVE_BACK_WAIT_MS = 5_000;

export type DeadLetterBox<T> = {
  /** Publishes `message` to the dead-letter exchange with the reason it died. */
  bury(current: Link, message: ConsumeMessage, attempts: number, reason: string): Promise<void>;
  /** Up to `limit` dead letters, left where they are. */
  peek(limit: number): Promise<DeadLetter<T>[]>;
  /** Moves the dead letters named (all when `ids` is absent) back to the work queue. */
  replay(ids?: readonly string[]): Promise<number>;
};

function toDeadLetter<T>(message: { content: Buffer; properties: Options.Publish }): DeadLetter<T> {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const death = Array.isArray(headers['x-death'])
    ? (headers['x-death'][0] as { reason?: string } | undefined)
    : undefined;
  let payload: T;
  try {
    payload = JSON.parse(message.content.toString('utf8')) as T;
  } catch {
    payload = null as T;
  }
  return {
    id: String(message.properties.messageId ?? ''),
    payload,
    attempts: headerNumber(headers[H_ATTEMPTS], 0),
    reason:
      typeof headers[H_REASON] === 'string'
        ? headers[H_REASON]
        : `Dead-lettered by RabbitMQ (${death?.reason ?? 'unknown reason'}).`,
    enqueuedAt: headerNumber(headers[H_ENQUEUED_AT], 0),
    deadAt: headerNumber(headers[H_DEAD_AT], 0),
  };
}

export function createDeadLetterBox<T>(
  link: AmqpLink,
  names: QueueNames,
  now: () => number,
): DeadLetterBox<T> {
  /**
   * The next dead letter, or false. Messages another channel just gave back (a previous peek)
   * may take a moment to reappear, quorum queues especially: look twice more before "empty".
   */
  async function takeDead(ch: Channel): Promise<GetMessage | false> {
    for (let tries = 0; ; tries += 1) {
      const message = await ch.get(names.dead, { noAck: false });
      if (message !== false || tries >= 2) return message;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Closes a channel that peeked at the dead-letter queue, so that the `taken` messages it holds
   * go back in order, and waits until the broker has requeued them. The broker does that on its
   * own time (a quorum queue once the return is in its log, which takes a while on a busy disk):
   * without the wait, the next look at the queue (a count, a replay) could miss them. Counting
   * cannot tell our messages from others', so another instance peeking or dead-lettering at the
   * same moment can end the wait early or let it run out: no worse than not waiting.
   */
  async function giveBack(current: Link, ch: Channel, taken: number): Promise<void> {
    let probe: Channel | null = null;
    try {
      const others = taken > 0 ? (await ch.checkQueue(names.dead)).messageCount : 0;
      await ch.close();
      if (taken === 0) return;
      probe = await current.model.createChannel();
      const deadline = Date.now() + GIVE_BACK_WAIT_MS;
      while ((await probe.checkQueue(names.dead)).messageCount < others + taken) {
        if (Date.now() >= deadline) {
          log.warn({ queue: names.dead, taken }, 'peeked dead letters are slow to come back');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } catch (error) {
      // Only the wait failed (the connection went): the broker requeues them all the same.
      log.warn({ queue: names.dead, err: describeError(error) }, 'cannot see dead letters back');
      await ch.close().catch(() => undefined);
    } finally {
      await probe?.close().catch(() => undefined);
    }
  }

  return {
    async bury(current, message, attempts, reason) {
      await link.publish(current, '', names.dlx, message.content, {
        messageId: message.properties.messageId as string | undefined,
        headers: {
          [H_ATTEMPTS]: attempts,
          [H_ENQUEUED_AT]: String(message.properties.headers?.[H_ENQUEUED_AT] ?? now()),
          [H_REASON]: cut(reason),
          [H_DEAD_AT]: String(now()),
        },
      });
    },

    async peek(limit) {
      const current = await link.ready();
      // Peek: take without acking, then give all back.
      const ch = await current.model.createChannel();
      const seen: DeadLetter<T>[] = [];
      try {
        while (seen.length < limit) {
          const message = await takeDead(ch);
          if (message === false) break;
          seen.push(toDeadLetter<T>(message));
        }
      } catch (error) {
        await ch.close().catch(() => undefined);
        throw error;
      }
      await giveBack(current, ch, seen.length);
      return seen;
    },

    async replay(ids) {
      const current = await link.ready();
      const wanted = ids ? new Set(ids) : null;
      const ch = await current.model.createChannel();
      const visited = new Set<string>();
      let moved = 0;
      let held = 0;
      try {
        for (;;) {
          const message = await takeDead(ch);
          if (message === false) break;
          const headers = message.properties.headers ?? {};
          const messageId = String(message.properties.messageId);
          if (visited.has(messageId)) {
            // Round the whole queue once: this one was put back by this call. Left unacked, it
            // goes back to where it was (given back below).
            held = 1;
            break;
          }
          visited.add(messageId);
          if (wanted && !wanted.has(messageId)) {
            // Not asked for: back to the end of the dead-letter queue, unchanged.
            await link.publish(current, names.dead, '', message.content, {
              messageId,
              headers: headers as Record<string, unknown>,
            });
          } else {
            await link.publish(current, names.work, '', message.content, {
              messageId,
              headers: {
                [H_ATTEMPTS]: 0,
                [H_ENQUEUED_AT]: String(headers[H_ENQUEUED_AT] ?? now()),
              },
            });
            moved += 1;
          }
          ch.ack(message);
        }
      } catch (error) {
        await ch.close().catch(() => undefined);
        throw error;
      }
      await giveBack(current, ch, held);
      return moved;
    },
  };
}
