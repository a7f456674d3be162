// The quick start's supervisor (scripts/start-all.mjs) restarts a server that ended unasked after
// a back-off (scripts/restart-backoff.mjs): 1 s, doubling while the crashes follow quickly, never
// more than 30 s, and 1 s again after a run of a minute. The restart itself after a SIGKILL is
// proven end to end in tests/integration/server/start-all.test.ts; this is its schedule.
import { describe, expect, it } from 'vitest';
import {
  RESTART_FIRST_MS,
  RESTART_MAX_MS,
  RUN_COUNTS_AS_STABLE_MS,
  restartDelay,
} from '../../../scripts/restart-backoff.mjs';

/** The waits before each restart, for runs that lasted `runsMs` in turn, as the supervisor keeps them. */
function schedule(runsMs: readonly number[]): number[] {
  let next = RESTART_FIRST_MS;
  return runsMs.map((ranForMs) => {
    const { delayMs, nextDelayMs } = restartDelay(next, ranForMs);
    next = nextDelayMs;
    return delayMs;
  });
}

const SECOND = 1_000;

describe('the supervisor’s restart back-off', () => {
  it('is 1 s, 30 s at most and a minute’s run to count as stable', () => {
    expect([RESTART_FIRST_MS, RESTART_MAX_MS, RUN_COUNTS_AS_STABLE_MS]).toEqual([
      1 * SECOND,
      30 * SECOND,
      60 * SECOND,
    ]);
  });

  it('doubles from 1 s while the server keeps crashing quickly, and stays at 30 s', () => {
    expect(schedule(Array.from({ length: 9 }, () => 200))).toEqual(
      [1, 2, 4, 8, 16, 30, 30, 30, 30].map((s) => s * SECOND),
    );
  });

  it('keeps doubling after runs just short of a minute', () => {
    expect(schedule([0, 59_999, 59_999, 30 * SECOND, 59_999])).toEqual(
      [1, 2, 4, 8, 16].map((s) => s * SECOND),
    );
  });

  it('starts over at 1 s once a run lasted a minute, then doubles again', () => {
    const crashes = Array.from({ length: 7 }, () => 500);
    expect(schedule([...crashes, RUN_COUNTS_AS_STABLE_MS, 500, 500, 500])).toEqual(
      [1, 2, 4, 8, 16, 30, 30, 1, 2, 4, 8].map((s) => s * SECOND),
    );
    expect(schedule([500, 500, 500, 10 * 60 * SECOND, 500])).toEqual(
      [1, 2, 4, 1, 2].map((s) => s * SECOND),
    );
  });

  it('waits 1 s after the first crash, however long the first run', () => {
    expect(schedule([0])).toEqual([SECOND]);
    expect(schedule([RUN_COUNTS_AS_STABLE_MS * 5])).toEqual([SECOND]);
  });
});
