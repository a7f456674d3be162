// The tests' one wait (tests/support/eventually.ts).
import { describe, expect, it } from 'vitest';
import { GaveUp, eventually, eventuallyValue } from '../../support/eventually.js';

describe('eventually', () => {
  it('returns what the assertion returned once it passes', async () => {
    let tries = 0;
    const value = await eventually(
      () => {
        tries += 1;
        expect(tries).toBeGreaterThanOrEqual(3);
        return `after ${tries}`;
      },
      { interval: 1 },
    );
    expect(value).toBe('after 3');
  });

  it('fails after the timeout with the assertion’s last error and what was awaited', async () => {
    const failure = eventually(
      () => {
        throw new Error('still 2 in the queue');
      },
      { timeout: 30, interval: 5, what: 'the queue to drain' },
    );
    await expect(failure).rejects.toThrow(
      /^Timed out after 30 ms waiting for the queue to drain: still 2 in the queue$/,
    );
  });

  it('stops at once when the assertion gives up', async () => {
    let tries = 0;
    const failure = eventually(
      () => {
        tries += 1;
        throw new GaveUp('the process exited');
      },
      { timeout: 60_000, interval: 1 },
    );
    await expect(failure).rejects.toBeInstanceOf(GaveUp);
    expect(tries).toBe(1);
  });

  it('waits on asynchronous assertions', async () => {
    let ready = false;
    setTimeout(() => {
      ready = true;
    }, 10);
    await eventually(async () => {
      await Promise.resolve();
      expect(ready).toBe(true);
    });
  });
});

describe('eventuallyValue', () => {
  it('treats undefined, null and false as not yet', async () => {
    const answers: unknown[] = [undefined, null, false, 0];
    const value = await eventuallyValue(() => answers.shift() as number | undefined, {
      interval: 1,
    });
    expect(value).toBe(0);
  });
});
