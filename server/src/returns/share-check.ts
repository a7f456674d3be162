// Was the briefing shared with the return's author when the return was written? A pure
// decision over the SOR's share history, so every case is unit-tested.
//
// "When it was written" cannot simply be the device's word: its clock may be wrong, or set on
// purpose. So:
// 1. The return's own time (a read receipt's `readAt`) counts when it lies within one of the
//    share intervals, widened by the allowed skew on both ends, and is not later than the skew
//    after the server first saw the return (a device cannot have written it in the future). A
//    receipt written offline before an unshare, and sent after it, passes here.
// 2. Otherwise the time the server first saw it counts (no allowance: it is the server's
//    clock): the return passes if the briefing was shared with the author then (a device whose
//    clock is far off, still entitled now).
// 3. Otherwise it is refused: the SOR does not have the briefing, never shared it with the
//    author, or had unshared it at both times.
// A device can therefore claim an earlier time, but only one at which its person could read the
// briefing: it can never place a return on a briefing it was never given.
import type { SorShareHistory } from '../sor/types.js';

export type ShareVerdict =
  | {
      readonly ok: true;
      /** Which time was judged: the return's own, or when the server saw it. */
      readonly basis: 'return-time' | 'seen-time';
    }
  | {
      readonly ok: false;
      readonly reason: 'no_briefing' | 'not_shared';
      /** For the audit trail. */
      readonly detail: string;
    };

export type ShareCheckInput = {
  /** The SOR's answer: null when it has no such document. */
  readonly history: SorShareHistory | null;
  readonly sorId: string;
  readonly userId: string;
  /** The return's own time (device clock), as written; anything unparsable counts as absent. */
  readonly claimedAt: unknown;
  /** When the server first saw the return, in milliseconds since the epoch. */
  readonly seenAt: number;
  readonly skewMs: number;
};

function covers(history: SorShareHistory, at: number, skewMs: number): boolean {
  return history.intervals.some((interval) => {
    const from = Date.parse(interval.from);
    const until = interval.until === null ? Infinity : Date.parse(interval.until);
    return from - skewMs <= at && at <= until + skewMs;
  });
}

export function judgeShare(input: ShareCheckInput): ShareVerdict {
  const { history, skewMs, seenAt } = input;
  const briefing = JSON.stringify(input.sorId);
  if (!history) {
    return { ok: false, reason: 'no_briefing', detail: `the SOR has no briefing ${briefing}` };
  }
  if (history.intervals.length === 0) {
    return {
      ok: false,
      reason: 'not_shared',
      detail: `briefing ${briefing} was never shared with the author`,
    };
  }
  const claimed = typeof input.claimedAt === 'string' ? Date.parse(input.claimedAt) : NaN;
  if (Number.isFinite(claimed) && claimed <= seenAt + skewMs && covers(history, claimed, skewMs)) {
    return { ok: true, basis: 'return-time' };
  }
  // The server's own time needs no allowance for a device's clock.
  if (covers(history, seenAt, 0)) return { ok: true, basis: 'seen-time' };
  const claimedText = Number.isFinite(claimed) ? new Date(claimed).toISOString() : 'none';
  return {
    ok: false,
    reason: 'not_shared',
    detail: `briefing ${briefing} was not shared with the author when the return was written (its own time ${claimedText}, seen ${new Date(seenAt).toISOString()})`,
  };
}
