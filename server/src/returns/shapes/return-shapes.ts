// What a device may write into its returns database: one entry per return type, read by the
// database's validate_doc_update (returns-validate.ts, enforced by express-pouchdb and Apache
// CouchDB alike), by the broker's returns gate and by the returns integrator. A new return type
// (notes, issue #15) is a new entry here and in RETURN_TYPES; nothing else has to learn it.
//
// Every field listed is required unless marked optional; a field not listed is refused, as is
// any CouchDB special field but `_id`, `_rev` and `_revisions` (so no `_attachments`).
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
} as const satisfies Record<ReturnType, ReturnShape>;

export function shapeOf(type: unknown): ReturnShape | null {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(RETURN_SHAPES, type)
    ? RETURN_SHAPES[type as ReturnType]
    : null;
}
