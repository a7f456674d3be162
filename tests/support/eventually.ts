// The one way tests wait for something that happens asynchronously: run the assertion until it
// passes, and fail with its last error once the timeout is over. A wait on the event itself, so
// a slow machine only makes the test slower, never red, and a bug cannot make it pass the way a
// fixed sleep before an assertion can. Plain TypeScript, so Vitest tests and Playwright's
// support code share it.

export type EventuallyOptions = {
  /** Longest wait in milliseconds (default 10 s). */
  readonly timeout?: number;
  /** Pause between two tries in milliseconds (default 50). */
  readonly interval?: number;
  /** What is awaited, for the failure message. */
  readonly what?: string;
};

/** Thrown from an assertion to stop waiting at once: what it waits for can no longer happen. */
export class GaveUp extends Error {
  override readonly name = 'GaveUp';
}

/**
 * Runs `assertion` until it returns without throwing, and returns what it returned. Once
 * `timeout` has passed, throws an error naming `what`, with the assertion's last error as its
 * cause and in its message. An assertion that throws `GaveUp` ends the wait with that error.
 */
export async function eventually<T>(
  assertion: () => T | Promise<T>,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeout = options.timeout ?? 10_000;
  const interval = options.interval ?? 50;
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (error instanceof GaveUp) throw error;
      if (Date.now() >= deadline) {
        const last = error instanceof Error ? error.message : String(error);
        const what = options.what ? ` for ${options.what}` : '';
        throw new Error(`Timed out after ${timeout} ms waiting${what}: ${last}`, { cause: error });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/**
 * For probes that answer "not yet" with undefined (or null or false) rather than by throwing:
 * waits until `probe` gives a value and returns it.
 */
export function eventuallyValue<T>(
  probe: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  options: EventuallyOptions = {},
): Promise<T> {
  return eventually(async () => {
    const value = await probe();
    if (value === undefined || value === null || value === false) {
      throw new Error(`not yet${options.what ? `: ${options.what}` : ''}`);
    }
    return value;
  }, options);
}
