// The part of the list the reader holds: the newest briefings, a page at a time, kept as an
// exact prefix of the device's list (same order, nothing missing in between), so the next page
// is simply the one at `offset = loaded.length`. Pure, so the hook only sequences requests.
import type { BriefingSummary } from '../../../shared/ipc.js';
import { parseTime } from '../ui/time.js';

/** The loaded prefix with the next page after it (a briefing already held is not doubled). */
export function appendPage(
  loaded: readonly BriefingSummary[],
  page: readonly BriefingSummary[],
): BriefingSummary[] {
  const held = new Set(loaded.map((briefing) => briefing.id));
  return [...loaded, ...page.filter((briefing) => !held.has(briefing.id))];
}

/**
 * The loaded prefix after a change named `asked`, of which the device still holds `found`:
 * the others are gone, the found ones replace their earlier versions, and a new one is taken in
 * only where it falls inside the prefix (after its last briefing it belongs to a page not
 * loaded yet, which brings it when the reader scrolls there). `complete`: the prefix was the
 * whole list, so everything found belongs in it.
 */
export function mergeChanged(
  loaded: readonly BriefingSummary[],
  complete: boolean,
  asked: readonly string[],
  found: readonly BriefingSummary[],
): BriefingSummary[] {
  const askedIds = new Set(asked);
  const kept = loaded.filter((briefing) => !askedIds.has(briefing.id));
  const boundary = loaded.at(-1);
  if (complete) return [...kept, ...found].sort(compareNewestFirst);
  if (!boundary) return [];
  // Everything of the device's list up to the (earlier) last briefing, and nothing after it.
  const within = found.filter((briefing) => compareNewestFirst(briefing, boundary) <= 0);
  return [...kept, ...within].sort(compareNewestFirst);
}

/** The device's order (summary-index.ts): newest approval first, undated last, ties by id. */
export function compareNewestFirst(a: BriefingSummary, b: BriefingSummary): number {
  const ta = parseTime(a.approvedAt);
  const tb = parseTime(b.approvedAt);
  if (ta !== tb) {
    if (ta === null) return 1;
    if (tb === null) return -1;
    return tb - ta;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
