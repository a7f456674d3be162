// The durable queue between the poller and the fan-out (the "ESB" of the design). At-least-once:
// a message leaves the queue only when its lease holder acks it after the effect is durable.
// Implementations: queue.sqlite.ts (embedded, crash-safe); RabbitMQ comes later behind the
// same contract.

export type EnqueueItem<T> = {
  readonly payload: T;
  /**
   * Messages with the same key that are waiting (not leased) are coalesced: the newer payload
   * replaces the older one. Only safe for consumers that reconcile with the source of truth.
   */
  readonly dedupeKey?: string;
};

/** A durable position in an upstream feed, advanced in the same transaction as the enqueue. */
export type CursorUpdate = { readonly name: string; readonly value: string };

export type QueueMessage<T> = {
  readonly id: string;
  readonly payload: T;
  /** Deliveries so far, this one included. */
  readonly attempts: number;
  /** Proof of the lease: only the holder of this token may ack or nack the message. */
  readonly leaseToken: string;
  readonly leaseExpiresAt: number;
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
  /** Runnable now. */
  readonly ready: number;
  /** Waiting for a retry after a failure. */
  readonly delayed: number;
  /** Claimed by a worker whose lease has not expired. */
  readonly leased: number;
  readonly dead: number;
};

export type DeadLetter<T> = {
  readonly id: string;
  readonly payload: T;
  readonly attempts: number;
  readonly reason: string;
  readonly enqueuedAt: number;
  readonly deadAt: number;
};

export type Queue<T> = {
  /**
   * Adds all items, and moves `cursor` to its new value, atomically: either everything is
   * durable or nothing changed.
   */
  enqueue(items: readonly EnqueueItem<T>[], options?: { cursor?: CursorUpdate }): Promise<void>;
  readCursor(name: string): Promise<string | null>;
  /** Leases up to `max` runnable messages for `visibilityMs` (default: the queue's setting). */
  claim(options?: { max?: number; visibilityMs?: number }): Promise<QueueMessage<T>[]>;
  ack(id: string, leaseToken: string): Promise<AckOutcome>;
  /** Schedules a retry after capped exponential backoff, or dead-letters the message. */
  nack(id: string, leaseToken: string, failure: Failure): Promise<NackOutcome>;
  depth(): Promise<QueueDepth>;
  deadLetters(limit?: number): Promise<DeadLetter<T>[]>;
  close(): Promise<void>;
};

export type RetryPolicy = {
  /** Deliveries before a message is dead-lettered. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
};
