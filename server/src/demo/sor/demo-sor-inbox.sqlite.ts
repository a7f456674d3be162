// What the demo SOR receives back from Attaché: the returns the integrator writes (read
// receipts and what later return types add) and the delivery notices of what the fan-out
// withheld. Each is stored once per idempotency key, so a redelivery changes nothing.
import type Database from 'better-sqlite3';
import type { SorDeliveryNotice, SorReturn } from '../../sor/types.js';
import type { DemoSor } from './types.js';

/** Runs synchronous SQLite work behind the async adapter contract; a throw becomes a rejection. */
export function settle<R>(work: () => R): Promise<R> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

export type Inbox = Pick<
  DemoSor,
  'listReturns' | 'writeReturn' | 'reportWithheld' | 'listDeliveryNotices'
>;

export function createInbox(db: Database.Database, now: () => Date): Inbox {
  const q = {
    allReturns: db.prepare(
      `SELECT idempotency_key, user_id, type, doc_id, payload, received_at FROM returns ORDER BY rowid`,
    ),
    insertReturn: db.prepare(
      `INSERT OR IGNORE INTO returns (idempotency_key, user_id, type, doc_id, payload, received_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    insertNotice: db.prepare(
      `INSERT OR IGNORE INTO delivery_notices (idempotency_key, doc_id, version, classification, reason, received_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    allNotices: db.prepare(
      `SELECT idempotency_key, doc_id, version, classification, reason, received_at FROM delivery_notices ORDER BY rowid`,
    ),
  };

  return {
    listReturns() {
      return (
        q.allReturns.all() as {
          idempotency_key: string;
          user_id: string;
          type: string;
          doc_id: string;
          payload: string;
          received_at: string;
        }[]
      ).map((r) => ({
        idempotencyKey: r.idempotency_key,
        userId: r.user_id,
        type: r.type as SorReturn['type'],
        sorId: r.doc_id,
        payload: JSON.parse(r.payload) as unknown,
        receivedAt: r.received_at,
      }));
    },

    writeReturn: (item: SorReturn) =>
      settle(() => {
        const result = q.insertReturn.run(
          item.idempotencyKey,
          item.userId,
          item.type,
          item.sorId,
          JSON.stringify(item.payload),
          now().toISOString(),
        );
        return result.changes > 0 ? ('stored' as const) : ('duplicate' as const);
      }),

    reportWithheld: (notice: SorDeliveryNotice) =>
      settle(() => {
        const result = q.insertNotice.run(
          notice.idempotencyKey,
          notice.sorId,
          notice.version,
          notice.classification,
          notice.reason,
          now().toISOString(),
        );
        return result.changes > 0 ? ('stored' as const) : ('duplicate' as const);
      }),

    listDeliveryNotices() {
      return (
        q.allNotices.all() as {
          idempotency_key: string;
          doc_id: string;
          version: number;
          classification: string;
          reason: string;
          received_at: string;
        }[]
      ).map((r) => ({
        idempotencyKey: r.idempotency_key,
        sorId: r.doc_id,
        version: r.version,
        classification: r.classification,
        reason: r.reason,
        receivedAt: r.received_at,
      }));
    },
  };
}
