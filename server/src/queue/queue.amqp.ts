// The queue on RabbitMQ (AMQP 0-9-1 through amqplib), behind the same contract as the SQLite
// queue. Topology, for a queue named N (all durable, of the configured type):
//   N                 the work queue; persistent messages; DLX N.dlx for broker-side rejections
//   N.retry.<ms>      one holding queue per backoff step: per-queue TTL, then dead-lettered back
//                     into N (one TTL per queue, so no message waits behind a longer one)
//   N.dlx -> N.dead   the dead-letter exchange and queue; our own dead letters carry the reason
//                     in the `x-attache-reason` header (broker-side ones in `x-death`)
// Publishing always waits for publisher confirms (and `mandatory` returns), so an enqueue that
// resolved is on disk on the broker. Consumers ack manually, after the effect is durable.
//
// Lease semantics: a claimed message stays un-acked on our channel. If this process dies, the
// broker redelivers it; if the holder hangs past the visibility time, we requeue it ourselves.
// A redelivered message was not acked by its last holder: that counts as a failed attempt, which
// we record by republishing it with its attempt count raised (AMQP cannot update a message in
// place), so a message that keeps crashing its workers still ends in the dead-letter queue.
import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import type {
  Channel,
  ChannelModel,
  ConfirmChannel,
  ConsumeMessage,
  GetMessage,
  Options,
} from 'amqplib';
import { createLogger, describeError } from '../observability/logger.js';
import { backoffDelayMs } from '../timing/backoff.js';
import type {
  AckOutcome,
  DeadLetter,
  NackOutcome,
  Queue,
  QueueDepth,
  QueueMessage,
  RetryPolicy,
} from './types.js';
import { QueueUnavailableError } from './types.js';

const log = createLogger('queue-amqp');

const H_ATTEMPTS = 'x-attache-attempts';
const H_ENQUEUED_AT = 'x-attache-enqueued-at';
const H_REASON = 'x-attache-reason';
const H_DEAD_AT = 'x-attache-dead-at';
const H_LAST_ERROR = 'x-attache-last-error';
const H_PUBLISH_ID = 'x-attache-publish-id';
/** Header values must fit in one AMQP frame with everything else; reasons are cut to this. */
const MAX_REASON_CHARS = 4000;
/** Longest wait for peeked dead letters to be back on their queue (see giveBack). */
const GIVE_BACK_WAIT_MS = 5_000;

export type AmqpQueueOptions = {
  /** amqp:// or amqps:// URL with credentials. Never logged. */
  readonly url: string;
  /** Name of the work queue; the other names derive from it. */
  readonly name: string;
  readonly queueType: 'quorum' | 'classic';
  readonly retry: RetryPolicy;
  readonly visibilityMs: number;
  /** Most un-acked deliveries the broker pushes to this consumer (at least the claim size). */
  readonly prefetch: number;
  /** How long an operation waits for a (re)connection before failing (default 10 s). */
  readonly connectWaitMs?: number;
  readonly now?: () => number;
};

type Lease = {
  readonly message: ConsumeMessage;
  readonly generation: number;
  readonly attempts: number;
  readonly enqueuedAt: number;
  readonly timer: NodeJS.Timeout;
};

