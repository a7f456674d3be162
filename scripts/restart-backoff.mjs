// How long the quick start's supervisor (start-all.mjs) waits before it starts the server again
// after the server ended unasked: 1 s after the first crash, doubling after each crash that
// follows quickly (2, 4, 8, 16 s) up to 30 s, and back to 1 s once a run has lasted a minute (a
// crash after a good run is news, not the same fault repeating). Pure, so its schedule is tested
// (tests/unit/scripts/restart-backoff.test.ts).

export const RESTART_FIRST_MS = 1_000;
export const RESTART_MAX_MS = 30_000;
export const RUN_COUNTS_AS_STABLE_MS = 60_000;

/**
 * The wait before this restart, and the one to use after the next exit.
 * @param {number} nextDelayMs what the previous call returned as `nextDelayMs` (RESTART_FIRST_MS at first)
 * @param {number} ranForMs how long the run that just ended lasted
 * @returns {{ delayMs: number, nextDelayMs: number }}
 */
export function restartDelay(nextDelayMs, ranForMs) {
  const delayMs = ranForMs >= RUN_COUNTS_AS_STABLE_MS ? RESTART_FIRST_MS : nextDelayMs;
  return { delayMs, nextDelayMs: Math.min(delayMs * 2, RESTART_MAX_MS) };
}
