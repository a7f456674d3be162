// Embedded durable queue on SQLite (better-sqlite3): WAL + synchronous=FULL, so a committed
// enqueue/ack survives a crash or power loss. Claims run in IMMEDIATE transactions, so several
// workers (or processes) sharing the file never lease the same message twice.
//
// A leased message keeps its row; its `run_at` is set to the lease expiry. So "runnable" is
// always just `run_at <= now`: a message whose worker died becomes runnable again by itself.
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { backoffDelayMs } from '../timing/backoff.js';
import type {
  AckOutcome,
  EnqueueItem,
  Failure,
  NackOutcome,
  Queue,
  QueueDepth,
  QueueMessage,
  RetryPolicy,
} from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  payload TEXT NOT NULL,
  dedupe_key TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  run_at INTEGER NOT NULL,
  lease_token TEXT,
  lease_expires_at INTEGER,
  last_error TEXT,
  enqueued_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_runnable ON messages (queue, run_at, id);
CREATE INDEX IF NOT EXISTS messages_dedupe ON messages (queue, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY,
  queue TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  reason TEXT NOT NULL,
  enqueued_at INTEGER NOT NULL,
  dead_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_queue ON dead_letters (queue, id);
`;

type MessageRow = {
  id: number;
  payload: string;
  attempts: number;
  lease_token: string | null;
  enqueued_at: number;
  last_error: string | null;
};

type DeadRow = {
  id: number;
  payload: string;
  attempts: number;
  reason: string;
  enqueued_at: number;
  dead_at: number;
};

export type SqliteQueueOptions = {
  /** Path of the SQLite file (':memory:' for throwaway tests). */
  readonly file: string;
  /** Name of the queue inside the file; several queues may share one file. */
  readonly name: string;
  readonly retry: RetryPolicy;
  readonly visibilityMs: number;
  readonly now?: () => number;
  readonly random?: () => number;
};

/** Runs synchronous SQLite work behind the async contract; a throw becomes a rejection. */
function settle<R>(work: () => R): Promise<R> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

export function createSqliteQueue<T>(options: SqliteQueueOptions): Queue<T> {
  const now = options.now ?? Date.now;
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const queue = options.name;

  const insert = db.prepare(
    `INSERT INTO messages (queue, payload, dedupe_key, run_at, enqueued_at) VALUES (?, ?, ?, ?, ?)`,
  );
  const coalesce = db.prepare(
    `UPDATE messages SET payload = ? WHERE queue = ? AND dedupe_key = ? AND lease_token IS NULL`,
  );
  const selectRunnable = db.prepare(
    `SELECT id, payload, attempts, lease_token, enqueued_at, last_error FROM messages
     WHERE queue = ? AND run_at <= ? ORDER BY run_at, id LIMIT ?`,
  );
  const lease = db.prepare(
    `UPDATE messages SET lease_token = ?, lease_expires_at = ?, run_at = ?, attempts = attempts + 1
     WHERE id = ?`,
  );
  const selectHeld = db.prepare(
    `SELECT id, payload, attempts, lease_token, enqueued_at, last_error FROM messages
     WHERE id = ? AND queue = ? AND lease_token = ?`,
  );
  const remove = db.prepare(`DELETE FROM messages WHERE id = ?`);
  const reschedule = db.prepare(
    `UPDATE messages SET lease_token = NULL, lease_expires_at = NULL, run_at = ?, last_error = ?
     WHERE id = ?`,
  );
  const insertDead = db.prepare(
    `INSERT INTO dead_letters (id, queue, payload, attempts, reason, enqueued_at, dead_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const countDepth = db.prepare(
    `SELECT
       SUM(CASE WHEN run_at <= @now THEN 1 ELSE 0 END) AS ready,
       SUM(CASE WHEN run_at > @now AND lease_token IS NULL THEN 1 ELSE 0 END) AS delayed,
       SUM(CASE WHEN run_at > @now AND lease_token IS NOT NULL THEN 1 ELSE 0 END) AS leased
     FROM messages WHERE queue = @queue`,
  );
  const countDead = db.prepare(`SELECT COUNT(*) AS dead FROM dead_letters WHERE queue = ?`);
  const selectDead = db.prepare(
    `SELECT id, payload, attempts, reason, enqueued_at, dead_at FROM dead_letters
     WHERE queue = ? ORDER BY id LIMIT ?`,
  );
  const selectDeadIds = db.prepare(`SELECT id FROM dead_letters WHERE queue = ? ORDER BY id`);
  const selectOneDead = db.prepare(
    `SELECT id, payload, enqueued_at FROM dead_letters WHERE queue = ? AND id = ?`,
  );
  const removeDead = db.prepare(`DELETE FROM dead_letters WHERE id = ?`);
  // A replayed message keeps its id (ids are never reused: AUTOINCREMENT), so the operator can
  // follow it; attempts start again from zero.
  const insertReplayed = db.prepare(
    `INSERT INTO messages (id, queue, payload, run_at, enqueued_at) VALUES (?, ?, ?, ?, ?)`,
  );

  const moveToDeadLetters = (row: MessageRow, reason: string, at: number): void => {
    insertDead.run(row.id, queue, row.payload, row.attempts, reason, row.enqueued_at, at);
    remove.run(row.id);
  };

  const enqueueTx = db.transaction((items: readonly EnqueueItem<T>[]) => {
    const at = now();
    for (const item of items) {
      const payload = JSON.stringify(item.payload);
      if (item.dedupeKey !== undefined) {
        if (coalesce.run(payload, queue, item.dedupeKey).changes > 0) continue;
      }
      insert.run(queue, payload, item.dedupeKey ?? null, at, at);
    }
  });

  const claimTx = db.transaction((max: number, visibilityMs: number): QueueMessage<T>[] => {
    const at = now();
    const claimed: QueueMessage<T>[] = [];
    const rows = selectRunnable.all(queue, at, max) as MessageRow[];
    for (const row of rows) {
      if (row.attempts >= options.retry.maxAttempts) {
        // Every earlier delivery ended with its lease expiring (the worker crashed or hung):
        // a poison message; stop redelivering it.
        const last = row.last_error ? ` Last error: ${row.last_error}` : '';
        moveToDeadLetters(
          row,
          `Lease expired after ${row.attempts} deliveries without an ack.${last}`,
          at,
        );
        continue;
      }
      const token = randomBytes(16).toString('hex');
      const expiresAt = at + visibilityMs;
      lease.run(token, expiresAt, expiresAt, row.id);
      claimed.push({
        id: String(row.id),
        payload: JSON.parse(row.payload) as T,
        attempts: row.attempts + 1,
        leaseToken: token,
        leaseExpiresAt: expiresAt,
        enqueuedAt: row.enqueued_at,
      });
    }
    return claimed;
  });

  const ackOne = (id: string, token: string): AckOutcome => {
    const row = selectHeld.get(Number(id), queue, token) as MessageRow | undefined;
    if (!row) return 'lease-lost';
    remove.run(row.id);
    return 'acked';
  };
  const ackTx = db.transaction(ackOne);
  const ackManyTx = db.transaction(
    (leases: readonly { readonly id: string; readonly leaseToken: string }[]): AckOutcome[] =>
      leases.map((l) => ackOne(l.id, l.leaseToken)),
  );

  const replayTx = db.transaction((ids: readonly string[] | undefined): number => {
    const at = now();
    const wanted = ids ?? (selectDeadIds.all(queue) as { id: number }[]).map((r) => String(r.id));
    let moved = 0;
    for (const id of wanted) {
      const row = selectOneDead.get(queue, Number(id)) as
        { id: number; payload: string; enqueued_at: number } | undefined;
      if (!row) continue;
      insertReplayed.run(row.id, queue, row.payload, at, row.enqueued_at);
      removeDead.run(row.id);
      moved += 1;
    }
    return moved;
  });

  const nackTx = db.transaction((id: string, token: string, failure: Failure): NackOutcome => {
    const row = selectHeld.get(Number(id), queue, token) as MessageRow | undefined;
    if (!row) return 'lease-lost';
    const at = now();
    if (failure.permanent) {
      moveToDeadLetters(row, failure.reason, at);
      return 'dead-lettered';
    }
    if (row.attempts >= options.retry.maxAttempts) {
      moveToDeadLetters(
        row,
        `Gave up after ${row.attempts} attempts. Last error: ${failure.reason}`,
        at,
      );
      return 'dead-lettered';
    }
    const delay = backoffDelayMs(row.attempts, options.retry, options.random);
    reschedule.run(at + delay, failure.reason, row.id);
    return 'retry-scheduled';
  });

  // Claimers waiting for a message. Only enqueues of this process wake them (the embedded queue
  // lives in the server process); another process sharing the file is seen when the wait ends.
  const waiting = new Set<() => void>();
  const wake = (): void => {
    for (const waiter of [...waiting]) waiter();
  };
  const enqueued = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiting.add(done);
    });

  return {
    enqueue: async (items) => {
      // IMMEDIATE: take the write lock up front, so concurrent writers wait instead of failing.
      await settle(() => enqueueTx.immediate(items));
      wake();
    },
    claim: async (claimOptions) => {
      const attempt = (): Promise<QueueMessage<T>[]> =>
        settle(() =>
          claimTx.immediate(
            Math.max(1, claimOptions?.max ?? 1),
            claimOptions?.visibilityMs ?? options.visibilityMs,
          ),
        );
      const claimed = await attempt();
      const waitMs = claimOptions?.waitMs ?? 0;
      if (claimed.length > 0 || waitMs <= 0) return claimed;
      // Nothing ready: a share must not wait for the worker's next idle poll.
      await enqueued(waitMs);
      return db.open ? attempt() : [];
    },
    ack: (id, leaseToken) => settle(() => ackTx.immediate(id, leaseToken)),
    ackMany: (leases) => settle(() => (leases.length === 0 ? [] : ackManyTx.immediate(leases))),
    nack: (id, leaseToken, failure) => settle(() => nackTx.immediate(id, leaseToken, failure)),
    depth: () =>
      settle((): QueueDepth => {
        const counts = countDepth.get({ now: now(), queue }) as Record<string, number | null>;
        const dead = countDead.get(queue) as { dead: number };
        return {
          ready: counts['ready'] ?? 0,
          delayed: counts['delayed'] ?? 0,
          leased: counts['leased'] ?? 0,
          dead: dead.dead,
        };
      }),
    deadLetters: (limit = 100) =>
      settle(() =>
        (selectDead.all(queue, limit) as DeadRow[]).map((row) => ({
          id: String(row.id),
          payload: JSON.parse(row.payload) as T,
          attempts: row.attempts,
          reason: row.reason,
          enqueuedAt: row.enqueued_at,
          deadAt: row.dead_at,
        })),
      ),
    replayDeadLetters: async (ids) => {
      const replayed = await settle(() => replayTx.immediate(ids));
      wake();
      return replayed;
    },
    healthy: () => settle(() => db.open && db.prepare('SELECT 1').get() !== undefined),
    close: () =>
      settle(() => {
        if (db.open) db.close();
        wake();
      }),
  };
}
