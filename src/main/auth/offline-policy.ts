// Offline sign-in: a person who signed in on this device may open their briefings without a
// network, for at most the configured period since the device last reached the identity
// provider (or the broker with a valid token). Pure, so every edge is unit-tested.
//
// The device clock is the only clock offline, and it can be turned back to stretch the period.
// So the device also remembers the latest time it has ever seen (`lastSeenAt`): a clock that
// reads earlier than that, beyond a small tolerance, locks the reader until it reconnects.

export const DAY_MS = 24 * 60 * 60 * 1000;

export type OfflinePolicy = {
  readonly maxOfflineMs: number;
  /** How far the clock may go back (NTP corrections, a laptop's RTC drift) before it counts. */
  readonly clockToleranceMs: number;
};

export function offlinePolicy(maxOfflineDays: number): OfflinePolicy {
  return { maxOfflineMs: maxOfflineDays * DAY_MS, clockToleranceMs: 10 * 60 * 1000 };
}

export type OnlineHistory = {
  /** Epoch ms of the last contact that proved the sign-in still holds. */
  readonly lastOnlineAt: number;
  /** Epoch ms: the latest device time ever recorded. */
  readonly lastSeenAt: number;
};

export type LockReason = 'offline-too-long' | 'clock-moved-back';

export type OfflineVerdict =
  | { readonly allowed: true; readonly until: number }
  | { readonly allowed: false; readonly reason: LockReason };

export function offlineAccess(
  history: OnlineHistory,
  now: number,
  policy: OfflinePolicy,
): OfflineVerdict {
  const latestKnown = Math.max(history.lastSeenAt, history.lastOnlineAt);
  if (now < latestKnown - policy.clockToleranceMs) {
    return { allowed: false, reason: 'clock-moved-back' };
  }
  const until = history.lastOnlineAt + policy.maxOfflineMs;
  if (now >= until) return { allowed: false, reason: 'offline-too-long' };
  return { allowed: true, until };
}

/** The history after the device reached the provider (or the broker) at `now`. */
export function wentOnline(history: OnlineHistory | null, now: number): OnlineHistory {
  return { lastOnlineAt: now, lastSeenAt: Math.max(now, history?.lastSeenAt ?? 0) };
}

/** The history after the device merely observed the time `now` (offline). */
export function sawTime(history: OnlineHistory, now: number): OnlineHistory {
  return now > history.lastSeenAt ? { ...history, lastSeenAt: now } : history;
}
