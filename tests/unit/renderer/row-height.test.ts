import { describe, expect, it } from 'vitest';
import { estimateBriefingRowRem } from '../../../src/renderer/src/briefings/row-height.js';

describe('briefing row height estimate', () => {
  it('reserves no room for a summary that is not there', () => {
    expect(estimateBriefingRowRem('Title', '')).toBeLessThan(estimateBriefingRowRem('Title', 'x'));
  });

  it('grows with one more line of title or summary, up to the two lines shown', () => {
    const short = estimateBriefingRowRem('Title', 'One line.');
    const longTitle = estimateBriefingRowRem('T'.repeat(60), 'One line.');
    const longSummary = estimateBriefingRowRem('Title', 'S'.repeat(80));
    expect(longTitle).toBeGreaterThan(short);
    expect(longSummary).toBeGreaterThan(short);
    expect(estimateBriefingRowRem('T'.repeat(500), 'S'.repeat(5000))).toBe(
      estimateBriefingRowRem('T'.repeat(60), 'S'.repeat(80)),
    );
  });
});
