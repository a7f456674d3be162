// The RabbitMQ queue's lease table. A claimed message stays un-acked on our channel. If this
// process dies, the broker redelivers it; if the holder hangs past the visibility time, we
// requeue it ourselves. Only the lease holder settles a delivery, and only once: the broker
// closes the channel, and with it every lease on it, when one delivery is settled twice.
import type { ConsumeMessage } from 'amqplib';
import { createLogger } from '../observability/logger.js';
import type { Link } from './amqp-link.amqp.js';

const log = createLogger('queue-amqp');

export type Lease = {
  readonly message: ConsumeMessage;
  readonly generation: number;
  readonly attempts: number;
  readonly enqueuedAt: number;
  readonly timer: NodeJS.Timeout;
};

export type LeaseTable = {
  readonly size: number;
  /** Leases a delivery until `visibilityMs` from now; after that it is requeued. */
  grant(token: string, lease: Omit<Lease, 'timer'>, visibilityMs: number): void;
  /** The lease `token` names if it is still held on the current connection for message `id`. */
  holding(id: string, token: string): Lease | null;
  /**
   * Takes a lease out of the table, so that its expiry timer can no longer requeue it: whoever
   * takes it settles the delivery, exactly once.
   */
  take(token: string, lease: Lease): void;
  /** Acks or requeues a taken lease's delivery; false when its channel is gone. */
  settle(lease: Lease, how: 'ack' | 'requeue'): boolean;
  /** take() then settle(). */
  release(token: string, lease: Lease, how: 'ack' | 'requeue'): boolean;
  /** Acks taken leases' deliveries on `current`, false when their channel is gone. */
  ackTaken(current: Link, taken: readonly Lease[]): boolean;
  /** Forgets every lease (the connection is gone or the queue closes). */
  clear(): void;
};

export function createLeaseTable(currentLink: () => Link | null): LeaseTable {
  const leases = new Map<string, Lease>();

  function take(token: string, lease: Lease): void {
    clearTimeout(lease.timer);
    leases.delete(token);
  }

  function settle(lease: Lease, how: 'ack' | 'requeue'): boolean {
    const link = currentLink();
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

  return {
    get size() {
      return leases.size;
    },

    grant(token, granted, visibilityMs) {
      const timer = setTimeout(() => {
        const lease = leases.get(token);
        if (lease) {
          log.warn({ messageId: lease.message.properties.messageId }, 'lease expired; requeued');
          release(token, lease, 'requeue');
        }
      }, visibilityMs);
      timer.unref();
      leases.set(token, { ...granted, timer });
    },

    holding(id, token) {
      const lease = leases.get(token);
      const link = currentLink();
      if (!lease || !link || lease.generation !== link.generation) return null;
      if (lease.message.properties.messageId !== id) return null;
      return lease;
    },

    take,
    settle,
    release,

    /**
     * Where the taken leases are the oldest unsettled deliveries on the channel, one `allUpTo`
     * ack settles them all (one frame, and one settlement in the broker's log instead of one per
     * message); it is only sent when every delivery up to its tag is among these, so no other
     * holder's lease is acked early. The rest (another batch still holds older ones) are acked
     * one by one.
     */
    ackTaken(current, taken) {
      if (currentLink() !== current) return false;
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
    },

    clear() {
      for (const lease of leases.values()) clearTimeout(lease.timer);
      leases.clear();
    },
  };
}
