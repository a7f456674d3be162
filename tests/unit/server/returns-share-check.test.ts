import { describe, expect, it } from 'vitest';
import { judgeShare } from '../../../server/src/returns/share-check.js';
import type { SorShareInterval } from '../../../server/src/sor/types.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2026-03-01T08:00:00.000Z');
const at = (ms: number) => new Date(ms).toISOString();
const SKEW = 5 * MIN;

function judge(intervals: SorShareInterval[] | null, claimedAt: unknown, seenAt: number) {
  return judgeShare({
    history: intervals && { sorId: 'BRF-1', userId: 'ann', intervals },
    sorId: 'BRF-1',
    userId: 'ann',
    claimedAt,
    seenAt,
    skewMs: SKEW,
  });
}

const sharedSince = (from: number): SorShareInterval[] => [{ from: at(from), until: null }];
const sharedBetween = (from: number, until: number): SorShareInterval[] => [
  { from: at(from), until: at(until) },
];

describe('whether a briefing was shared with the author when the return was written', () => {
  it('refuses a return for a briefing the SOR does not have', () => {
    expect(judge(null, at(T0), T0)).toMatchObject({ ok: false, reason: 'no_briefing' });
  });

  it('refuses a return for a briefing never shared with the author', () => {
    expect(judge([], at(T0), T0)).toMatchObject({
      ok: false,
      reason: 'not_shared',
      detail: expect.stringContaining('never shared') as unknown,
    });
  });

  it('takes the return’s own time when it falls within a share', () => {
    expect(judge(sharedSince(T0), at(T0 + HOUR), T0 + HOUR + 2_000)).toEqual({
      ok: true,
      basis: 'return-time',
    });
  });

  it('delivers a receipt written offline before an unshare and sent hours after it', () => {
    const unshared = T0 + 3 * HOUR;
    expect(judge(sharedBetween(T0, unshared), at(unshared - MIN), unshared + 10 * HOUR)).toEqual({
      ok: true,
      basis: 'return-time',
    });
  });

  it('refuses a receipt written after the unshare (beyond the allowed skew)', () => {
    const unshared = T0 + 3 * HOUR;
    expect(
      judge(sharedBetween(T0, unshared), at(unshared + HOUR), unshared + 2 * HOUR),
    ).toMatchObject({ ok: false, reason: 'not_shared' });
  });

  it('allows a device clock a few minutes off at either end of a share', () => {
    const unshared = T0 + 3 * HOUR;
    const share = sharedBetween(T0, unshared);
    expect(judge(share, at(unshared + 4 * MIN), unshared + HOUR)).toMatchObject({ ok: true });
    expect(judge(share, at(T0 - 4 * MIN), T0 + HOUR)).toMatchObject({ ok: true });
    expect(judge(share, at(T0 - 6 * MIN), unshared + HOUR)).toMatchObject({ ok: false });
  });

  it('falls back to when the server saw it while the briefing is shared, whatever the device claims', () => {
    const seen = T0 + 5 * HOUR;
    // A clock far behind: before the share began.
    expect(judge(sharedSince(T0), at(T0 - 30 * HOUR), seen)).toEqual({
      ok: true,
      basis: 'seen-time',
    });
    // No usable time at all.
    expect(judge(sharedSince(T0), 'yesterday', seen)).toEqual({ ok: true, basis: 'seen-time' });
    expect(judge(sharedSince(T0), undefined, seen)).toEqual({ ok: true, basis: 'seen-time' });
  });

  it('gives the server’s own time no allowance: a bogus time seen just after an unshare is refused', () => {
    const unshared = T0 + 3 * HOUR;
    expect(
      judge(sharedBetween(T0, unshared), at(unshared + 10 * HOUR), unshared + MIN),
    ).toMatchObject({ ok: false, reason: 'not_shared' });
  });

  it('does not let a device date a return after it reached the server', () => {
    // The claimed time lies in an earlier share, but after the moment the server saw the
    // return: it cannot be true, so the time the server saw it decides (not shared then).
    const intervals: SorShareInterval[] = [
      { from: at(T0), until: at(T0 + HOUR) },
      { from: at(T0 + 10 * HOUR), until: null },
    ];
    expect(judge(intervals, at(T0 + 11 * HOUR), T0 + 2 * HOUR)).toMatchObject({
      ok: false,
      reason: 'not_shared',
    });
    expect(judge(intervals, at(T0 + 30 * MIN), T0 + 2 * HOUR)).toEqual({
      ok: true,
      basis: 'return-time',
    });
  });

  it('refuses a return claimed in a gap between shares and seen in the gap', () => {
    const intervals: SorShareInterval[] = [
      { from: at(T0), until: at(T0 + HOUR) },
      { from: at(T0 + 10 * HOUR), until: null },
    ];
    expect(judge(intervals, at(T0 + 5 * HOUR), T0 + 6 * HOUR)).toMatchObject({
      ok: false,
      reason: 'not_shared',
    });
    // Shared again by the time it arrives: accepted on the server's time.
    expect(judge(intervals, at(T0 + 5 * HOUR), T0 + 11 * HOUR)).toEqual({
      ok: true,
      basis: 'seen-time',
    });
  });
});
