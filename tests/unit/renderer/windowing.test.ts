import { describe, expect, it } from 'vitest';
import {
  anchorShift,
  pageTarget,
  prefixOffsets,
  rowAt,
  scrollToReveal,
  visibleRange,
} from '../../../src/renderer/src/briefings/windowing.js';

// A day heading (36px) followed by briefings (128px), twice.
const heights = [36, 128, 128, 36, 128];
const offsets = prefixOffsets(heights);

describe('list windowing', () => {
  it('places each row after the ones before it', () => {
    expect([...offsets]).toEqual([0, 36, 164, 292, 328, 456]);
  });

  it('finds the row under a vertical position, clamped to the list', () => {
    expect(rowAt(offsets, 0)).toBe(0);
    expect(rowAt(offsets, 35)).toBe(0);
    expect(rowAt(offsets, 36)).toBe(1);
    expect(rowAt(offsets, 300)).toBe(3);
    expect(rowAt(offsets, 10_000)).toBe(4);
    expect(rowAt(offsets, -5)).toBe(0);
  });

  it('renders only the rows in view plus the overscan', () => {
    expect(visibleRange(offsets, 40, 100, 0)).toEqual({ start: 1, end: 2 });
    expect(visibleRange(offsets, 40, 200, 0)).toEqual({ start: 1, end: 3 });
    expect(visibleRange(offsets, 40, 200, 1)).toEqual({ start: 0, end: 4 });
    expect(visibleRange(prefixOffsets([]), 0, 500, 3)).toEqual({ start: 0, end: 0 });
  });

  it('keeps the DOM small for 10,000 rows', () => {
    const big = prefixOffsets(Array.from({ length: 10_000 }, () => 128));
    const { start, end } = visibleRange(big, 500_000, 800, 6);
    expect(end - start).toBeLessThanOrEqual(20);
    expect(start).toBe(Math.floor(500_000 / 128) - 6);
  });

  it('scrolls just enough to reveal a row above or below the viewport, and not at all if visible', () => {
    expect(scrollToReveal(offsets, 1, 100, 200)).toBe(36);
    expect(scrollToReveal(offsets, 4, 0, 200)).toBe(456 - 200);
    expect(scrollToReveal(offsets, 1, 0, 200)).toBeNull();
    // Leaves room for the pinned day heading above the row.
    expect(scrollToReveal(offsets, 2, 200, 200, 36)).toBe(128);
  });

  it('keeps the content on screen still when rows above the viewport change height', () => {
    // Scrolled to 300: rows 0-2 start above it, row 3 (at 292) too, row 4 (at 328) below.
    expect(anchorShift(offsets, [{ index: 1, delta: -20 }], 300)).toBe(-20);
    expect(
      anchorShift(
        offsets,
        [
          { index: 2, delta: 10 },
          { index: 4, delta: 50 },
        ],
        300,
      ),
    ).toBe(10);
    // Rows at or below the top of the viewport move nothing that is already on screen.
    expect(anchorShift(offsets, [{ index: 4, delta: 50 }], 328)).toBe(0);
    expect(anchorShift(offsets, [{ index: 9, delta: 50 }], 300)).toBe(0);
  });

  it('pages by about a viewport, always at least one row, within the list', () => {
    // From row 1 (top 36), 200px down with 36px overlap: y = 200 lands in row 2.
    expect(pageTarget(offsets, 1, 236, 36, 1)).toBe(2);
    // A viewport smaller than a row still moves one row.
    expect(pageTarget(offsets, 1, 10, 36, 1)).toBe(2);
    expect(pageTarget(offsets, 1, 10, 36, -1)).toBe(0);
    expect(pageTarget(offsets, 3, 10_000, 0, 1)).toBe(4);
    expect(pageTarget(offsets, 4, 10_000, 0, -1)).toBe(0);
  });
});
