// Which briefings carry the reader's marks, without folding whole annotations: the briefing
// list shows a "has your notes" sign on each row, and the summary index (briefings/) keeps this
// much of every annotation event it sees in the returns changes feed, so a page of the list
// never reads the events. An annotation is live when the greatest of its events in the fold's
// own order (shared/annotations/fold.ts) is not a delete: exactly what the fold decides.
import type { EventOrder } from '../../shared/annotations/fold.js';
import { compareEvents } from '../../shared/annotations/fold.js';
import { ANNOTATION_EVENT_TYPE, annotationEventSchema } from '../../shared/annotations/events.js';
import type { StoredDoc } from '../storage/types.js';

/** What is kept of one event: its order and what it belongs to (no quote, no note). */
export type AnnotationMark = EventOrder & {
  readonly annotationId: string;
  readonly briefingId: string;
};

/** The event's mark, or null when the document is not a valid annotation event. */
export function annotationMarkOf(doc: StoredDoc): AnnotationMark | null {
  if (doc['type'] !== ANNOTATION_EVENT_TYPE) return null;
  const { _id, _rev, _revisions, ...body } = doc;
  void _rev;
  void _revisions;
  // The same schema as the annotations service: an event it skips is not counted here either.
  const parsed = annotationEventSchema.safeParse(body);
  if (!parsed.success) return null;
  const { annotationId, briefingId, clock, action, deviceId } = parsed.data;
  return { eventId: _id, annotationId, briefingId, clock, action, deviceId };
}

/** A saved mark read back: only its shape is checked (the file is authenticated). */
export function isAnnotationMark(value: unknown): value is AnnotationMark {
  if (typeof value !== 'object' || value === null) return false;
  const mark = value as Record<string, unknown>;
  return (
    typeof mark['eventId'] === 'string' &&
    typeof mark['annotationId'] === 'string' &&
    typeof mark['briefingId'] === 'string' &&
    typeof mark['clock'] === 'number' &&
    typeof mark['deviceId'] === 'string' &&
    (mark['action'] === 'create' || mark['action'] === 'edit' || mark['action'] === 'delete')
  );
}

/** How many live annotations each briefing carries (briefings with none are absent). */
export function liveAnnotationCounts(marks: Iterable<AnnotationMark>): Map<string, number> {
  const winners = new Map<string, AnnotationMark>();
  for (const mark of marks) {
    const seen = winners.get(mark.annotationId);
    if (!seen || compareEvents(mark, seen) > 0) winners.set(mark.annotationId, mark);
  }
  const counts = new Map<string, number>();
  for (const winner of winners.values()) {
    if (winner.action === 'delete') continue;
    counts.set(winner.briefingId, (counts.get(winner.briefingId) ?? 0) + 1);
  }
  return counts;
}
