// The reader's marks on this device: highlights, notes on a passage, general notes. Every change
// is one new event document in the person's returns database (encrypted at rest with the rest of
// the store, pushed to the server by the returns replication, counted as unsent until the server
// confirms it, erased with the store on sign-out and wipe). Nothing is ever updated in place:
// the state is the fold of the events (src/shared/annotations/fold.ts), so the same events give
// the same marks on every device and in the SOR.
import { randomUUID } from 'node:crypto';
import { briefingDocSchema } from '../../shared/briefing.js';
import type { AnnotationEvent, StoredAnnotationEvent } from '../../shared/annotations/events.js';
import {
  ANNOTATION_EVENT_TYPE,
  ANNOTATION_LIMITS,
  annotationEventDocId,
  annotationEventSchema,
} from '../../shared/annotations/events.js';
import type { Annotation } from '../../shared/annotations/fold.js';
import { foldAnnotations, nextClock } from '../../shared/annotations/fold.js';
import type { AnnotatedVersion, AnnotationChange } from '../../shared/annotations/requests.js';
import type { Result } from '../../shared/result.js';
import { fail, ok } from '../../shared/result.js';
import type { Logger } from '../logging/logger.js';
import type { StoredDoc, UserStore } from '../storage/types.js';

export const ANNOTATION_ERROR_CODES = {
  briefingNotFound: 'briefing-not-found',
  annotationNotFound: 'annotation-not-found',
  noteTooLong: 'annotation-note-too-long',
  quoteTooLong: 'annotation-quote-too-long',
  empty: 'annotation-empty',
  notAttachable: 'annotation-not-attachable',
} as const;

export type AnnotationsService = {
  /** The live (not deleted) annotations of a briefing, oldest first. */
  readonly list: (briefingId: string) => Promise<readonly Annotation[]>;
  /** Writes one event; answers with the annotation as it now stands. */
  readonly save: (change: AnnotationChange) => Promise<Result<Annotation>>;
  /** Ids of the briefings that carry at least one live annotation. */
  readonly annotatedBriefings: () => Promise<readonly string[]>;
  /**
   * The plain text of a briefing's annotations (notes, then quoted passages), one per line, for
   * the full-text search index: feed it as the briefing's "notes" field and re-index the
   * briefing when `briefings:changed` names it. Never HTML.
   */
  readonly annotationTextFor: (briefingId: string) => Promise<string>;
  /**
   * The text of an earlier version of a briefing, kept on this device because marks were made
   * on it (the server serves only the current version); null when it was not kept: marked on
   * another device while this one already held a newer version, or before a release that kept
   * versions.
   */
  readonly versionText: (
    briefingId: string,
    sourceVersion: number,
  ) => Promise<AnnotatedVersion | null>;
};

export type AnnotationsServiceOptions = {
  readonly store: UserStore;
  /** This device's id (device-identity.ts): breaks ties between equal clocks. */
  readonly deviceId: string;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Called after a write, with the briefing it changed. */
  readonly onChanged?: (briefingIds: readonly string[]) => void;
};

function eventOf(doc: StoredDoc): StoredAnnotationEvent | null {
  if (doc['type'] !== ANNOTATION_EVENT_TYPE) return null;
  const { _id, _rev, _revisions, ...body } = doc;
  void _rev;
  void _revisions;
  const parsed = annotationEventSchema.safeParse(body);
  return parsed.success ? { ...parsed.data, eventId: _id } : null;
}

function tooLong(what: 'note' | 'quote', length: number, max: number): Result<never> {
  return fail(
    what === 'note' ? ANNOTATION_ERROR_CODES.noteTooLong : ANNOTATION_ERROR_CODES.quoteTooLong,
    what === 'note'
      ? `This note has ${length} characters; a note may hold at most ${max}. Shorten it: nothing was saved.`
      : `The selected passage has ${length} characters; a highlight may cover at most ${max}. Select less: nothing was saved.`,
  );
}

