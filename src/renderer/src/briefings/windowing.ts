// List windowing: with 10,000 briefings only the rows in (and just around) the viewport are
// in the DOM. Rows have fixed heights per kind, so positions are a prefix sum and lookups a
// binary search; no measuring, no layout thrash while scrolling.

/** offsets[i] is the top of row i; offsets[n] is the total height. */
export function prefixOffsets(heights: readonly number[]): Float64Array {
  const offsets = new Float64Array(heights.length + 1);
  for (let i = 0; i < heights.length; i++) offsets[i + 1] = (offsets[i] ?? 0) + (heights[i] ?? 0);
  return offsets;
}

/** The row that contains vertical position `y` (clamped to the first and last rows). */
export function rowAt(offsets: Float64Array, y: number): number {
  const rowCount = offsets.length - 1;
  if (rowCount <= 0) return 0;
  let low = 0;
  let high = rowCount - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((offsets[mid] ?? 0) <= y) low = mid;
    else high = mid - 1;
  }
  return low;
}

export type RowRange = { readonly start: number; readonly end: number };

/** Rows to render: those intersecting the viewport plus `overscan` either side; `end` exclusive. */
export function visibleRange(
  offsets: Float64Array,
  scrollTop: number,
  viewportHeight: number,
  overscan: number,
): RowRange {
  const rowCount = offsets.length - 1;
  if (rowCount <= 0) return { start: 0, end: 0 };
  const first = rowAt(offsets, scrollTop);
  const last = rowAt(offsets, scrollTop + Math.max(viewportHeight, 1) - 1);
  return { start: Math.max(0, first - overscan), end: Math.min(rowCount, last + 1 + overscan) };
}

/** The scrollTop that brings row `index` fully into view, or null if it already is. */
export function scrollToReveal(
  offsets: Float64Array,
  index: number,
  scrollTop: number,
  viewportHeight: number,
  topInset = 0,
): number | null {
  const top = offsets[index];
  const bottom = offsets[index + 1];
  if (top === undefined || bottom === undefined) return null;
  if (top - topInset < scrollTop) return Math.max(0, top - topInset);
  if (bottom > scrollTop + viewportHeight) return bottom - viewportHeight;
  return null;
}
