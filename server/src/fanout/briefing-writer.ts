// Writes one briefing into (or removes it from) a user's briefings database, idempotently:
// an equal content hash writes nothing, a newer stored version is never overwritten, and a
// conflicting concurrent write is re-read and retried.
import type { CouchAttachmentStub, CouchClient, CouchDoc } from '../couch/types.js';
import { CouchError } from '../couch/types.js';
import type { TransformedBriefing } from './transform.js';

const MAX_CONFLICT_RETRIES = 5;

function isConflict(error: unknown): boolean {
  return error instanceof CouchError && error.code === 'conflict';
}

function attachmentsFor(
  briefing: TransformedBriefing,
  existing: CouchDoc | null,
): Record<string, CouchAttachmentStub> {
  const stored = existing?._attachments ?? {};
  const result: Record<string, CouchAttachmentStub> = {};
  for (const a of briefing.attachments) {
    // Unchanged bytes go as a stub: no re-upload of a large PDF when only the text changed.
    const previous = stored[a.name];
    result[a.name] =
      previous?.digest === a.couchDigest && previous.content_type === a.contentType
        ? { content_type: a.contentType, digest: a.couchDigest, stub: true }
        : { content_type: a.contentType, data: Buffer.from(a.data).toString('base64') };
  }
  return result;
}

export async function upsertBriefing(
  couch: CouchClient,
  db: string,
  briefing: TransformedBriefing,
): Promise<'written' | 'unchanged' | 'stale'> {
  for (let attempt = 0; ; attempt += 1) {
    const existing = await couch.getDoc(db, briefing.id);
    if (existing) {
      if (existing['contentHash'] === briefing.doc.contentHash) return 'unchanged';
      const storedVersion = existing['sourceVersion'];
      if (typeof storedVersion === 'number' && storedVersion > briefing.doc.sourceVersion) {
        return 'stale';
      }
    }
    try {
      await couch.putDoc(db, {
        _id: briefing.id,
        ...(existing?._rev ? { _rev: existing._rev } : {}),
        ...briefing.doc,
        _attachments: attachmentsFor(briefing, existing),
      });
      return 'written';
    } catch (error) {
      if (!isConflict(error) || attempt >= MAX_CONFLICT_RETRIES) throw error;
    }
  }
}

export async function removeBriefing(
  couch: CouchClient,
  db: string,
  id: string,
): Promise<'deleted' | 'absent'> {
  for (let attempt = 0; ; attempt += 1) {
    const existing = await couch.getDoc(db, id);
    if (!existing?._rev) return 'absent';
    try {
      await couch.deleteDoc(db, id, existing._rev);
      return 'deleted';
    } catch (error) {
      if (!isConflict(error) || attempt >= MAX_CONFLICT_RETRIES) throw error;
    }
  }
}
