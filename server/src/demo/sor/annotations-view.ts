// The demo SOR's view of a briefing's annotations: the annotation events the returns integrator
// stored (one return per event, idempotent by key), folded per person exactly as the device
// folds them (src/shared/annotations/fold.ts), and shown in the W3C Web Annotation shape. A real
// SOR does the same with the events it receives (server/openapi/sor-adapter.yaml, "Return").
import { annotationEventSchema } from '../../../../src/shared/annotations/events.js';
import type { StoredAnnotationEvent } from '../../../../src/shared/annotations/events.js';
import type { Annotation } from '../../../../src/shared/annotations/fold.js';
import { foldAnnotations } from '../../../../src/shared/annotations/fold.js';
import type { WebAnnotation } from '../../../../src/shared/annotations/web-annotation.js';
import { toWebAnnotation } from '../../../../src/shared/annotations/web-annotation.js';
import type { StoredReturn } from './demo-sor.sqlite.js';

export type PersonAnnotations = {
  readonly userId: string;
  /** Live annotations, oldest first. */
  readonly annotations: readonly WebAnnotation[];
  /** Deleted ones: the SOR keeps their history. */
  readonly deleted: number;
  /** Texts that lost a concurrent edit on another device, by annotation id. */
  readonly concurrentEdits: Readonly<Record<string, readonly string[]>>;
  /** Events received for this briefing (each counted once). */
  readonly events: number;
};

export type BriefingAnnotations = {
  readonly sorId: string;
  readonly people: readonly PersonAnnotations[];
};

export function annotationsOf(
  returns: readonly StoredReturn[],
  sorId: string,
): BriefingAnnotations {
  const byUser = new Map<string, StoredAnnotationEvent[]>();
  for (const item of returns) {
    if (item.type !== 'annotation-event' || item.sorId !== sorId) continue;
    const parsed = annotationEventSchema.safeParse(item.payload);
    // The integrator sent only events of the right shape; anything else is not an annotation.
    if (!parsed.success || parsed.data.author !== item.userId) continue;
    const events = byUser.get(item.userId) ?? [];
    events.push({ ...parsed.data, eventId: item.idempotencyKey });
    byUser.set(item.userId, events);
  }
  const people = [...byUser.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([userId, events]): PersonAnnotations => {
      const folded = [...foldAnnotations(events).values()];
      const live = folded
        .filter((a) => !a.deleted)
        .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
      const concurrentEdits: Record<string, string[]> = {};
      for (const annotation of folded) {
        if (annotation.concurrentEdits.length > 0) {
          concurrentEdits[annotation.id] = annotation.concurrentEdits.map((e) => e.note);
        }
      }
      return {
        userId,
        annotations: live.map(toWebAnnotation),
        deleted: folded.filter((a: Annotation) => a.deleted).length,
        concurrentEdits,
        events: new Set(events.map((e) => e.eventId)).size,
      };
    });
  return { sorId, people };
}

/** Plain text for the admin CLI: per person, each mark with its quote and note. */
export function formatAnnotations(view: BriefingAnnotations): string {
  if (view.people.length === 0) return `No annotations on ${view.sorId} have reached the SOR.`;
  const lines: string[] = [];
  for (const person of view.people) {
    lines.push(
      `${person.userId}: ${person.annotations.length} annotation${person.annotations.length === 1 ? '' : 's'}` +
        `${person.deleted > 0 ? `, ${person.deleted} deleted` : ''} (${person.events} events)`,
    );
    for (const annotation of person.annotations) {
      const quote = annotation.target.selector?.find((s) => s.type === 'TextQuoteSelector');
      const page = annotation.target.selector?.find((s) => s.type === 'FragmentSelector');
      const where = quote
        ? `"${quote.exact}"`
        : page
          ? `${annotation.target.attachment ?? 'attachment'}, ${page.value.replace('=', ' ')}`
          : '(general note)';
      lines.push(
        `  - ${where} v${annotation.target.sourceVersion}${annotation.colour ? ` [${annotation.colour}]` : ''}`,
      );
      if (annotation.body)
        lines.push(`      note: ${annotation.body.value.replace(/\n/g, '\n            ')}`);
      const lost = person.concurrentEdits[annotation.id.replace(/^urn:uuid:/, '')];
      for (const text of lost ?? []) lines.push(`      also written at the same time: ${text}`);
    }
  }
  return lines.join('\n');
}
