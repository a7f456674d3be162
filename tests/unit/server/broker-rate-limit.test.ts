import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../../server/src/broker/rate-limit.js';

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('per-user token bucket', () => {
  it('allows a burst, then refuses with the seconds until the next request is allowed', () => {
    const c = clock();
    const limiter = createRateLimiter({ burst: 3, perSecond: 2, now: c.now });
    expect([1, 2, 3].map(() => limiter.take('alex').ok)).toEqual([true, true, true]);
    expect(limiter.take('alex')).toEqual({ ok: false, retryAfterSec: 1 });
    c.advance(500); // one token back at 2/s
    expect(limiter.take('alex').ok).toBe(true);
    expect(limiter.take('alex').ok).toBe(false);
  });

  it('keeps users apart: one user exhausting their bucket does not slow another', () => {
    const c = clock();
    const limiter = createRateLimiter({ burst: 2, perSecond: 1, now: c.now });
    limiter.take('alex');
    limiter.take('alex');
    expect(limiter.take('alex').ok).toBe(false);
    expect(limiter.take('sam').ok).toBe(true);
  });

  it('never refills above the burst', () => {
    const c = clock();
    const limiter = createRateLimiter({ burst: 2, perSecond: 100, now: c.now });
    c.advance(60_000);
    expect([1, 2, 3].map(() => limiter.take('alex').ok)).toEqual([true, true, false]);
  });

  it('rounds Retry-After up to whole seconds at slow refill rates', () => {
    const c = clock();
    const limiter = createRateLimiter({ burst: 1, perSecond: 0.25, now: c.now });
    limiter.take('alex');
    expect(limiter.take('alex')).toEqual({ ok: false, retryAfterSec: 4 });
  });
});