type Link = {
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

/** Delay before retry `attempt`, without jitter: each step has its own holding queue. */
export function retryStepMs(attempt: number, policy: RetryPolicy): number {
  return backoffDelayMs(attempt, policy, () => 1);
}

export function retrySteps(policy: RetryPolicy): number[] {
  const steps = new Set<number>();
  for (let attempt = 1; attempt < Math.max(policy.maxAttempts, 2); attempt += 1) {
    steps.add(retryStepMs(attempt, policy));
  }
  return [...steps].sort((a, b) => a - b);
}

function withHeartbeat(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', '10');
  return parsed.toString();
}

function headerNumber(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : fallback;
}

function cut(text: string): string {
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}

export function createAmqpQueue<T>(options: AmqpQueueOptions): Queue<T> {
  const now = options.now ?? Date.now;
  const names = {
    work: options.name,
    dlx: `${options.name}.dlx`,
    dead: `${options.name}.dead`,
    retry: (ms: number) => `${options.name}.retry.${ms}`,
  };
  const steps = retrySteps(options.retry);
  const typeArgs = { 'x-queue-type': options.queueType };
  const url = withHeartbeat(options.url);
  const connectWaitMs = options.connectWaitMs ?? 10_000;

  let link: Link | null = null;
  let connecting: Promise<void> | null = null;
  let generation = 0;
  let closed = false;
  let consuming = false;
  let lastError = '';
  const buffer: { message: ConsumeMessage; generation: number }[] = [];
  const leases = new Map<string, Lease>();
  const returned = new Set<string>();
  let bufferWaiters: (() => void)[] = [];
  let linkWaiters: (() => void)[] = [];

  const notify = (waiters: (() => void)[]) => {
    for (const wake of waiters) wake();
  };

  async function declareTopology(ch: Channel): Promise<void> {
    await ch.assertExchange(names.dlx, 'fanout', { durable: true });
    await ch.assertQueue(names.dead, { durable: true, arguments: { ...typeArgs } });
    await ch.bindQueue(names.dead, names.dlx, '');
    await ch.assertQueue(names.work, {
      durable: true,
      arguments: { ...typeArgs, 'x-dead-letter-exchange': names.dlx },
    });
    for (const ms of steps) {
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

  function dropLink(reason: string): void {
    if (!link) return;
    const dead = link;
    link = null;
    // Everything delivered on the old channel is void: the broker redelivers it.
    buffer.length = 0;
    for (const lease of leases.values()) clearTimeout(lease.timer);
    leases.clear();
    dead.model.close().catch(() => undefined);
    if (!closed) {
      log.warn({ reason }, 'RabbitMQ connection lost; reconnecting');
      void ensureLink();
    }
    notify(bufferWaiters);
  }

  async function openLink(): Promise<void> {
    const model = await connect(url, { noDelay: true, timeout: 5_000 });
    try {
      const pub = await model.createConfirmChannel();
      const sub = await model.createChannel();
      await declareTopology(pub);
      await sub.prefetch(Math.max(1, options.prefetch));
      generation += 1;
      const current: Link = { model, pub, sub, generation, unsettled: new Set() };
      model.on('error', (error: Error) => {
        lastError = error.message;
      });
      model.on('close', () => {
        if (link === current) dropLink(lastError || 'connection closed');
      });
      for (const ch of [pub, sub]) {
        ch.on('error', (error: Error) => {
          lastError = error.message;
          log.error({ err: error.message }, 'RabbitMQ channel error');
        });
        ch.on('close', () => {
          if (link === current) dropLink(lastError || 'channel closed');
        });
      }
      pub.on('return', (message: ConsumeMessage) => {
        const id = message.properties.headers?.[H_PUBLISH_ID] as unknown;
        if (typeof id === 'string') returned.add(id);
      });
      link = current;
      if (consuming) await startConsumer(current);
      log.info({ queue: names.work, type: options.queueType }, 'connected to RabbitMQ');
      notify(linkWaiters);
      linkWaiters = [];
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
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    })().finally(() => {
      connecting = null;
    });
    return connecting;
  }

  async function ready(): Promise<Link> {
    if (closed) throw new QueueUnavailableError('The queue is closed.');
    if (link) return link;
    void ensureLink();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, connectWaitMs);
      function done() {
        clearTimeout(timer);
        linkWaiters = linkWaiters.filter((w) => w !== done);
        resolve();
      }
      linkWaiters.push(done);
    });
    if (!link) {
      throw new QueueUnavailableError(
        `RabbitMQ is unreachable${lastError ? ` (${lastError})` : ''}.`,
      );
    }
    return link;
  }

  async function startConsumer(current: Link): Promise<void> {
    await current.sub.consume(
      names.work,
      (message) => {
        if (message === null) {
          // The broker cancelled us (queue deleted or a node went away): start over.
          if (link === current) dropLink('consumer cancelled by the broker');
          return;
        }
        current.unsettled.add(message.fields.deliveryTag);
        buffer.push({ message, generation: current.generation });
        notify(bufferWaiters);
        bufferWaiters = [];
      },
      { noAck: false },
    );
  }

  /** Publishes with confirms; resolves when the broker has the message on disk (or routed it). */
  async function publish(
    current: Link,
    routingKey: string,
    exchange: string,
    body: Buffer,
    props: Options.Publish,
  ): Promise<void> {
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
  }

  function holdingLease(id: string, token: string): Lease | null {
    const lease = leases.get(token);
    if (!lease || !link || lease.generation !== link.generation) return null;
    if (lease.message.properties.messageId !== id) return null;
    return lease;
  }

  /**
   * Takes a lease out of the table, so that its expiry timer can no longer requeue it: whoever
   * takes it settles the delivery, exactly once (the broker closes the channel, and with it every
   * lease on it, when one delivery is settled twice).
   */
  function take(token: string, lease: Lease): void {
    clearTimeout(lease.timer);
    leases.delete(token);
  }

  /** Acks or requeues a taken lease's delivery; false when its channel is gone. */
  function settle(lease: Lease, how: 'ack' | 'requeue'): boolean {
    if (!link || link.generation !== lease.generation) return false;
    try {
      if (how === 'ack') link.sub.ack(lease.message);
      else link.sub.nack(lease.message, false, true);
      link.unsettled.delete(lease.message.fields.deliveryTag);
      return true;
    } catch {
      return false; // the channel closed under us: the broker redelivers
    }
  }

  function release(token: string, lease: Lease, how: 'ack' | 'requeue'): boolean {
    take(token, lease);
    return settle(lease, how);
  }

  async function deadLetter(
    current: Link,
    message: ConsumeMessage,
    attempts: number,
    reason: string,
  ): Promise<void> {
    await publish(current, '', names.dlx, message.content, {
      messageId: message.properties.messageId as string | undefined,
      headers: {
        [H_ATTEMPTS]: attempts,
        [H_ENQUEUED_AT]: String(message.properties.headers?.[H_ENQUEUED_AT] ?? now()),
        [H_REASON]: cut(reason),
        [H_DEAD_AT]: String(now()),
      },
    });
  }

  /** A redelivered message's last holder never acked: record that attempt, then redeliver. */
  async function recountRedelivery(current: Link, message: ConsumeMessage): Promise<void> {
    const headers = message.properties.headers ?? {};
    const attempts = headerNumber(headers[H_ATTEMPTS], 0) + 1;
    if (attempts >= options.retry.maxAttempts) {
      const last = headers[H_LAST_ERROR] ? ` Last error: ${String(headers[H_LAST_ERROR])}` : '';
      await deadLetter(
        current,
        message,
        attempts,
        `Lease expired after ${attempts} deliveries without an ack.${last}`,
      );
    } else {
      await publish(current, names.work, '', message.content, {
        messageId: message.properties.messageId as string | undefined,
        headers: { ...headers, [H_ATTEMPTS]: attempts },
      });
    }
    current.sub.ack(message);
    current.unsettled.delete(message.fields.deliveryTag);
  }

  /**
   * Acks taken leases' deliveries, false when their channel is gone. Where they are the oldest
   * unsettled deliveries on the channel, one `allUpTo` ack settles them all (one frame, and one
   * settlement in the broker's log instead of one per message); it is only sent when every
   * delivery up to its tag is among these, so no other holder's lease is acked early. The rest
   * (another batch still holds older ones) are acked one by one.
   */
  function ackTaken(current: Link, taken: readonly Lease[]): boolean {
    if (!link || link !== current) return false;
    const byTag = new Map<number, ConsumeMessage>();
    for (const lease of taken) byTag.set(lease.message.fields.deliveryTag, lease.message);
    try {
      let last: ConsumeMessage | undefined;
      let oldest = 0;
      for (const tag of current.unsettled) {
        const message = byTag.get(tag);
        if (!message) break;
        last = message;
        oldest += 1;
      }
      if (last && oldest > 1) {
        current.sub.ack(last, true);
        for (const tag of current.unsettled) {
          if (!byTag.delete(tag)) break;
          current.unsettled.delete(tag);
        }
      }
      for (const [tag, message] of byTag) {
        current.sub.ack(message);
        current.unsettled.delete(tag);
      }
      return true;
    } catch {
      return false; // the channel closed under us: the broker redelivers
    }
  }

  /**
   * Puts a delivery back on the queue when it could not be handled here, so that it neither
   * waits unacked until the channel closes nor blocks the allUpTo acks behind it.
   */
  function requeueUnhandled(current: Link, message: ConsumeMessage): void {
    if (link !== current) return; // the channel is gone: the broker redelivers anyway
    try {
      current.sub.nack(message, false, true);
      current.unsettled.delete(message.fields.deliveryTag);
    } catch {
      /* the channel closed under us: the broker redelivers */
    }
  }

  async function waitForBuffer(ms: number): Promise<void> {
    if (buffer.length > 0 || ms <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        bufferWaiters = bufferWaiters.filter((w) => w !== done);
        resolve();
      }
      bufferWaiters.push(done);
    });
  }

  function toDeadLetter(message: { content: Buffer; properties: Options.Publish }): DeadLetter<T> {
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

  void ensureLink();

  return {
    async enqueue(items) {
      if (items.length === 0) return;
      // Serialise everything first: a payload that cannot be encoded fails the call before
      // anything is published.
      const at = now();
      const bodies = items.map((item) => Buffer.from(JSON.stringify(item.payload), 'utf8'));
      const current = await ready();
      await Promise.all(
        bodies.map((body) =>
          publish(current, names.work, '', body, {
            messageId: randomUUID(),
            headers: { [H_ATTEMPTS]: 0, [H_ENQUEUED_AT]: String(at) },
          }),
        ),
      );
    },

    async claim(claimOptions) {
      const max = Math.max(1, claimOptions?.max ?? 1);
      const visibilityMs = claimOptions?.visibilityMs ?? options.visibilityMs;
      let current = await ready();
      if (!consuming) {
        consuming = true;
        await startConsumer(current);
      }
      await waitForBuffer(claimOptions?.waitMs ?? 0);
      if (!link) return [];
      current = link;
      const claimed: QueueMessage<T>[] = [];
      // A redelivery that could not be counted again, or a message that could not be
      // dead-lettered (the broker refused the publish): it goes back to the queue, and the claim
      // ends with what it has (or the error, when it has nothing).
      let failure: unknown = null;
      while (claimed.length < max && buffer.length > 0) {
        const next = buffer.shift()!;
        if (next.generation !== current.generation) continue;
        const { message } = next;
        if (message.fields.redelivered) {
          try {
            await recountRedelivery(current, message);
          } catch (error) {
            failure = error;
            requeueUnhandled(current, message);
            break;
          }
          continue;
        }
        const headers = message.properties.headers ?? {};
        const enqueuedAt = headerNumber(headers[H_ENQUEUED_AT], now());
        const attempts = headerNumber(headers[H_ATTEMPTS], 0) + 1;
        let payload: T;
        try {
          payload = JSON.parse(message.content.toString('utf8')) as T;
        } catch {
          try {
            await deadLetter(current, message, attempts, 'The message body is not JSON.');
            current.sub.ack(message);
            current.unsettled.delete(message.fields.deliveryTag);
          } catch (error) {
            failure = error;
            requeueUnhandled(current, message);
            break;
          }
          continue;
        }
        const token = `${current.generation}:${message.fields.deliveryTag}`;
        const expiresAt = now() + visibilityMs;
        const timer = setTimeout(() => {
          const lease = leases.get(token);
          if (lease) {
            log.warn({ messageId: message.properties.messageId }, 'lease expired; requeued');
            release(token, lease, 'requeue');
          }
        }, visibilityMs);
        timer.unref();
        leases.set(token, { message, generation: current.generation, attempts, enqueuedAt, timer });
        claimed.push({
          id: String(message.properties.messageId),
          payload,
          attempts,
          leaseToken: token,
          leaseExpiresAt: expiresAt,
          enqueuedAt,
        });
      }
      if (failure !== null) {
        if (claimed.length === 0) {
          throw failure instanceof Error ? failure : new Error(describeError(failure).message);
        }
        log.warn({ err: describeError(failure).message }, 'a delivery went back to the queue');
      }
      return claimed;
    },

    ack(id, leaseToken) {
      const lease = holdingLease(id, leaseToken);
      if (!lease) return Promise.resolve<AckOutcome>('lease-lost');
      return Promise.resolve<AckOutcome>(
        release(leaseToken, lease, 'ack') ? 'acked' : 'lease-lost',
      );
    },

    ackMany(items) {
      const current = link;
      const held = items.map(({ id, leaseToken }) => {
        const lease = holdingLease(id, leaseToken);
        if (lease) take(leaseToken, lease);
        return lease;
      });
      const taken = held.filter((lease): lease is Lease => lease !== null);
      const acked = current !== null && ackTaken(current, taken);
      return Promise.resolve(
        held.map((lease): AckOutcome => (lease && acked ? 'acked' : 'lease-lost')),
      );
    },

    async nack(id, leaseToken, failure): Promise<NackOutcome> {
      const lease = holdingLease(id, leaseToken);
      if (!lease || !link) return 'lease-lost';
      const current = link;
      const { message, attempts } = lease;
      // The holder asked in time, so this call settles the delivery: take it now, before the
      // copy is published. Were the lease to run out while the broker confirms that copy (a busy
      // broker takes a while), the expiry timer would requeue the delivery and the ack below
      // would settle it twice: the message both dead-lettered (or scheduled) and queued again.
      take(leaseToken, lease);
      const dead = failure.permanent || attempts >= options.retry.maxAttempts;
      try {
        if (dead) {
          const reason = failure.permanent
            ? failure.reason
            : `Gave up after ${attempts} attempts. Last error: ${failure.reason}`;
          await deadLetter(current, message, attempts, reason);
        } else {
          const delay = retryStepMs(attempts, options.retry);
          await publish(current, names.retry(delay), '', message.content, {
            messageId: message.properties.messageId as string | undefined,
            headers: {
              [H_ATTEMPTS]: attempts,
              [H_ENQUEUED_AT]: String(lease.enqueuedAt),
              [H_LAST_ERROR]: cut(failure.reason),
            },
          });
        }
      } catch (error) {
        // The failure could not be recorded: redeliver now, which counts as a failed attempt
        // (see recountRedelivery), as the expiry timer would have done later.
        settle(lease, 'requeue');
        throw error;
      }
      if (!settle(lease, 'ack')) return 'lease-lost';
      return dead ? 'dead-lettered' : 'retry-scheduled';
    },

    async depth(): Promise<QueueDepth> {
      const current = await ready();
      const ch = await current.model.createChannel();
      try {
        // Retry queues first: a message moving from one to the work queue between two looks is
        // then counted twice rather than not at all.
        let delayed = 0;
        for (const ms of steps) delayed += (await ch.checkQueue(names.retry(ms))).messageCount;
        const work = await ch.checkQueue(names.work);
        const dead = await ch.checkQueue(names.dead);
        // The broker counts only what it has not delivered yet. Deliveries this instance holds
        // unsettled without a lease (the prefetch buffer, redeliveries being counted again,
        // nacks on their way to a retry queue) are waiting just the same: without them a queue
        // looked empty while up to `prefetch` messages were still to be processed. Every leased
        // delivery is among the unsettled ones (a lease is removed before its delivery settles).
        const held = Math.max(0, current.unsettled.size - leases.size);
        return {
          ready: work.messageCount + held,
          delayed,
          leased: leases.size,
          dead: dead.messageCount,
        };
      } finally {
        await ch.close().catch(() => undefined);
      }
    },

    async deadLetters(limit = 100) {
      const current = await ready();
      // Peek: take without acking, then give all back.
      const ch = await current.model.createChannel();
      const seen: DeadLetter<T>[] = [];
      try {
        while (seen.length < limit) {
          const message = await takeDead(ch);
          if (message === false) break;
          seen.push(toDeadLetter(message));
        }
      } catch (error) {
        await ch.close().catch(() => undefined);
        throw error;
      }
      await giveBack(current, ch, seen.length);
      return seen;
    },

    async replayDeadLetters(ids) {
      const current = await ready();
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
            await publish(current, names.dead, '', message.content, {
              messageId,
              headers: headers as Record<string, unknown>,
            });
          } else {
            await publish(current, names.work, '', message.content, {
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

    healthy: () => Promise.resolve(link !== null),

    async close() {
      closed = true;
      for (const lease of leases.values()) clearTimeout(lease.timer);
      leases.clear();
      notify(linkWaiters);
      notify(bufferWaiters);
      const current = link;
      link = null;
      if (current) await current.model.close().catch(() => undefined);
      await connecting?.catch(() => undefined);
    },
  };
}
