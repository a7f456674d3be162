// List windowing: with 10,000 briefings only the rows in (and just around) the viewport are
// in the DOM. Each row has a height (estimated until the row is rendered and measured), so
// positions are a prefix sum and lookups a binary search; scrolling itself never measures.

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

/**
 * How far to scroll so that what is on screen stays put when rows change height: the sum of the
 * changes of rows that start above the viewport's top. Rows are measured only once rendered, so
 * without this, scrolling up into rows taller than their estimate would push the content down.
 */
export function anchorShift(
  offsets: Float64Array,
  changes: readonly { readonly index: number; readonly delta: number }[],
  scrollTop: number,
): number {
  let shift = 0;
  for (const { index, delta } of changes) {
    const top = offsets[index];
    if (top !== undefined && top < scrollTop) shift += delta;
  }
  return shift;
}

/**
 * The row a page key lands on: about one viewport (less `overlap`, so the last row seen stays
 * in view) from row `from`, and always at least one row further.
 */
export function pageTarget(
  offsets: Float64Array,
  from: number,
  viewportHeight: number,
  overlap: number,
  direction: 1 | -1,
): number {
  const rowCount = offsets.length - 1;
  if (rowCount <= 0) return 0;
  const distance = Math.max(viewportHeight - overlap, 1);
  const y = (offsets[from] ?? 0) + direction * distance;
  const row = rowAt(offsets, Math.max(0, y));
  const moved = direction === 1 ? Math.max(row, from + 1) : Math.min(row, from - 1);
  return Math.min(rowCount - 1, Math.max(0, moved));
}
