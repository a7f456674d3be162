// The wait between two rounds of a background loop (poller, fan-out, returns integrator,
// compactions), which stop() and a wake-up must be able to cut short: a loop that slept out its
// full interval would hold a shutdown for up to an hour. Built on Node's own cancellable timer
// (`timers/promises` with an AbortSignal), one controller per sleep, since a signal aborts once.
import { setTimeout as delay } from 'node:timers/promises';

export type Sleeper = {
  /** Resolves after `ms`, or as soon as wake() is called. Never rejects. */
  sleep(ms: number): Promise<void>;
  /** Ends every sleep in progress (and, with `latch`, the next one if none is in progress). */
  wake(): void;
};

export type SleeperOptions = {
  /**
   * Remember a wake-up that came while nothing slept, so the next sleep returns at once. For
   * loops woken by new work: work announced between two sleeps must not wait out a full one.
   */
  readonly latch?: boolean;
};

export function createSleeper(options: SleeperOptions = {}): Sleeper {
  const sleeping = new Set<AbortController>();
  let woken = false;
  return {
    async sleep(ms) {
      if (woken) {
        woken = false;
        return;
      }
      const controller = new AbortController();
      sleeping.add(controller);
      try {
        await delay(ms, undefined, { signal: controller.signal });
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      } finally {
        sleeping.delete(controller);
      }
    },
    wake() {
      if (options.latch === true && sleeping.size === 0) woken = true;
      for (const controller of [...sleeping]) controller.abort();
    },
  };
}
