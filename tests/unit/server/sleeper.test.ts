// The wait between rounds of the server's background loops: stop() and new work cut it short.
import { describe, expect, it } from 'vitest';
import { createSleeper } from '../../../server/src/timing/sleeper.js';

/** Whether `promise` settles before a short tick of real time (it is a 60 s sleep if not cut). */
async function settlesSoon(promise: Promise<void>): Promise<boolean> {
  let tick: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => {
      tick = setTimeout(() => resolve(false), 50);
    }),
  ]);
  clearTimeout(tick);
  return outcome;
}

describe('sleeper', () => {
  it('ends a sleep in progress when woken', async () => {
    const sleeper = createSleeper();
    const sleeping = sleeper.sleep(60_000);
    sleeper.wake();
    expect(await settlesSoon(sleeping)).toBe(true);
  });

  it('ends every sleep in progress, not only the last one', async () => {
    const sleeper = createSleeper();
    const first = sleeper.sleep(60_000);
    const second = sleeper.sleep(60_000);
    sleeper.wake();
    expect(await settlesSoon(Promise.all([first, second]).then(() => undefined))).toBe(true);
  });

  it('sleeps in full after a wake-up that came while nothing slept, without a latch', async () => {
    const sleeper = createSleeper();
    sleeper.wake();
    const sleeping = sleeper.sleep(60_000);
    expect(await settlesSoon(sleeping)).toBe(false);
    sleeper.wake();
    await sleeping;
  });

  it('with a latch, skips the next sleep after a wake-up that came while nothing slept', async () => {
    const sleeper = createSleeper({ latch: true });
    sleeper.wake();
    expect(await settlesSoon(sleeper.sleep(60_000))).toBe(true);
    // The latch is spent: the sleep after that one waits again.
    const next = sleeper.sleep(60_000);
    expect(await settlesSoon(next)).toBe(false);
    sleeper.wake();
    await next;
  });

  it('sleeps for the time asked when nobody wakes it', async () => {
    const sleeper = createSleeper();
    const started = performance.now();
    await sleeper.sleep(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });
});
