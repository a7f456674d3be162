// The current state of annotations, folded from their events. A pure function of the SET of
// events: the order they arrive in, duplicates and replays change nothing, so every device and
// the SOR compute the same state from the same events, whatever the replication order was.
//
// Within one annotation the events are totally ordered by (clock, action, deviceId, eventId);
// the greatest decides the state. Two devices that edit the same note offline both write the
// same clock: the tie is broken the same way everywhere, and the losing text is kept in
// `concurrentEdits` so the reader can show it (nothing is silently lost). At an equal clock an
// edit beats a delete, for the same reason.
import type { AnnotationEvent, HighlightColour, StoredAnnotationEvent } from './events.js';

export type TextQuote = {
  readonly exact: string;
  readonly prefix: string;
  readonly suffix: string;
};

export type TextPosition = { readonly start: number; readonly end: number };

export type AnnotationTarget = {
  readonly briefingId: string;
  readonly sorId: string;
  /** The version the anchor was taken from. */
  readonly sourceVersion: number;
  readonly attachment: string | null;
  readonly page: number | null;
  /** Null for a general note (of the briefing, or of a PDF page without text). */
  readonly quote: TextQuote | null;
  readonly position: TextPosition | null;
};

export type AnnotationHistoryEntry = {
  readonly eventId: string;
  readonly action: AnnotationEvent['action'];
  readonly clock: number;
  readonly deviceId: string;
  readonly writtenAt: string;
  readonly note: string;
  readonly colour: HighlightColour | null;
};

export type Annotation = {
  readonly id: string;
  readonly author: string;
  readonly target: AnnotationTarget;
  readonly colour: HighlightColour | null;
  readonly note: string;
  readonly deleted: boolean;
  /** The winning event's clock: the next edit writes one more. */
  readonly clock: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Every event of the annotation, oldest first in the fold's order. */
  readonly history: readonly AnnotationHistoryEntry[];
  /** Texts written concurrently on another device that lost the tie (shown, never dropped). */
  readonly concurrentEdits: readonly AnnotationHistoryEntry[];
};

const ACTION_RANK: Readonly<Record<AnnotationEvent['action'], number>> = {
  delete: 0,
  create: 1,
  edit: 1,
};

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What the fold's order looks at (the summary index keeps only this of each event). */
export type EventOrder = Pick<StoredAnnotationEvent, 'clock' | 'action' | 'deviceId' | 'eventId'>;

/** The fold's total order within one annotation. */
export function compareEvents(a: EventOrder, b: EventOrder): number {
  return (
    a.clock - b.clock ||
    ACTION_RANK[a.action] - ACTION_RANK[b.action] ||
    compareText(a.deviceId, b.deviceId) ||
    compareText(a.eventId, b.eventId) ||
    // Two different documents under one id cannot come from a device of ours; pick one the
    // same way everywhere rather than by arrival.
    compareText(JSON.stringify(a), JSON.stringify(b))
  );
}

function toEntry(event: StoredAnnotationEvent): AnnotationHistoryEntry {
  return {
    eventId: event.eventId,
    action: event.action,
    clock: event.clock,
    deviceId: event.deviceId,
    writtenAt: event.writtenAt,
    note: event.note ?? '',
    colour: event.colour ?? null,
  };
}

function targetOf(event: StoredAnnotationEvent): AnnotationTarget {
  return {
    briefingId: event.briefingId,
    sorId: event.sorId,
    sourceVersion: event.sourceVersion,
    attachment: event.attachment ?? null,
    page: event.page ?? null,
    quote:
      event.exact === undefined
        ? null
        : { exact: event.exact, prefix: event.prefix ?? '', suffix: event.suffix ?? '' },
    position:
      event.start === undefined || event.end === undefined
        ? null
        : { start: event.start, end: event.end },
  };
}

function foldOne(id: string, events: readonly StoredAnnotationEvent[]): Annotation | null {
  const ordered = [...events].sort(compareEvents);
  const winner = ordered[ordered.length - 1];
  // The state to show comes from the last event that carries one (a delete carries none).
  const lastState = [...ordered].reverse().find((event) => event.action !== 'delete');
  if (!winner || !lastState) return null;
  const current = winner.action === 'delete' ? lastState : winner;
  const byClock = new Map<number, StoredAnnotationEvent[]>();
  for (const event of ordered) {
    byClock.set(event.clock, [...(byClock.get(event.clock) ?? []), event]);
  }
  const concurrentEdits = ordered.filter((event) => {
    if (event === current || event.action === 'delete') return false;
    // Lost a tie: another device wrote the same clock and its event sorts after this one.
    const peers = byClock.get(event.clock) ?? [];
    const lostTie = peers.some(
      (peer) => peer.deviceId !== event.deviceId && compareEvents(peer, event) > 0,
    );
    return lostTie && (event.note ?? '') !== (current.note ?? '');
  });
  const first = ordered[0] ?? current;
  return {
    id,
    author: current.author,
    target: targetOf(current),
    colour: current.colour ?? null,
    note: current.note ?? '',
    deleted: winner.action === 'delete',
    clock: winner.clock,
    createdAt: first.writtenAt,
    updatedAt: winner.writtenAt,
    history: ordered.map(toEntry),
    concurrentEdits: concurrentEdits.map(toEntry),
  };
}

/**
 * Every annotation the events describe, deleted ones included (flagged), by annotation id.
 * Events with the same eventId count once.
 */
export function foldAnnotations(
  events: readonly StoredAnnotationEvent[],
): ReadonlyMap<string, Annotation> {
  const unique = new Map<string, StoredAnnotationEvent>();
  for (const event of events) {
    const seen = unique.get(event.eventId);
    if (!seen || compareEvents(event, seen) > 0) unique.set(event.eventId, event);
  }
  const byAnnotation = new Map<string, StoredAnnotationEvent[]>();
  for (const event of unique.values()) {
    const list = byAnnotation.get(event.annotationId);
    if (list) list.push(event);
    else byAnnotation.set(event.annotationId, [event]);
  }
  const result = new Map<string, Annotation>();
  for (const id of [...byAnnotation.keys()].sort()) {
    const annotation = foldOne(id, byAnnotation.get(id) ?? []);
    if (annotation) result.set(id, annotation);
  }
  return result;
}

/** The clock the next event of this annotation carries (Lamport: one past all seen). */
export function nextClock(annotation: Annotation | undefined): number {
  return annotation ? Math.max(...annotation.history.map((entry) => entry.clock)) + 1 : 1;
}
