import { describe, expect, it } from 'vitest';
import type { Annotation } from '../../../src/shared/annotations/fold.js';
import { placeAnnotations } from '../../../src/renderer/src/annotations/placement.js';

const TEXT = 'Alpha beta gamma. Delta epsilon zeta. Eta theta iota.';

function annotation(
  id: string,
  exact: string | null,
  attachment: string | null = null,
): Annotation {
  const start = exact === null ? 0 : TEXT.indexOf(exact);
  return {
    id,
    author: 'alex.morgan',
    target: {
      briefingId: 'briefing:B',
      sorId: 'B',
      sourceVersion: 1,
      attachment,
      page: attachment === null ? null : 1,
      quote: exact === null ? null : { exact, prefix: '', suffix: '' },
      position: exact === null ? null : { start, end: start + exact.length },
    },
    colour: exact === null ? null : 'yellow',
    note: '',
    deleted: false,
    clock: 1,
    createdAt: `2026-01-01T00:00:0${id}.000Z`,
    updatedAt: `2026-01-01T00:00:0${id}.000Z`,
    history: [],
    concurrentEdits: [],
  };
}

describe('placing a briefing’s annotations for the panel', () => {
  it('lists general notes, then marks in document order, then detached ones', () => {
    const placed = placeAnnotations(TEXT, [
      annotation('1', 'Eta theta'),
      annotation('2', 'no longer in the text at all'),
      annotation('3', null),
      annotation('4', 'beta gamma'),
      annotation('5', 'zeta', 'annex.pdf'),
    ]);
    expect(placed.map((p) => `${p.kind}:${p.annotation.id}`)).toEqual([
      'general:3',
      'anchored:4',
      'anchored:1',
      'detached:2',
    ]);
  });
});
