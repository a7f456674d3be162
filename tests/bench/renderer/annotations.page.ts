// The annotations benchmark's workload, run inside Chromium (the reader's engine) by
// tests/bench/annotations.bench.ts, which bundles this file with the renderer code it imports.
//
// Opening a briefing that carries `count` annotations, the way the reader does it after the
// device answers: the body parsed into the document, the annotations folded from their events
// (a create and an edit each), every quote re-anchored in the body's text (the version opened
// has a preface that moves every passage, and a tenth of the marked sentences edited, so the
// approximate search runs too), the marks painted, and the page laid out. The same opening with
// no annotations is the baseline.
import type { StoredAnnotationEvent } from '../../../src/shared/annotations/events.js';
import { foldAnnotations } from '../../../src/shared/annotations/fold.js';
import { quoteAt } from '../../../src/renderer/src/annotations/anchor.js';
import { paintMarks } from '../../../src/renderer/src/annotations/paint.js';
import { placeAnnotations } from '../../../src/renderer/src/annotations/placement.js';

const sentence = (i: number) =>
  `Item ${i}: the department recommends that the Minister note the revised forecast for program ${i} and agree to consult the states before the budget is settled. `;
const paragraphs = Array.from({ length: 120 }, (_, p) =>
  Array.from({ length: 4 }, (_, s) => sentence(p * 4 + s)).join(''),
);
const htmlOf = (list: readonly string[]) => list.map((text) => `<p>${text}</p>`).join('');
// The annotated version, and the version the reader opens: a preface moves everything, a few
// sentences were edited.
const v1Text = paragraphs.join('');
const v2Html = htmlOf([
  'A preface added in version two.',
  ...paragraphs.map((text, i) => (i % 10 === 0 ? text.replace('revised', 'updated') : text)),
]);

function events(count: number): StoredAnnotationEvent[] {
  const out: StoredAnnotationEvent[] = [];
  for (let i = 0; i < count; i++) {
    const phrase = `forecast for program ${(i * 2) % 480} and agree`;
    const start = v1Text.indexOf(phrase) - 25;
    const end = start + phrase.length + 25;
    const quote = quoteAt(v1Text, start, end, 64);
    const base = {
      type: 'annotation-event' as const,
      annotationId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      deviceId: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
      briefingId: 'briefing:BRF-1',
      sorId: 'BRF-1',
      sourceVersion: 1,
      ...quote,
      start,
      end,
      colour: 'yellow' as const,
      writtenAt: '2026-01-31T09:30:00.000Z',
      author: 'alex.morgan',
    };
    out.push({ ...base, eventId: `e-${i}-1`, action: 'create', clock: 1, note: '' });
    out.push({ ...base, eventId: `e-${i}-2`, action: 'edit', clock: 2, note: `Note ${i}` });
  }
  return out;
}

/** Milliseconds per round: opening with none, with the annotations, and of that the fold and anchoring. */
function run(count: number, rounds: number) {
  const anchoring: number[] = [];
  const open = (stored: readonly StoredAnnotationEvent[]): number => {
    const started = performance.now();
    const body = document.createElement('div');
    body.className = 'briefing-body';
    document.body.append(body);
    body.innerHTML = v2Html;
    const text = body.textContent;
    const anchorStarted = performance.now();
    const placements = placeAnnotations(text, [...foldAnnotations(stored).values()]);
    if (stored.length > 0) anchoring.push(performance.now() - anchorStarted);
    paintMarks(
      body,
      placements.flatMap((p) =>
        p.kind === 'anchored'
          ? [{ id: p.annotation.id, start: p.start, end: p.end, colour: 'yellow', title: '' }]
          : [],
      ),
    );
    // Laid out, as the reader shows it: style and layout of the marks count too.
    void body.getBoundingClientRect().height;
    const elapsed = performance.now() - started;
    body.remove();
    return elapsed;
  };
  const annotated = events(count);
  const check = (() => {
    const div = document.createElement('div');
    div.innerHTML = v2Html;
    return placeAnnotations(div.textContent, [...foldAnnotations(annotated).values()]);
  })();
  const none: number[] = [];
  const withAnnotations: number[] = [];
  // A few rounds first, so the engine's compilers have seen the code (as in a reader in use).
  for (let round = 0; round < 5; round++) open(annotated);
  anchoring.length = 0;
  for (let round = 0; round < rounds; round++) {
    none.push(open([]));
    withAnnotations.push(open(annotated));
  }
  return {
    anchored: check.filter((p) => p.kind === 'anchored').length,
    changed: check.filter((p) => p.kind === 'anchored' && p.changed).length,
    detached: check.filter((p) => p.kind === 'detached').length,
    bodyChars: v2Html.length,
    none,
    withAnnotations,
    anchoring,
  };
}

Object.assign(window, { annotationsBench: run });
