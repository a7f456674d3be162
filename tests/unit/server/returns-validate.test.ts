// The returns database's validate_doc_update (source text run by CouchDB) and the server's own
// check (returnProblem) must give the same verdict on every document. Each case runs through
// both: the source text here in a plain V8 context, as express-pouchdb runs it; the integration
// tests run it inside the embedded server (returns.test.ts, separation.test.ts).
import { randomUUID } from 'node:crypto';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { ReturnShape } from '../../../server/src/returns/shapes/return-shapes.js';
import { RETURN_SHAPES } from '../../../server/src/returns/shapes/return-shapes.js';
import {
  RETURNS_VALIDATE,
  returnProblem,
  returnsValidateSource,
} from '../../../server/src/returns/shapes/returns-validate.js';
import type { ReturnShapes } from '../../../server/src/returns/shapes/returns-validate.js';
import {
  ANNOTATION_LIMITS,
  annotationEventSchema,
} from '../../../src/shared/annotations/events.js';

const USER = 'alex.morgan';
type Doc = Record<string, unknown>;

/** Runs validate_doc_update source as CouchDB would; the refusal message, or null. */
function runValidate(
  source: string,
  doc: Doc,
  options: { user?: string; roles?: string[]; oldDoc?: Doc | null } = {},
): string | null {
  const fn = vm.runInNewContext(`(${source})`) as (
    newDoc: Doc,
    oldDoc: Doc | null,
    userCtx: { name: string; roles: string[] },
  ) => void;
  try {
    fn(structuredClone(doc), options.oldDoc ?? null, {
      name: options.user ?? USER,
      roles: options.roles ?? [],
    });
    return null;
  } catch (error) {
    const forbidden = (error as { forbidden?: unknown }).forbidden;
    if (typeof forbidden === 'string') return forbidden;
    throw error;
  }
}

/** A read receipt exactly as src/main/briefings/briefings-service.ts writes it. */
function deviceReceipt(extra: Doc = {}): Doc {
  return {
    _id: `read-receipt:${randomUUID()}`,
    type: 'read-receipt',
    briefingId: 'briefing:BRF-000001',
    sorId: 'BRF-000001',
    sourceVersion: 2,
    readAt: new Date().toISOString(),
    author: USER,
    ...extra,
  };
}

function without(doc: Doc, key: string): Doc {
  const copy = { ...doc };
  delete copy[key];
  return copy;
}

const bothAgree = (doc: Doc, shapes: ReturnShapes = RETURN_SHAPES) => {
  const inDatabase = runValidate(returnsValidateSource(shapes), doc);
  expect(returnProblem(doc, USER, shapes)).toBe(inDatabase);
  return inDatabase;
};

