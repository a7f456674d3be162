// Annotations benchmark (not part of the test suite): `npm run bench:annotations`. Opening a
// briefing that carries BENCH_ANNOTATIONS annotations (200), anchoring and painting included,
// measured in Chromium, the reader's engine (ATTACHE_CHROMIUM, else /usr/bin/chromium): the
// workload (tests/bench/renderer/annotations.page.ts, type-checked with the renderer) is
// bundled with the renderer code it runs and timed inside the page. Each variant runs
// BENCH_ROUNDS times (100); the p50 and p95 are printed, with the ratio to opening with none.
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from '@playwright/test';

/** What the page's `annotationsBench` answers (a renderer file: its type cannot be imported here). */
type BenchResult = {
  readonly anchored: number;
  readonly changed: number;
  readonly detached: number;
  readonly bodyChars: number;
  readonly none: readonly number[];
  readonly withAnnotations: readonly number[];
  readonly anchoring: readonly number[];
};

const ANNOTATIONS = Number(process.env['BENCH_ANNOTATIONS'] ?? 200);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 100);
const TARGET_P95_MS = 50;

const bundled = await build({
  entryPoints: [fileURLToPath(new URL('./renderer/annotations.page.ts', import.meta.url))],
  bundle: true,
  write: false,
  format: 'iife',
  target: 'chrome120',
});
const script = bundled.outputFiles[0]?.text;
if (!script) throw new Error('the benchmark page did not bundle');

const browser = await chromium.launch({
  executablePath: process.env['ATTACHE_CHROMIUM'] ?? '/usr/bin/chromium',
});
let result: BenchResult;
try {
  const page = await browser.newPage();
  await page.setContent('<!doctype html><html><body></body></html>');
  await page.addScriptTag({ content: script });
  result = await page.evaluate(
    ([count, rounds]) =>
      (
        window as unknown as { annotationsBench: (c: number, r: number) => BenchResult }
      ).annotationsBench(count, rounds),
    [ANNOTATIONS, ROUNDS] as const,
  );
} finally {
  await browser.close();
}

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};
const p95 = percentile(result.withAnnotations, 95);
const p95None = percentile(result.none, 95);
console.log(
  `annotations: ${ANNOTATIONS} (${result.anchored} anchored, ${result.changed} of them on edited text, ` +
    `${result.detached} detached), body ${result.bodyChars} characters, ${ROUNDS} rounds, Chromium`,
);
// The figures are wall-clock time in the page: on a busy machine they measure the machine too.
console.log(`load average over the last minute: ${(loadavg()[0] ?? 0).toFixed(1)}`);
console.log(
  `open with none:        p50 ${percentile(result.none, 50).toFixed(2)} ms, p95 ${p95None.toFixed(2)} ms`,
);
console.log(
  `open with annotations: p50 ${percentile(result.withAnnotations, 50).toFixed(2)} ms, p95 ${p95.toFixed(2)} ms`,
);
console.log(
  `of which fold and anchoring: p50 ${percentile(result.anchoring, 50).toFixed(2)} ms, p95 ${percentile(result.anchoring, 95).toFixed(2)} ms`,
);
console.log(
  `ratio (p95): ${(p95 / p95None).toFixed(1)}x; target p95 < ${TARGET_P95_MS} ms: ${p95 < TARGET_P95_MS ? 'met' : 'NOT met'}`,
);
