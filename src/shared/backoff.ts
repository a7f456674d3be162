// Capped exponential back-off with jitter: the one rule for every retry, on the server (queue
// retries, the poller, fan-out, returns, compactions) and on the device (sync restarts and each
// replication direction's retries). Pure: callers keep the attempt count and own the timer.

/**
 * Delay before retry number `attempt` (1 = first retry): base * 2^(attempt-1), capped at max,
 * then jittered down by up to half so that workers (or a fleet of devices) failing together do
 * not retry together. Never exceeds `maxDelayMs`.
 */
export function backoffDelayMs(
  attempt: number,
  policy: { readonly baseDelayMs: number; readonly maxDelayMs: number },
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30); // 2^30 already exceeds any cap
  const capped = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  const jitter = Math.min(Math.max(random(), 0), 1);
  return Math.round(capped * (0.5 + 0.5 * jitter));
}
