import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  offlineAccess,
  offlinePolicy,
  sawTime,
  wentOnline,
} from '../../../src/main/auth/offline-policy.js';

const T0 = Date.parse('2025-03-01T09:00:00Z');
const policy = offlinePolicy(14);

describe('offline sign-in policy', () => {
  it('opens the briefings offline until the maximum period since the device was last online', () => {
    const history = { lastOnlineAt: T0, lastSeenAt: T0 };
    expect(offlineAccess(history, T0 + DAY_MS, policy)).toEqual({
      allowed: true,
      until: T0 + 14 * DAY_MS,
    });
    expect(offlineAccess(history, T0 + 14 * DAY_MS - 1, policy).allowed).toBe(true);
  });

  it('locks the reader once the period has passed, to the millisecond', () => {
    const history = { lastOnlineAt: T0, lastSeenAt: T0 + 13 * DAY_MS };
    expect(offlineAccess(history, T0 + 14 * DAY_MS, policy)).toEqual({
      allowed: false,
      reason: 'offline-too-long',
    });
    expect(offlineAccess(history, T0 + 40 * DAY_MS, policy).allowed).toBe(false);
  });

  it('locks the reader when the clock is turned back beyond the tolerance', () => {
    // Seen on day 13; the clock now claims day 2, which would stretch the period by 11 days.
    const history = { lastOnlineAt: T0, lastSeenAt: T0 + 13 * DAY_MS };
    expect(offlineAccess(history, T0 + 2 * DAY_MS, policy)).toEqual({
      allowed: false,
      reason: 'clock-moved-back',
    });
  });

  it('tolerates small clock corrections', () => {
    const history = { lastOnlineAt: T0, lastSeenAt: T0 + DAY_MS };
    expect(offlineAccess(history, T0 + DAY_MS - 5 * 60_000, policy).allowed).toBe(true);
  });

  it('honours the configured number of days', () => {
    const history = { lastOnlineAt: T0, lastSeenAt: T0 };
    expect(offlineAccess(history, T0 + 2 * DAY_MS, offlinePolicy(1)).allowed).toBe(false);
    expect(offlineAccess(history, T0 + 29 * DAY_MS, offlinePolicy(30)).allowed).toBe(true);
  });

  it('restarts the period when the device goes online, and never moves lastSeenAt back', () => {
    const history = wentOnline({ lastOnlineAt: T0, lastSeenAt: T0 + 5 * DAY_MS }, T0 + DAY_MS);
    expect(history).toEqual({ lastOnlineAt: T0 + DAY_MS, lastSeenAt: T0 + 5 * DAY_MS });
    expect(sawTime(history, T0)).toBe(history);
    expect(sawTime(history, T0 + 6 * DAY_MS).lastSeenAt).toBe(T0 + 6 * DAY_MS);
    expect(wentOnline(null, T0)).toEqual({ lastOnlineAt: T0, lastSeenAt: T0 });
  });
});
