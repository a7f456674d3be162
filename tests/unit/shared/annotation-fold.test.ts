import { describe, expect, it } from 'vitest';
import type { StoredAnnotationEvent } from '../../../src/shared/annotations/events.js';
import {
  ANNOTATION_LIMITS,
  annotationEventSchema,
} from '../../../src/shared/annotations/events.js';
import { foldAnnotations, nextClock } from '../../../src/shared/annotations/fold.js';
import { toWebAnnotation } from '../../../src/shared/annotations/web-annotation.js';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const LAPTOP = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const TABLET = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

let serial = 0;
function event(overrides: Partial<StoredAnnotationEvent> = {}): StoredAnnotationEvent {
  serial += 1;
  return {
    eventId: `annotation-event:00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`,
    type: 'annotation-event',
    annotationId: A,
    action: 'create',
    clock: 1,
    deviceId: LAPTOP,
    briefingId: 'briefing:BRF-1',
    sorId: 'BRF-1',
    sourceVersion: 1,
    exact: 'fiscal outlook',
    prefix: 'the ',
    suffix: ' for',
    start: 10,
    end: 24,
    colour: 'yellow',
    note: '',
    writtenAt: '2026-01-31T09:30:00.000Z',
    author: 'alex.morgan',
    ...overrides,
  };
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('the annotation fold', () => {
  const create = event();
  const edit = event({ action: 'edit', clock: 2, note: 'Ask Treasury', colour: 'green' });
  const remove = event({ action: 'delete', clock: 3 });
  const other = event({ annotationId: B, exact: 'budget', note: 'second' });

  it('the latest event by clock decides the state', () => {
    const state = foldAnnotations([create, edit, other]).get(A);
    expect(state).toMatchObject({
      note: 'Ask Treasury',
      colour: 'green',
      deleted: false,
      clock: 2,
    });
    expect(state?.history.map((entry) => entry.action)).toEqual(['create', 'edit']);
  });

  it('every order of the same events folds to the same state', () => {
    const expected = foldAnnotations([create, edit, remove, other]);
    for (const order of permutations([create, edit, remove, other])) {
      expect(foldAnnotations(order)).toEqual(expected);
    }
    expect(expected.get(A)?.deleted).toBe(true);
    // A deleted annotation keeps its last state, so undo can restore it.
    expect(expected.get(A)?.note).toBe('Ask Treasury');
  });

  it('duplicated and replayed events change nothing', () => {
    const once = foldAnnotations([create, edit, other]);
    expect(foldAnnotations([create, edit, edit, other, create, edit, other])).toEqual(once);
  });

  it('an edit after a delete restores the annotation (undo of a delete)', () => {
    const restore = event({ action: 'edit', clock: 4, note: 'Ask Treasury' });
    expect(foldAnnotations([create, edit, remove, restore]).get(A)?.deleted).toBe(false);
  });

  it('two devices editing the same note offline converge, and the losing text stays visible', () => {
    const onLaptop = event({ action: 'edit', clock: 2, deviceId: LAPTOP, note: 'laptop text' });
    const onTablet = event({ action: 'edit', clock: 2, deviceId: TABLET, note: 'tablet text' });
    const laptopView = foldAnnotations([create, onLaptop, onTablet]).get(A);
    const tabletView = foldAnnotations([onTablet, create, onLaptop]).get(A);
    expect(laptopView).toEqual(tabletView);
    // The device id breaks the tie the same way everywhere: TABLET sorts after LAPTOP.
    expect(laptopView?.note).toBe('tablet text');
    expect(laptopView?.concurrentEdits.map((entry) => entry.note)).toEqual(['laptop text']);
    expect(laptopView?.history.map((entry) => entry.note)).toContain('laptop text');
  });

  it('an edit that saw the conflict resolves it: older losers stay in the history only', () => {
    const onLaptop = event({ action: 'edit', clock: 2, deviceId: LAPTOP, note: 'laptop text' });
    const onTablet = event({ action: 'edit', clock: 2, deviceId: TABLET, note: 'tablet text' });
    const merged = event({ action: 'edit', clock: 3, deviceId: LAPTOP, note: 'both texts' });
    const state = foldAnnotations([create, onLaptop, onTablet, merged]).get(A);
    expect(state?.note).toBe('both texts');
    expect(state?.concurrentEdits.map((entry) => entry.note)).toEqual(['laptop text']);
  });

  it('at an equal clock an edit beats a delete, so no text is lost to a concurrent delete', () => {
    const deleteOnTablet = event({ action: 'delete', clock: 2, deviceId: TABLET });
    const editOnLaptop = event({ action: 'edit', clock: 2, deviceId: LAPTOP, note: 'keep me' });
    const state = foldAnnotations([create, deleteOnTablet, editOnLaptop]).get(A);
    expect(state).toMatchObject({ deleted: false, note: 'keep me' });
  });

  it('the next clock is one past every clock seen', () => {
    expect(nextClock(undefined)).toBe(1);
    expect(nextClock(foldAnnotations([create, edit, remove]).get(A))).toBe(4);
  });

  it('a folded highlight with a note is a W3C Web Annotation with quote and position selectors', () => {
    const state = foldAnnotations([create, edit]).get(A);
    if (!state) throw new Error('missing');
    expect(toWebAnnotation(state)).toMatchObject({
      type: 'Annotation',
      motivation: 'commenting',
      body: { type: 'TextualBody', value: 'Ask Treasury', format: 'text/plain' },
      target: {
        source: 'BRF-1',
        sourceVersion: 1,
        selector: [
          { type: 'TextQuoteSelector', exact: 'fiscal outlook', prefix: 'the ', suffix: ' for' },
          { type: 'TextPositionSelector', start: 10, end: 24 },
        ],
      },
    });
  });
});

describe('annotation event limits', () => {
  const valid = (() => {
    const { eventId, ...body } = event();
    void eventId;
    return body;
  })();

  it('accepts a note at the limit and refuses one character more', () => {
    const atLimit = { ...valid, note: 'n'.repeat(ANNOTATION_LIMITS.noteChars) };
    expect(annotationEventSchema.safeParse(atLimit).success).toBe(true);
    const over = { ...valid, note: 'n'.repeat(ANNOTATION_LIMITS.noteChars + 1) };
    expect(annotationEventSchema.safeParse(over).success).toBe(false);
  });

  it('refuses a quote longer than the limit', () => {
    const over = { ...valid, exact: 'q'.repeat(ANNOTATION_LIMITS.quoteChars + 1) };
    expect(annotationEventSchema.safeParse(over).success).toBe(false);
  });

  it('refuses unknown colours, fields and clocks below one', () => {
    expect(annotationEventSchema.safeParse({ ...valid, colour: 'red' }).success).toBe(false);
    expect(annotationEventSchema.safeParse({ ...valid, html: '<b>' }).success).toBe(false);
    expect(annotationEventSchema.safeParse({ ...valid, clock: 0 }).success).toBe(false);
  });

  it('the largest event (note and quote at their limits, 3-byte characters) fits the byte limit', () => {
    const largest = {
      ...valid,
      note: '€'.repeat(ANNOTATION_LIMITS.noteChars),
      exact: '€'.repeat(ANNOTATION_LIMITS.quoteChars),
      prefix: '€'.repeat(ANNOTATION_LIMITS.contextChars),
      suffix: '€'.repeat(ANNOTATION_LIMITS.contextChars),
      attachment: 'a'.repeat(255),
    };
    expect(annotationEventSchema.safeParse(largest).success).toBe(true);
    const bytes = Buffer.byteLength(JSON.stringify({ _id: `annotation-event:${A}`, ...largest }));
    expect(bytes).toBeLessThanOrEqual(ANNOTATION_LIMITS.maxBytes);
  });
});
