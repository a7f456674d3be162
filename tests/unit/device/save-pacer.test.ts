// When the summary index saves (briefings/save-pacer.ts): after a pause in the changes, and
// within a bound of the first change even while changes keep coming (a long first sync).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSavePacer } from '../../../src/main/briefings/save-pacer.js';

describe('the save pacer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const pacer = () => {
    const saves: number[] = [];
    const start = Date.now();
    const paced = createSavePacer({
      quietMs: 2_000,
      withinMs: 30_000,
      save: () => saves.push(Date.now() - start),
    });
    return { paced, saves };
  };

  it('saves once the changes pause, not once per change', () => {
    const { paced, saves } = pacer();
    paced.changed();
    vi.advanceTimersByTime(1_000);
    paced.changed();
    vi.advanceTimersByTime(1_999);
    expect(saves).toEqual([]);
    expect(paced.pending()).toBe(true);
    vi.advanceTimersByTime(1);
    expect(saves).toEqual([3_000]);
    expect(paced.pending()).toBe(false);
  });

  it('saves within the bound while changes never pause', () => {
    const { paced, saves } = pacer();
    // A change every half second for a minute: a first sync of thousands.
    for (let t = 0; t < 60_000; t += 500) {
      paced.changed();
      vi.advanceTimersByTime(500);
    }
    expect(saves).toEqual([30_000, 60_000]);
    // Once the burst is over, the next change saves after the pause as usual.
    paced.changed();
    vi.advanceTimersByTime(2_000);
    expect(saves).toEqual([30_000, 60_000, 62_000]);
  });

  it('saves nothing once cancelled', () => {
    const { paced, saves } = pacer();
    paced.changed();
    paced.cancel();
    vi.advanceTimersByTime(60_000);
    expect(saves).toEqual([]);
  });
});
