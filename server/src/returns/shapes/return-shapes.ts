// What a device may write into its returns database: one entry per return type, read by the
// database's validate_doc_update (returns-validate.ts, enforced by express-pouchdb and Apache
// CouchDB alike), by the broker's returns gate and by the returns integrator. A new return type
// is a new entry here and in RETURN_TYPES; nothing else has to learn it.
//
// Every field listed is required unless marked optional; a field not listed is refused, as is
// any CouchDB special field but `_id`, `_rev` and `_revisions` (so no `_attachments`).
import {
  ANNOTATION_ACTIONS,
  ANNOTATION_LIMITS,
  HIGHLIGHT_COLOURS,
} from '../../../../src/shared/annotations/limits.js';
import type { ReturnType } from '../../../../src/shared/briefing.js';

/** How one field of a return is checked. */
export type FieldSpec = (
  | { readonly kind: 'literal'; readonly value: string }
  | {
      readonly kind: 'string';
      readonly minLength: number;
      /** In UTF-16 code units (JavaScript's length); the document's byte limit bounds the rest. */
      readonly maxLength: number;
      /** Anchored regular expression source the value must match. */
      readonly pattern?: string;
    }
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  /** A UTC time as `Date#toISOString` writes it (milliseconds optional). */
  | { readonly kind: 'timestamp' }
  /** The signed-in user's id (CouchDB's `userCtx.name`). */
  | { readonly kind: 'author' }
  /** Exactly `prefix` followed by the value of another field of the same return. */
  | { readonly kind: 'prefixed'; readonly prefix: string; readonly field: string }
) & { readonly optional?: true };

export type ReturnShape = {
  /** Anchored regular expression source every document id of this type matches. */
  readonly idPattern: string;
  /** What such an id looks like, for error messages. */
  readonly idExample: string;
  /** Largest document, in UTF-8 bytes of its JSON without `_rev` and `_revisions`. */
  readonly maxBytes: number;
  /**
   * The field holding when the device says the return was written (its own clock, so only a
   * hint: see share-check.ts for how the integrator uses it).
   */
  readonly writtenAt: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
};

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** No control characters (they have no place in an id and confuse logs and terminals). */
const PRINTABLE = '^[^\\u0000-\\u001f\\u007f]+$';

export const TIMESTAMP_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{3})?Z$';

/** Special fields a return may carry: its id, its revision and (on replication) its history. */
export const ALLOWED_SPECIAL_FIELDS = ['_id', '_rev', '_revisions'] as const;

export const RETURN_SHAPES = {
  // Written by src/main/briefings/briefings-service.ts (markRead): about 250 bytes.
  'read-receipt': {
    idPattern: `^read-receipt:${UUID}$`,
    idExample: 'read-receipt:<lowercase UUID>',
    maxBytes: 2048,
    writtenAt: 'readAt',
    fields: {
      type: { kind: 'literal', value: 'read-receipt' },
      briefingId: { kind: 'prefixed', prefix: 'briefing:', field: 'sorId' },
      sorId: { kind: 'string', minLength: 1, maxLength: 200, pattern: PRINTABLE },
      sourceVersion: { kind: 'integer', min: 1, max: 1_000_000_000 },
      readAt: { kind: 'timestamp' },
      author: { kind: 'author' },
    },
  },
  // Written by src/main/annotations/annotations-service.ts: one per create, edit or delete of a
  // highlight or note (src/shared/annotations/events.ts). Note and quote are plain text of any
  // characters (newlines included); the byte limit holds the largest at 3 bytes a character.
  'annotation-event': {
    idPattern: `^annotation-event:${UUID}$`,
    idExample: 'annotation-event:<lowercase UUID>',
    maxBytes: ANNOTATION_LIMITS.maxBytes,
    writtenAt: 'writtenAt',
    fields: {
      type: { kind: 'literal', value: 'annotation-event' },
      annotationId: { kind: 'string', minLength: 36, maxLength: 36, pattern: `^${UUID}$` },
      action: {
        kind: 'string',
        minLength: 1,
        maxLength: 10,
        pattern: `^(?:${ANNOTATION_ACTIONS.join('|')})$`,
      },
      clock: { kind: 'integer', min: 1, max: ANNOTATION_LIMITS.maxClock },
      deviceId: { kind: 'string', minLength: 36, maxLength: 36, pattern: `^${UUID}$` },
      briefingId: { kind: 'prefixed', prefix: 'briefing:', field: 'sorId' },
      sorId: { kind: 'string', minLength: 1, maxLength: 200, pattern: PRINTABLE },
      sourceVersion: { kind: 'integer', min: 1, max: 1_000_000_000 },
      attachment: {
        kind: 'string',
        minLength: 1,
        maxLength: 255,
        pattern: PRINTABLE,
        optional: true,
      },
      page: { kind: 'integer', min: 1, max: ANNOTATION_LIMITS.maxPage, optional: true },
      exact: {
        kind: 'string',
        minLength: 1,
        maxLength: ANNOTATION_LIMITS.quoteChars,
        optional: true,
      },
      prefix: {
        kind: 'string',
        minLength: 0,
        maxLength: ANNOTATION_LIMITS.contextChars,
        optional: true,
      },
      suffix: {
        kind: 'string',
        minLength: 0,
        maxLength: ANNOTATION_LIMITS.contextChars,
        optional: true,
      },
      start: { kind: 'integer', min: 0, max: ANNOTATION_LIMITS.maxPosition, optional: true },
      end: { kind: 'integer', min: 0, max: ANNOTATION_LIMITS.maxPosition, optional: true },
      colour: {
        kind: 'string',
        minLength: 1,
        maxLength: 20,
        pattern: `^(?:${HIGHLIGHT_COLOURS.join('|')})$`,
        optional: true,
      },
      note: {
        kind: 'string',
        minLength: 0,
        maxLength: ANNOTATION_LIMITS.noteChars,
        optional: true,
      },
      writtenAt: { kind: 'timestamp' },
      author: { kind: 'author' },
    },
  },
} as const satisfies Record<ReturnType, ReturnShape>;

export function shapeOf(type: unknown): ReturnShape | null {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(RETURN_SHAPES, type)
    ? RETURN_SHAPES[type as ReturnType]
    : null;
}
