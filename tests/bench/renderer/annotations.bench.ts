// Annotations benchmark (not part of the test suite): `npm run bench:annotations`. It runs
// the renderer's code, so it is type-checked with the renderer (tsconfig.web.json).
//
// Opening a briefing that carries BENCH_ANNOTATIONS annotations (200), the way the reader does
// it after the device answers: the body parsed into the DOM, the annotations folded from their
// events (a create and an edit each), every quote re-anchored in the body's text (a third of
// them in a new version where their passage moved, a tenth edited nearby, so the approximate
// search runs too), and the marks painted. The same opening with no annotations is the
// baseline. The DOM is jsdom's, standing in for Chromium's (which the e2e spec drives); each
// variant runs BENCH_ROUNDS times (100) and the p50 and p95 are printed, with the ratio.
import { JSDOM } from 'jsdom';
import type { StoredAnnotationEvent } from '../../../src/shared/annotations/events.js';
import { foldAnnotations } from '../../../src/shared/annotations/fold.js';
import { quoteAt } from '../../../src/renderer/src/annotations/anchor.js';
import { paintMarks } from '../../../src/renderer/src/annotations/paint.js';
import { placeAnnotations } from '../../../src/renderer/src/annotations/placement.js';

const ANNOTATIONS = Number(process.env['BENCH_ANNOTATIONS'] ?? 200);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 100);

const dom = new JSDOM('<!doctype html><body></body>');
Object.assign(globalThis, { document: dom.window.document, NodeFilter: dom.window.NodeFilter });

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

/** Fold and anchoring alone (what does not depend on the DOM), per round. */
const anchoring: number[] = [];

function open(html: string, stored: readonly StoredAnnotationEvent[]): number {
  const started = performance.now();
  const body = document.createElement('div');
  body.innerHTML = html;
  const text = body.textContent ?? '';
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
  return performance.now() - started;
}

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

const annotated = events(ANNOTATIONS);
const check = placeAnnotations(
  (() => {
    const div = document.createElement('div');
    div.innerHTML = v2Html;
    return div.textContent ?? '';
  })(),
  [...foldAnnotations(annotated).values()],
);
const none: number[] = [];
const withAnnotations: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  none.push(open(v2Html, []));
  withAnnotations.push(open(v2Html, annotated));
}
const p95 = percentile(withAnnotations, 95);
const p95None = percentile(none, 95);
console.log(
  `annotations: ${ANNOTATIONS} (${check.filter((p) => p.kind === 'anchored').length} anchored, ` +
    `${check.filter((p) => p.kind === 'anchored' && p.changed).length} of them on edited text, ` +
    `${check.filter((p) => p.kind === 'detached').length} detached), body ${v2Html.length} characters, ${ROUNDS} rounds`,
);
console.log(
  `open with none:        p50 ${percentile(none, 50).toFixed(2)} ms, p95 ${p95None.toFixed(2)} ms`,
);
console.log(
  `open with annotations: p50 ${percentile(withAnnotations, 50).toFixed(2)} ms, p95 ${p95.toFixed(2)} ms`,
);
console.log(
  `of which fold and anchoring: p50 ${percentile(anchoring, 50).toFixed(2)} ms, p95 ${percentile(anchoring, 95).toFixed(2)} ms`,
);
console.log(
  `ratio (p95): ${(p95 / p95None).toFixed(1)}x; target p95 < 50 ms: ${p95 < 50 ? 'met' : 'NOT met'}`,
);
