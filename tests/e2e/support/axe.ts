// axe-core over the reader as it is on screen: WCAG 2.0 to 2.2, A and AA. The watermark is faint
// on purpose: decoration, hidden from assistive technology, and "incidental" text that
// WCAG 1.4.3 exempts from contrast. Each violation is listed with the elements it names and why,
// so a failure says what to fix.
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect } from './fixtures.js';

export async function expectAccessible(
  page: Page,
  what: string,
  options: { readonly within?: string } = {},
): Promise<void> {
  let builder = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa']);
  if (options.within !== undefined) builder = builder.include(options.within);
  const results = await builder.exclude('.watermark').analyze();
  expect(
    results.violations.map(
      (v) =>
        `${v.id}: ${v.help} ${v.nodes.map((n) => `[${n.target.join(' ')}: ${n.failureSummary ?? ''}]`).join(' ')}`,
    ),
    what,
  ).toEqual([]);
}
