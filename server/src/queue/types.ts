// The durable queue between the poller and the fan-out (the "ESB" of the design). At-least-once:
// a message leaves the queue only when its lease holder acks it after the effect is durable.
// Implementations, both passing the same contract tests (tests/*/server/queue-contract.ts):
// queue.sqlite.ts (embedded, crash-safe, no extra server) and queue.amqp.ts (RabbitMQ).

export type EnqueueItem<T> = {
  readonly payload: T;
  /**
   * A hint that waiting messages with the same key may be coalesced (the newer payload replaces
   * the older one). Implementations may ignore it, so only consumers that reconcile with the
   * source of truth may set it.
   */
  readonly dedupeKey?: string;
};

export type QueueMessage<T> = {
  readonly id: string;
  readonly payload: T;
  /** Deliveries so far, this one included. */
  readonly attempts: number;
  /** Proof of the lease: only the holder of this token may ack or nack the message. */
  readonly leaseToken: string;
  readonly leaseExpiresAt: number;
  /** When the message was first enqueued (ms since the epoch). */
  readonly enqueuedAt: number;
};

export type AckOutcome = 'acked' | 'lease-lost';
export type NackOutcome = 'retry-scheduled' | 'dead-lettered' | 'lease-lost';

export type Failure = {
  /** Why the attempt failed; kept with the message and, if it dies, in the dead-letter queue. */
  readonly reason: string;
  /** A failure that no retry can fix (malformed data): dead-letter at once. */
  readonly permanent?: boolean;
};

export type QueueDepth = {
  /**
   * Runnable now: not yet claimed by any worker. With RabbitMQ, the broker's count of undelivered
   * messages plus those delivered to this instance (its prefetch) that no worker has claimed.
   */
  readonly ready: number;
  /** Waiting for a retry after a failure. */
  readonly delayed: number;
  /**
   * Claimed and not yet acked. The SQLite queue counts every holder; RabbitMQ does not report
   * un-acked messages over AMQP, so there it is this instance's own count.
   */
  readonly leased: number;
  readonly dead: number;
};

export type DeadLetter<T> = {
  readonly id: string;
  /** The payload as it was queued; `null` when it could not even be decoded. */
  readonly payload: T;
  readonly attempts: number;
  readonly reason: string;
  readonly enqueuedAt: number;
  readonly deadAt: number;
};

export type ClaimOptions = {
  /** Most messages to lease at once (default 1). */
  readonly max?: number;
  /** Lease time (default: the queue's visibility setting). */
  readonly visibilityMs?: number;
  /**
   * How long to wait for a first message when none is ready (default 0: answer at once). The
   * SQLite queue is woken by enqueues of its own process only; callers still sleep when idle.
   */
  readonly waitMs?: number;
};

export type Queue<T> = {
  /** Adds all items; when the promise resolves, every one of them is durable. */
  enqueue(items: readonly EnqueueItem<T>[]): Promise<void>;
  /** Leases up to `max` runnable messages for `visibilityMs`. */
  claim(options?: ClaimOptions): Promise<QueueMessage<T>[]>;
  ack(id: string, leaseToken: string): Promise<AckOutcome>;
  /** Acks several messages in one go (one transaction or one flush); outcomes in input order. */
  ackMany(
    leases: readonly { readonly id: string; readonly leaseToken: string }[],
  ): Promise<AckOutcome[]>;
  /** Schedules a retry after capped exponential backoff, or dead-letters the message. */
  nack(id: string, leaseToken: string, failure: Failure): Promise<NackOutcome>;
  depth(): Promise<QueueDepth>;
  /** Up to `limit` dead letters (default 100), oldest first. */
  deadLetters(limit?: number): Promise<DeadLetter<T>[]>;
  /**
   * Puts dead letters back on the queue with a fresh attempt count (after the cause was fixed):
   * those with the given ids, or all of them. Returns how many were moved.
   */
  replayDeadLetters(ids?: readonly string[]): Promise<number>;
  /** true while the queue's store answers (a RabbitMQ connection is up). */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
};

export type RetryPolicy = {
  /** Deliveries before a message is dead-lettered. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
};

/** The queue's store cannot be reached (RabbitMQ down): callers retry with backoff. */
export class QueueUnavailableError extends Error {
  readonly code = 'QUEUE_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'QueueUnavailableError';
  }
}