describe('the returns validation', () => {
  it('accepts the read receipt the device writes, also as replication sends it', () => {
    expect(bothAgree(deviceReceipt())).toBeNull();
    expect(
      bothAgree(deviceReceipt({ _rev: '1-abc', _revisions: { start: 1, ids: ['abc'] } })),
    ).toBeNull();
    expect(bothAgree(deviceReceipt({ readAt: '2026-01-31T09:30:00Z' }))).toBeNull();
  });

  it.each<[string, Doc, string]>([
    ['an unknown field', deviceReceipt({ note: 'x' }), 'Unknown field note in a read-receipt.'],
    [
      '3.5 MiB of extra fields',
      deviceReceipt({ padding: 'x'.repeat(3.5 * 1024 * 1024) }),
      'Unknown field padding in a read-receipt.',
    ],
    [
      'an inline attachment',
      deviceReceipt({
        _attachments: { 'x.pdf': { content_type: 'application/pdf', data: 'JVBERi0=' } },
      }),
      'Returns carry no attachments.',
    ],
    ['an attachment stub', deviceReceipt({ _attachments: {} }), 'Returns carry no attachments.'],
    ['a deletion', deviceReceipt({ _deleted: true }), 'Returns cannot be deleted.'],
    [
      'another special field',
      deviceReceipt({ _conflicts: [] }),
      'Field _conflicts is not allowed.',
    ],
    [
      'another type',
      deviceReceipt({ type: 'briefing' }),
      'Only these document types may be written here: read-receipt, annotation-event.',
    ],
    [
      'no type',
      without(deviceReceipt(), 'type'),
      'Only these document types may be written here: read-receipt, annotation-event.',
    ],
    [
      'another author',
      deviceReceipt({ author: 'sam.taylor' }),
      'The author must be the signed-in user.',
    ],
    [
      'a free-form id',
      deviceReceipt({ _id: 'receipt-1' }),
      'The id of a read-receipt must look like read-receipt:<lowercase UUID>.',
    ],
    [
      'an id with an upper-case UUID',
      deviceReceipt({ _id: `read-receipt:${randomUUID().toUpperCase()}` }),
      'The id of a read-receipt must look like read-receipt:<lowercase UUID>.',
    ],
    ['a missing field', without(deviceReceipt(), 'readAt'), 'readAt is required.'],
    [
      'an empty sorId',
      deviceReceipt({ sorId: '', briefingId: 'briefing:' }),
      'sorId must be text of 1 to 200 characters.',
    ],
    [
      'a sorId with control characters',
      deviceReceipt({ sorId: 'BRF\n1', briefingId: 'briefing:BRF\n1' }),
      'sorId holds characters that are not allowed.',
    ],
    [
      'a briefingId that does not name the sorId',
      deviceReceipt({ briefingId: 'briefing:BRF-000002' }),
      'briefingId must be "briefing:" followed by sorId.',
    ],
    [
      'a fractional version',
      deviceReceipt({ sourceVersion: 1.5 }),
      'sourceVersion must be a whole number from 1 to 1000000000.',
    ],
    [
      'a version as text',
      deviceReceipt({ sourceVersion: '2' }),
      'sourceVersion must be a whole number from 1 to 1000000000.',
    ],
    [
      'a local time',
      deviceReceipt({ readAt: '2026-01-31T09:30:00+10:00' }),
      'readAt must be a UTC time such as 2026-01-31T09:30:00.000Z.',
    ],
    [
      'an impossible date',
      deviceReceipt({ readAt: '2026-13-45T09:30:00.000Z' }),
      'readAt must be a UTC time such as 2026-01-31T09:30:00.000Z.',
    ],
  ])('refuses %s, with the same message in the database and on the server', (_, doc, message) => {
    expect(bothAgree(doc)).toBe(message);
  });

  it('lets the service account write anything (the integrator and the fan-out are admins)', () => {
    expect(runValidate(RETURNS_VALIDATE, { _id: 'x', any: 'thing' }, { roles: ['_admin'] })).toBe(
      null,
    );
  });

  it("refuses a change to another author's return", () => {
    const doc = deviceReceipt();
    expect(runValidate(RETURNS_VALIDATE, doc, { oldDoc: { ...doc, author: 'sam.taylor' } })).toBe(
      'Only the author may change this document.',
    );
  });

  it('limits the size of a document, counted in UTF-8 bytes without its revisions', () => {
    // A type with a long text field, as notes will have (issue #15): the table grows, the rules
    // stay the same code.
    const note: ReturnShape = {
      idPattern: '^note:[a-z0-9]+$',
      idExample: 'note:<id>',
      maxBytes: 1024,
      writtenAt: 'writtenAt',
      fields: {
        type: { kind: 'literal', value: 'note' },
        text: { kind: 'string', minLength: 1, maxLength: 10_000 },
        colour: { kind: 'string', minLength: 1, maxLength: 20, optional: true },
        writtenAt: { kind: 'timestamp' },
        author: { kind: 'author' },
      },
    };
    const shapes = { ...RETURN_SHAPES, note };
    const base = {
      _id: 'note:a1',
      type: 'note',
      writtenAt: '2026-01-31T09:30:00.000Z',
      author: USER,
    };
    expect(bothAgree({ ...base, text: 'short' }, shapes)).toBeNull();
    expect(bothAgree({ ...base, text: 'short', colour: 'amber' }, shapes)).toBeNull();
    // 400 characters of three bytes each: within the length, over the byte limit.
    expect(bothAgree({ ...base, text: '€'.repeat(400) }, shapes)).toMatch(
      /^A note may hold at most 1024 bytes; this one holds \d+\.$/,
    );
    // Revisions do not count: a long-lived document's history must not make it too large.
    const history = { start: 40, ids: Array.from({ length: 40 }, () => 'a'.repeat(32)) };
    expect(
      bothAgree({ ...base, text: 'x'.repeat(800), _rev: '40-abc', _revisions: history }, shapes),
    ).toBeNull();
    expect(bothAgree({ ...base, text: 'x'.repeat(1000) }, shapes)).toMatch(/at most 1024 bytes/);
    expect(bothAgree({ ...base, text: 'short', colour: 7 }, shapes)).toBe(
      'colour must be text of 1 to 20 characters.',
    );
    expect(bothAgree({ ...base, text: 'x' }, RETURN_SHAPES)).toBe(
      'Only these document types may be written here: read-receipt, annotation-event.',
    );
  });

  it('keeps every shape within what a device can write (ids, sizes)', () => {
    for (const [type, shape] of Object.entries(RETURN_SHAPES)) {
      expect(shape.fields.type).toEqual({ kind: 'literal', value: type });
      expect(shape.fields.author).toEqual({ kind: 'author' });
      // The integrator asks the SOR about the briefing a return names.
      expect(shape.fields.sorId).toMatchObject({ kind: 'string' });
      expect(Object.keys(shape.fields)).toContain(shape.writtenAt);
      expect(shape.maxBytes).toBeLessThanOrEqual(64 * 1024);
    }
  });
});

