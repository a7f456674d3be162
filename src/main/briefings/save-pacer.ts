// When to save something that changes in bursts and is written whole each time (the summary
// index): once the changes pause, and never later than a bound after the first change not yet
// saved, so a long burst (a first sync of thousands) still saves now and then.

export type SavePacer = {
  /** Something changed: the save waits for a pause of `quietMs` (within the bound). */
  readonly changed: () => void;
  /** A save is waiting. */
  readonly pending: () => boolean;
  /** No save waits any more (the owner saves itself, e.g. as it closes). */
  readonly cancel: () => void;
};

export function createSavePacer(options: {
  readonly quietMs: number;
  readonly withinMs: number;
  readonly save: () => void;
}): SavePacer {
  const withinMs = Math.max(options.quietMs, options.withinMs);
  let timer: NodeJS.Timeout | null = null;
  // When the first change not yet saved was made.
  let firstAt = 0;
  const cancel = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  return {
    changed: () => {
      const now = Date.now();
      if (!timer) firstAt = now;
      cancel();
      const wait = Math.max(0, Math.min(options.quietMs, firstAt + withinMs - now));
      timer = setTimeout(() => {
        timer = null;
        options.save();
      }, wait);
      timer.unref();
    },
    pending: () => timer !== null,
    cancel,
  };
}
