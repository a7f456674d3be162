// The demo SOR: an embedded stand-in for an organisation's System of Record, on SQLite.
// Documents have versions; recipients say who a document is shared with right now; every share
// and unshare is appended to a change log (seq autoincrement) that the poller reads.
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import type {
  SorAttachment,
  SorChange,
  SorDocument,
  SorShareHistory,
  SorShareInterval,
  SorShareState,
} from '../../sor/types.js';
import { SCHEMA } from './demo-sor-schema.js';
import { createInbox, settle } from './demo-sor-inbox.sqlite.js';
import type { AttachmentInput, BriefingSummary, DemoSor } from './types.js';

export type {
  AttachmentInput,
  BriefingSummary,
  BriefingDetail,
  DocumentWithAttachmentMeta,
  StoredReturn,
  StoredDeliveryNotice,
  DemoSor,
} from './types.js';

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
    ping: db.prepare(`SELECT 1 AS ok`),
  };

  const inbox = createInbox(db, now);
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

    ...inbox,

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