export function createAnnotationsService(options: AnnotationsServiceOptions): AnnotationsService {
  const { store, deviceId } = options;
  const logger = options.logger.child('annotations');
  const now = options.now ?? (() => new Date());
  // One write at a time: the clock of an edit is computed from the events already stored, so
  // two quick edits must not both read the same state.
  let writing: Promise<unknown> = Promise.resolve();

  const all = async (): Promise<ReadonlyMap<string, Annotation>> => {
    const events: StoredAnnotationEvent[] = [];
    let skipped = 0;
    for (const doc of await store.listReturnDocs()) {
      if (doc['type'] !== ANNOTATION_EVENT_TYPE) continue;
      const event = eventOf(doc);
      if (event) events.push(event);
      else skipped++;
    }
    // Ids only: the events hold the person's notes.
    if (skipped > 0)
      logger.warn('skipped annotation events that do not match the schema', { skipped });
    return foldAnnotations(events);
  };

  const live = async (briefingId: string): Promise<Annotation[]> =>
    [...(await all()).values()]
      .filter((a) => !a.deleted && a.target.briefingId === briefingId)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));

  const write = async (event: AnnotationEvent): Promise<Annotation> => {
    const eventId = annotationEventDocId(randomUUID());
    await store.createReturnDoc(eventId, annotationEventSchema.parse(event));
    const state = (await all()).get(event.annotationId);
    if (!state) throw new Error('an annotation event was written but does not fold');
    options.onChanged?.([event.briefingId]);
    return state;
  };

  const briefingOf = async (briefingId: string) => {
    const stored = await store.getBriefingDoc(briefingId);
    const parsed = stored ? briefingDocSchema.safeParse(stored) : null;
    return parsed?.success ? parsed.data : null;
  };
  const briefingGone = (): Result<never> =>
    fail(
      ANNOTATION_ERROR_CODES.briefingNotFound,
      'This briefing is no longer on this device, so the mark was not saved. It may have been withdrawn.',
    );

  const saveNow = async (change: AnnotationChange): Promise<Result<Annotation>> => {
    if (change.action !== 'delete') {
      const note = change.note ?? '';
      if (note.length > ANNOTATION_LIMITS.noteChars) {
        return tooLong('note', note.length, ANNOTATION_LIMITS.noteChars);
      }
    }
    const writtenAt = now().toISOString();
    if (change.action === 'create') {
      const briefing = await briefingOf(change.briefingId);
      if (!briefing) return briefingGone();
      const { quote, position } = change;
      if (quote && quote.exact.length > ANNOTATION_LIMITS.quoteChars) {
        return tooLong('quote', quote.exact.length, ANNOTATION_LIMITS.quoteChars);
      }
      if (!quote && (change.note ?? '').trim() === '') {
        return fail(
          ANNOTATION_ERROR_CODES.empty,
          'Write something first: an empty note is not saved.',
        );
      }
      return ok(
        await write({
          type: ANNOTATION_EVENT_TYPE,
          annotationId: randomUUID(),
          action: 'create',
          clock: 1,
          deviceId,
          briefingId: change.briefingId,
          sorId: briefing.sorId,
          sourceVersion: briefing.sourceVersion,
          ...(change.attachment === undefined ? {} : { attachment: change.attachment }),
          ...(change.page === undefined ? {} : { page: change.page }),
          ...(quote
            ? {
                exact: quote.exact,
                prefix: quote.prefix.slice(-ANNOTATION_LIMITS.contextChars),
                suffix: quote.suffix.slice(0, ANNOTATION_LIMITS.contextChars),
              }
            : {}),
          ...(position ? { start: position.start, end: position.end } : {}),
          ...(quote ? { colour: change.colour ?? 'yellow' } : {}),
          note: change.note ?? '',
          writtenAt,
          author: store.userId,
        }),
      );
    }
    const current = (await all()).get(change.annotationId);
    if (!current) {
      return fail(
        ANNOTATION_ERROR_CODES.annotationNotFound,
        'This mark is no longer on this device; nothing was changed.',
      );
    }
    const { target } = current;
    const base = {
      type: ANNOTATION_EVENT_TYPE,
      annotationId: current.id,
      clock: nextClock(current),
      deviceId,
      briefingId: target.briefingId,
      sorId: target.sorId,
      sourceVersion: target.sourceVersion,
      writtenAt,
      author: store.userId,
    } as const;
    if (change.action === 'delete') return ok(await write({ ...base, action: 'delete' }));
    // Re-attached: the new selectors are taken from the version on the device now, which is
    // the version the event names (the anchor's version, events.ts).
    let anchor = {
      sourceVersion: target.sourceVersion,
      quote: target.quote,
      position: target.position,
    };
    if (change.attach) {
      if (!target.quote || target.attachment !== null) {
        return fail(
          ANNOTATION_ERROR_CODES.notAttachable,
          'Only a highlight of the briefing’s text can be attached to another passage; nothing was changed.',
        );
      }
      const { quote, position } = change.attach;
      if (quote.exact.length > ANNOTATION_LIMITS.quoteChars) {
        return tooLong('quote', quote.exact.length, ANNOTATION_LIMITS.quoteChars);
      }
      const briefing = await briefingOf(target.briefingId);
      if (!briefing) return briefingGone();
      const version = change.attach.sourceVersion ?? briefing.sourceVersion;
      if (version > briefing.sourceVersion) {
        return fail(
          ANNOTATION_ERROR_CODES.notAttachable,
          `This briefing has no version ${version} on this device; nothing was changed.`,
        );
      }
      anchor = {
        sourceVersion: version,
        quote: {
          exact: quote.exact,
          prefix: quote.prefix.slice(-ANNOTATION_LIMITS.contextChars),
          suffix: quote.suffix.slice(0, ANNOTATION_LIMITS.contextChars),
        },
        position,
      };
    }
    // An edit carries the whole state, so it also restores a deleted mark (undo of a delete).
    const colour = change.colour ?? current.colour;
    return ok(
      await write({
        ...base,
        sourceVersion: anchor.sourceVersion,
        action: 'edit',
        ...(target.attachment === null ? {} : { attachment: target.attachment }),
        ...(target.page === null ? {} : { page: target.page }),
        ...(anchor.quote ? { ...anchor.quote } : {}),
        ...(anchor.position ? { start: anchor.position.start, end: anchor.position.end } : {}),
        ...(colour === null ? {} : { colour }),
        note: change.note ?? current.note,
      }),
    );
  };

  // Before a new version replaces one that carries marks on its text, its text is kept: what
  // the reader's "what changed since version N" compares with the current version.
  const keepAnnotatedVersions = async (ids: readonly string[]): Promise<void> => {
    const marked = new Set(
      [...(await all()).values()]
        .filter((a) => !a.deleted && a.target.quote !== null && a.target.attachment === null)
        .map((a) => `${a.target.briefingId}\u0000${a.target.sourceVersion}`),
    );
    if (marked.size === 0) return;
    for (const stored of await store.getBriefingDocs(ids)) {
      const parsed = briefingDocSchema.safeParse(stored);
      if (!parsed.success) continue;
      const { sourceVersion, title, bodyHtml } = parsed.data;
      if (!marked.has(`${stored._id}\u0000${sourceVersion}`)) continue;
      await store.keepVersionText({
        briefingId: stored._id,
        sourceVersion,
        title,
        bodyHtml,
        keptAt: now().toISOString(),
      });
      logger.info('kept the text of an annotated version', { sourceVersion });
    }
  };
  store.onBriefingsReplacing(keepAnnotatedVersions);

  return {
    list: live,
    save: (change) => {
      const next = writing.then(() => saveNow(change));
      writing = next.catch(() => undefined);
      return next;
    },
    annotatedBriefings: async () =>
      [
        ...new Set(
          [...(await all()).values()].filter((a) => !a.deleted).map((a) => a.target.briefingId),
        ),
      ].sort(),
    annotationTextFor: async (briefingId) =>
      (await live(briefingId))
        .flatMap((a) => [a.note, a.target.quote?.exact ?? ''])
        .filter((text) => text !== '')
        .join('\n'),
    versionText: async (briefingId, sourceVersion) => {
      const kept = await store.readVersionText(briefingId, sourceVersion);
      return kept
        ? {
            sourceVersion: kept.sourceVersion,
            title: kept.title,
            bodyHtml: kept.bodyHtml,
            keptAt: kept.keptAt,
          }
        : null;
    },
  };
}
