// The demo SOR: an embedded stand-in for an organisation's System of Record, on SQLite.
// Documents have versions; recipients say who a document is shared with right now; every share
// and unshare is appended to a change log (seq autoincrement) that the poller reads.
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import type {
  SorAdapter,
  SorAttachment,
  SorChange,
  SorDeliveryNotice,
  SorDeliveryNotices,
  SorDocument,
  SorReturn,
  SorShareHistory,
  SorShareInterval,
  SorShareState,
} from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY,
  current_version INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
  doc_id TEXT NOT NULL REFERENCES documents(id),
  version INTEGER NOT NULL,
  content TEXT NOT NULL,
  approved_at TEXT NOT NULL,
  PRIMARY KEY (doc_id, version)
);
CREATE TABLE IF NOT EXISTS attachments (
  doc_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (doc_id, version, name)
);
CREATE TABLE IF NOT EXISTS recipients (
  doc_id TEXT NOT NULL REFERENCES documents(id),
  user_id TEXT NOT NULL,
  shared_at TEXT NOT NULL,
  PRIMARY KEY (doc_id, user_id)
);
CREATE TABLE IF NOT EXISTS changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('share', 'unshare')),
  doc_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  approved_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL
);
-- What Attaché withheld and why (a marking above the organisation's ceiling). Added after the
-- first release: CREATE IF NOT EXISTS gives an existing demo SOR the table at its next start.
CREATE TABLE IF NOT EXISTS delivery_notices (
  idempotency_key TEXT PRIMARY KEY,
  doc_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  classification TEXT NOT NULL,
  reason TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS returns (
  idempotency_key TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  type TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  received_at TEXT NOT NULL
);
`;

export type AttachmentInput = {
  readonly name: string;
  readonly contentType: string;
  readonly data: Uint8Array;
};

export type BriefingSummary = {
  readonly sorId: string;
  readonly version: number;
  readonly title: string;
  readonly classification: string;
  readonly priority: string;
  readonly approvedAt: string;
  readonly recipients: readonly string[];
  readonly attachments: readonly string[];
};

export type BriefingDetail = {
  readonly sorId: string;
  readonly version: number;
  readonly approvedAt: string;
  readonly createdAt: string;
  readonly recipients: readonly string[];
  readonly content: unknown;
  readonly attachments: readonly { name: string; contentType: string; size: number }[];
};

/** A document as the SOR contract API serves it: attachments described, fetched one by one. */
export type DocumentWithAttachmentMeta = Omit<SorDocument, 'attachments'> & {
  readonly attachments: readonly {
    name: string;
    contentType: string;
    size: number;
    sha256: string;
  }[];
};

export type StoredReturn = SorReturn & { readonly receivedAt: string };

export type StoredDeliveryNotice = SorDeliveryNotice & { readonly receivedAt: string };

export type DemoSor = SorAdapter &
  SorDeliveryNotices & {
    /** Always here: the demo SOR wakes whoever waits after each committed write. */
    waitForChanges(cursor: string | null, timeoutMs: number, signal: AbortSignal): Promise<boolean>;
    /** Delivery notices received so far, oldest first. */
    listDeliveryNotices(): StoredDeliveryNotice[];
    /** The current version with attachment metadata (name, type, size, sha256), no bytes. */
    documentWithAttachmentMeta(sorId: string): DocumentWithAttachmentMeta | null;
    /** The bytes of one attachment of one version, or null. */
    attachment(
      sorId: string,
      version: number,
      name: string,
    ): { contentType: string; data: Uint8Array } | null;
    /** Returns written back so far, oldest first. */
    listReturns(): StoredReturn[];
    /** Stores a new document (version 1) and shares it with `recipients`. */
    create(input: {
      content: unknown;
      attachments?: readonly AttachmentInput[];
      recipients?: readonly string[];
      approvedAt?: string;
    }): { sorId: string; version: number };
    /**
     * Stores a new version. `content` replaces the old one; `attachments` (when given) replace the
     * old set, otherwise they carry over. Current recipients get a share event for the new version.
     */
    update(
      sorId: string,
      input: { content: unknown; attachments?: readonly AttachmentInput[] },
    ): { sorId: string; version: number } | null;
    share(sorId: string, users: readonly string[]): { added: string[] } | null;
    unshare(sorId: string, users: readonly string[]): { removed: string[] } | null;
    list(): BriefingSummary[];
    get(sorId: string): BriefingDetail | null;
    /** The current content of a document (for updates that change a few fields). */
    currentContent(sorId: string): unknown;
    addUser(id: string, displayName: string): void;
    isKnownUser(id: string): boolean;
    /** The people the SOR knows (seeded, or shared with before), by id. */
    listUsers(): { id: string; displayName: string }[];
    documentCount(): number;
    close(): void;
  };

/** Runs synchronous SQLite work behind the async adapter contract; a throw becomes a rejection. */
function settle<R>(work: () => R): Promise<R> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

type VersionRow = {
  doc_id: string;
  version: number;
  content: string;
  approved_at: string;
  created_at: string;
};
type AttachmentRow = { name: string; content_type: string; data: Buffer };

export function createDemoSor(deps: { file: string; now?: () => Date }): DemoSor {
  const now = deps.now ?? (() => new Date());
  const db = new Database(deps.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.exec(SCHEMA);

  const q = {
    nextId: db.prepare(`SELECT COUNT(*) AS n FROM documents`),
    insertDoc: db.prepare(
      `INSERT INTO documents (id, current_version, created_at) VALUES (?, ?, ?)`,
    ),
    setVersion: db.prepare(`UPDATE documents SET current_version = ? WHERE id = ?`),
    insertVersion: db.prepare(
      `INSERT INTO versions (doc_id, version, content, approved_at) VALUES (?, ?, ?, ?)`,
    ),
    insertAttachment: db.prepare(
      `INSERT INTO attachments (doc_id, version, name, content_type, data) VALUES (?, ?, ?, ?, ?)`,
    ),
    copyAttachments: db.prepare(
      `INSERT INTO attachments (doc_id, version, name, content_type, data)
       SELECT doc_id, ?, name, content_type, data FROM attachments WHERE doc_id = ? AND version = ?`,
    ),
    current: db.prepare(
      `SELECT v.doc_id, v.version, v.content, v.approved_at, d.created_at FROM documents d
       JOIN versions v ON v.doc_id = d.id AND v.version = d.current_version WHERE d.id = ?`,
    ),
    attachments: db.prepare(
      `SELECT name, content_type, data FROM attachments WHERE doc_id = ? AND version = ? ORDER BY name`,
    ),
    attachmentMeta: db.prepare(
      `SELECT name, content_type, length(data) AS size FROM attachments
       WHERE doc_id = ? AND version = ? ORDER BY name`,
    ),
    recipients: db.prepare(`SELECT user_id FROM recipients WHERE doc_id = ? ORDER BY user_id`),
    addRecipient: db.prepare(
      `INSERT OR IGNORE INTO recipients (doc_id, user_id, shared_at) VALUES (?, ?, ?)`,
    ),
    removeRecipient: db.prepare(`DELETE FROM recipients WHERE doc_id = ? AND user_id = ?`),
    appendChange: db.prepare(
      `INSERT INTO changes (kind, doc_id, user_id, version, approved_at) VALUES (?, ?, ?, ?, ?)`,
    ),
    changesAfter: db.prepare(
      `SELECT seq, kind, doc_id, user_id, version, approved_at FROM changes
       WHERE seq > ? ORDER BY seq LIMIT ?`,
    ),
    shareEvents: db.prepare(
      `SELECT kind, approved_at FROM changes WHERE doc_id = ? AND user_id = ? ORDER BY seq`,
    ),
    allDocs: db.prepare(`SELECT id FROM documents ORDER BY id`),
    addUser: db.prepare(`INSERT OR IGNORE INTO users (id, display_name) VALUES (?, ?)`),
    knownUser: db.prepare(`SELECT 1 FROM users WHERE id = ?`),
    allUsers: db.prepare(`SELECT id, display_name FROM users ORDER BY id`),
    oneAttachment: db.prepare(
      `SELECT name, content_type, data FROM attachments WHERE doc_id = ? AND version = ? AND name = ?`,
    ),
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
    ping: db.prepare(`SELECT 1 AS ok`),
  };

  const currentRow = (sorId: string) => q.current.get(sorId) as VersionRow | undefined;
  const recipientsOf = (sorId: string) =>
    (q.recipients.all(sorId) as { user_id: string }[]).map((r) => r.user_id);

  const shareTx = db.transaction((sorId: string, users: readonly string[], at: string) => {
    const row = currentRow(sorId);
    if (!row) return null;
    const added: string[] = [];
    for (const user of new Set(users)) {
      q.addUser.run(user, user);
      if (q.addRecipient.run(sorId, user, at).changes > 0) {
        q.appendChange.run('share', sorId, user, row.version, at);
        added.push(user);
      }
    }
    return { added };
  });

  const unshareTx = db.transaction((sorId: string, users: readonly string[], at: string) => {
    const row = currentRow(sorId);
    if (!row) return null;
    const removed: string[] = [];
    for (const user of new Set(users)) {
      if (q.removeRecipient.run(sorId, user).changes > 0) {
        q.appendChange.run('unshare', sorId, user, row.version, at);
        removed.push(user);
      }
    }
    return { removed };
  });

  const insertAttachments = (sorId: string, version: number, items: readonly AttachmentInput[]) => {
    for (const a of items)
      q.insertAttachment.run(sorId, version, a.name, a.contentType, Buffer.from(a.data));
  };

  const createTx = db.transaction(
    (input: Parameters<DemoSor['create']>[0], at: string): { sorId: string; version: number } => {
      const count = (q.nextId.get() as { n: number }).n;
      const sorId = `BRF-${String(count + 1).padStart(6, '0')}`;
      const approvedAt = input.approvedAt ?? at;
      q.insertDoc.run(sorId, 1, at);
      q.insertVersion.run(sorId, 1, JSON.stringify(input.content ?? null), approvedAt);
      insertAttachments(sorId, 1, input.attachments ?? []);
      shareTx(sorId, input.recipients ?? [], at);
      return { sorId, version: 1 };
    },
  );

  const updateTx = db.transaction(
    (sorId: string, input: Parameters<DemoSor['update']>[1], at: string) => {
      const row = currentRow(sorId);
      if (!row) return null;
      const version = row.version + 1;
      q.insertVersion.run(sorId, version, JSON.stringify(input.content ?? null), at);
      if (input.attachments) insertAttachments(sorId, version, input.attachments);
      else q.copyAttachments.run(version, sorId, row.version);
      q.setVersion.run(version, sorId);
      for (const user of recipientsOf(sorId)) q.appendChange.run('share', sorId, user, version, at);
      return { sorId, version };
    },
  );

  const parseContent = (text: string): unknown => JSON.parse(text) as unknown;

  /**
   * The share intervals of one document and user, from the change log: a share opens one (a
   * share event while shared is a new version, not a new interval), an unshare closes it.
   */
  const shareIntervals = (sorId: string, userId: string): SorShareInterval[] => {
    const events = q.shareEvents.all(sorId, userId) as { kind: string; approved_at: string }[];
    const intervals: SorShareInterval[] = [];
    let openSince: string | null = null;
    for (const event of events) {
      if (event.kind === 'share' && openSince === null) openSince = event.approved_at;
      else if (event.kind === 'unshare' && openSince !== null) {
        intervals.push({ from: openSince, until: event.approved_at });
        openSince = null;
      }
    }
    if (openSince !== null) intervals.push({ from: openSince, until: null });
    return intervals;
  };

  // In-process "something changed": whoever waits (the poller) is woken after each committed
  // write that may have appended to the change log.
  const waiters = new Set<() => void>();
  const notifying = <R>(result: R): R => {
    for (const wake of [...waiters]) wake();
    return result;
  };
  const hasChangesAfter = (cursor: string | null): boolean => {
    const after = cursor === null ? 0 : Number(cursor);
    return Number.isSafeInteger(after) && q.changesAfter.all(after, 1).length > 0;
  };

  return {
    waitForChanges: (cursor, timeoutMs, signal) => {
      if (signal.aborted) return Promise.resolve(false);
      if (hasChangesAfter(cursor)) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const finish = (changed: boolean): void => {
          clearTimeout(timer);
          waiters.delete(wake);
          signal.removeEventListener('abort', aborted);
          resolve(changed);
        };
        const wake = (): void => finish(true);
        const aborted = (): void => finish(false);
        const timer = setTimeout(() => finish(false), timeoutMs);
        waiters.add(wake);
        signal.addEventListener('abort', aborted, { once: true });
      });
    },

    listChanges: (cursor, limit) =>
      settle(() => {
        const after = cursor === null ? 0 : Number(cursor);
        if (!Number.isSafeInteger(after) || after < 0) {
          throw new Error(`Invalid demo SOR cursor: ${JSON.stringify(cursor)}`);
        }
        const rows = q.changesAfter.all(after, limit) as {
          seq: number;
          kind: 'share' | 'unshare';
          doc_id: string;
          user_id: string;
          version: number;
          approved_at: string;
        }[];
        const changes: SorChange[] = rows.map((r) => ({
          seq: r.seq,
          kind: r.kind,
          sorId: r.doc_id,
          recipient: r.user_id,
          version: r.version,
          approvedAt: r.approved_at,
        }));
        const last = rows.at(-1);
        return { changes, nextCursor: String(last ? last.seq : after) };
      }),

    fetchDocument: (sorId) =>
      settle(() => {
        const row = currentRow(sorId);
        if (!row) return null;
        const attachments: SorAttachment[] = (
          q.attachments.all(sorId, row.version) as AttachmentRow[]
        ).map((a) => ({ name: a.name, contentType: a.content_type, data: new Uint8Array(a.data) }));
        const doc: SorDocument = {
          sorId,
          version: row.version,
          approvedAt: row.approved_at,
          recipients: recipientsOf(sorId),
          content: parseContent(row.content),
          attachments,
        };
        return doc;
      }),

    fetchShareState: (sorId) =>
      settle((): SorShareState | null => {
        const row = currentRow(sorId);
        return row ? { sorId, version: row.version, recipients: recipientsOf(sorId) } : null;
      }),

    fetchShareHistory: (sorId, userId) =>
      settle((): SorShareHistory | null =>
        currentRow(sorId) ? { sorId, userId, intervals: shareIntervals(sorId, userId) } : null,
      ),

    documentWithAttachmentMeta(sorId) {
      const row = currentRow(sorId);
      if (!row) return null;
      return {
        sorId,
        version: row.version,
        approvedAt: row.approved_at,
        recipients: recipientsOf(sorId),
        content: parseContent(row.content),
        attachments: (q.attachments.all(sorId, row.version) as AttachmentRow[]).map((a) => ({
          name: a.name,
          contentType: a.content_type,
          size: a.data.byteLength,
          sha256: createHash('sha256')
            .update(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength))
            .digest('hex'),
        })),
      };
    },

    attachment(sorId, version, name) {
      const row = q.oneAttachment.get(sorId, version, name) as AttachmentRow | undefined;
      return row ? { contentType: row.content_type, data: new Uint8Array(row.data) } : null;
    },

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

    ping() {
      try {
        return Promise.resolve((q.ping.get() as { ok: number }).ok === 1);
      } catch {
        return Promise.resolve(false);
      }
    },

    create: (input) => notifying(createTx.immediate(input, now().toISOString())),
    update: (sorId, input) => notifying(updateTx.immediate(sorId, input, now().toISOString())),
    share: (sorId, users) => notifying(shareTx.immediate(sorId, users, now().toISOString())),
    unshare: (sorId, users) => notifying(unshareTx.immediate(sorId, users, now().toISOString())),

    list() {
      return (q.allDocs.all() as { id: string }[]).flatMap(({ id }) => {
        const row = currentRow(id);
        if (!row) return [];
        const content = parseContent(row.content);
        const field = (key: string): string => {
          const value =
            typeof content === 'object' && content !== null
              ? (content as Record<string, unknown>)[key]
              : undefined;
          return typeof value === 'string' ? value : '';
        };
        const summary: BriefingSummary = {
          sorId: id,
          version: row.version,
          title: field('title'),
          classification: field('classification'),
          priority: field('priority'),
          approvedAt: row.approved_at,
          recipients: recipientsOf(id),
          attachments: (q.attachmentMeta.all(id, row.version) as { name: string }[]).map(
            (a) => a.name,
          ),
        };
        return [summary];
      });
    },

    get(sorId) {
      const row = currentRow(sorId);
      if (!row) return null;
      return {
        sorId,
        version: row.version,
        approvedAt: row.approved_at,
        createdAt: row.created_at,
        recipients: recipientsOf(sorId),
        content: parseContent(row.content),
        attachments: (
          q.attachmentMeta.all(sorId, row.version) as {
            name: string;
            content_type: string;
            size: number;
          }[]
        ).map((a) => ({ name: a.name, contentType: a.content_type, size: a.size })),
      };
    },

    currentContent(sorId) {
      const row = currentRow(sorId);
      return row ? parseContent(row.content) : undefined;
    },

    addUser(id, displayName) {
      q.addUser.run(id, displayName);
    },
    isKnownUser: (id) => q.knownUser.get(id) !== undefined,
    listUsers: () =>
      (q.allUsers.all() as { id: string; display_name: string }[]).map((u) => ({
        id: u.id,
        displayName: u.display_name,
      })),
    documentCount: () => (q.nextId.get() as { n: number }).n,
    close() {
      if (db.open) db.close();
    },
  };
}
