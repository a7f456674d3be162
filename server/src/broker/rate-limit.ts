// Per-user token bucket: each user may make `burst` requests at once and `perSecond` on average.
// Buckets live in this process only: behind a load balancer each broker instance limits on its
// own, so a user's effective limit is the per-instance one times the instances they reach.
export type RateDecision =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** Whole seconds until one request is allowed again. */ readonly retryAfterSec: number;
    };

export type RateLimiter = {
  take(key: string): RateDecision;
};

type Bucket = { tokens: number; at: number };

/** Buckets kept before idle (full) ones are dropped; a full bucket is the same as no bucket. */
const SWEEP_ABOVE = 10_000;

export function createRateLimiter(deps: {
  burst: number;
  perSecond: number;
  now?: () => number;
}): RateLimiter {
  const now = deps.now ?? (() => performance.now());
  const buckets = new Map<string, Bucket>();

  const refill = (bucket: Bucket, t: number) => {
    bucket.tokens = Math.min(deps.burst, bucket.tokens + ((t - bucket.at) / 1000) * deps.perSecond);
    bucket.at = t;
  };

  const sweep = (t: number) => {
    for (const [key, bucket] of buckets) {
      refill(bucket, t);
      if (bucket.tokens >= deps.burst) buckets.delete(key);
    }
  };

  return {
    take(key) {
      const t = now();
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size >= SWEEP_ABOVE) sweep(t);
        bucket = { tokens: deps.burst, at: t };
        buckets.set(key, bucket);
      } else {
        refill(bucket, t);
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return {
        ok: false,
        retryAfterSec: Math.max(1, Math.ceil((1 - bucket.tokens) / deps.perSecond)),
      };
    },
  };
}