/** An annotation event exactly as src/main/annotations/annotations-service.ts writes it. */
function deviceAnnotation(extra: Doc = {}): Doc {
  return {
    _id: `annotation-event:${randomUUID()}`,
    type: 'annotation-event',
    annotationId: randomUUID(),
    action: 'create',
    clock: 1,
    deviceId: randomUUID(),
    briefingId: 'briefing:BRF-000001',
    sorId: 'BRF-000001',
    sourceVersion: 2,
    exact: 'the fiscal outlook',
    prefix: 'present ',
    suffix: ' to Cabinet\non Monday',
    start: 120,
    end: 138,
    colour: 'yellow',
    note: 'Ask Treasury:\n1. assumptions\n2. timing',
    writtenAt: new Date().toISOString(),
    author: USER,
    ...extra,
  };
}

describe('the returns validation of annotation events', () => {
  it('accepts a highlight with a note, a general note, a PDF page note and a delete', () => {
    expect(bothAgree(deviceAnnotation())).toBeNull();
    const general = without(without(without(deviceAnnotation(), 'exact'), 'start'), 'end');
    expect(bothAgree(general)).toBeNull();
    expect(bothAgree({ ...general, attachment: 'annex.pdf', page: 3 })).toBeNull();
    const { note, colour, prefix, suffix, ...remove } = general;
    void note;
    void colour;
    void prefix;
    void suffix;
    expect(bothAgree({ ...remove, action: 'delete', clock: 2 })).toBeNull();
    // The largest event the device can write fits.
    const largest = deviceAnnotation({
      note: '€'.repeat(ANNOTATION_LIMITS.noteChars),
      exact: '€'.repeat(ANNOTATION_LIMITS.quoteChars),
      prefix: '€'.repeat(ANNOTATION_LIMITS.contextChars),
      suffix: '€'.repeat(ANNOTATION_LIMITS.contextChars),
      attachment: 'a'.repeat(255),
      page: ANNOTATION_LIMITS.maxPage,
    });
    expect(bothAgree(largest)).toBeNull();
  });

  it.each<[string, Doc, string]>([
    [
      'a note one character over the limit',
      deviceAnnotation({ note: 'n'.repeat(ANNOTATION_LIMITS.noteChars + 1) }),
      `note must be text of 0 to ${ANNOTATION_LIMITS.noteChars} characters.`,
    ],
    [
      'a quote over the limit',
      deviceAnnotation({ exact: 'q'.repeat(ANNOTATION_LIMITS.quoteChars + 1) }),
      `exact must be text of 1 to ${ANNOTATION_LIMITS.quoteChars} characters.`,
    ],
    [
      'another author',
      deviceAnnotation({ author: 'sam.taylor' }),
      'The author must be the signed-in user.',
    ],
    [
      'an unknown action',
      deviceAnnotation({ action: 'merge' }),
      'action holds characters that are not allowed.',
    ],
    [
      'an unnamed colour',
      deviceAnnotation({ colour: '#ff0000' }),
      'colour holds characters that are not allowed.',
    ],
    [
      'a clock of zero',
      deviceAnnotation({ clock: 0 }),
      'clock must be a whole number from 1 to 1000000000.',
    ],
    [
      'an HTML body',
      deviceAnnotation({ html: '<img src=x onerror=alert(1)>' }),
      'Unknown field html in a annotation-event.',
    ],
    [
      'a nested selector object',
      deviceAnnotation({ exact: { type: 'TextQuoteSelector' } }),
      `exact must be text of 1 to ${ANNOTATION_LIMITS.quoteChars} characters.`,
    ],
    [
      'a read-receipt id',
      deviceAnnotation({ _id: `read-receipt:${randomUUID()}` }),
      'The id of a annotation-event must look like annotation-event:<lowercase UUID>.',
    ],
  ])('refuses %s, with the same message in the database and on the server', (_, doc, message) => {
    expect(bothAgree(doc)).toBe(message);
  });

  it('the device schema and the server shape agree on the same events', () => {
    for (const doc of [
      deviceAnnotation(),
      deviceAnnotation({ note: 'n'.repeat(ANNOTATION_LIMITS.noteChars + 1) }),
      deviceAnnotation({ colour: 'red' }),
      deviceAnnotation({ prefix: 'p'.repeat(ANNOTATION_LIMITS.contextChars + 1) }),
    ]) {
      const { _id, ...body } = doc;
      void _id;
      expect(annotationEventSchema.safeParse(body).success).toBe(returnProblem(doc, USER) === null);
    }
  });
});
