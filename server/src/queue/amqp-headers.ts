// What the RabbitMQ queue writes on its messages and how it names its queues. Topology, for a
// queue named N (all durable, of the configured type):
//   N                 the work queue; persistent messages; DLX N.dlx for broker-side rejections
//   N.retry.<ms>      one holding queue per backoff step: per-queue TTL, then dead-lettered back
//                     into N (one TTL per queue, so no message waits behind a longer one)
//   N.dlx -> N.dead   the dead-letter exchange and queue; our own dead letters carry the reason
//                     in the `x-attache-reason` header (broker-side ones in `x-death`)
import { backoffDelayMs } from '../timing/backoff.js';
import type { RetryPolicy } from './types.js';

export const H_ATTEMPTS = 'x-attache-attempts';
export const H_ENQUEUED_AT = 'x-attache-enqueued-at';
export const H_REASON = 'x-attache-reason';
export const H_DEAD_AT = 'x-attache-dead-at';
export const H_LAST_ERROR = 'x-attache-last-error';
export const H_PUBLISH_ID = 'x-attache-publish-id';
/** Header values must fit in one AMQP frame with everything else; reasons are cut to this. */
const MAX_REASON_CHARS = 4000;

export type QueueNames = {
  readonly work: string;
  readonly dlx: string;
  readonly dead: string;
  readonly retry: (ms: number) => string;
};

export function queueNames(name: string): QueueNames {
  return {
    work: name,
    dlx: `${name}.dlx`,
    dead: `${name}.dead`,
    retry: (ms: number) => `${name}.retry.${ms}`,
  };
}

/** Delay before retry `attempt`, without jitter: each step has its own holding queue. */
export function retryStepMs(attempt: number, policy: RetryPolicy): number {
  return backoffDelayMs(attempt, policy, () => 1);
}

export function retrySteps(policy: RetryPolicy): number[] {
  const steps = new Set<number>();
  for (let attempt = 1; attempt < Math.max(policy.maxAttempts, 2); attempt += 1) {
    steps.add(retryStepMs(attempt, policy));
  }
  return [...steps].sort((a, b) => a - b);
}

export function headerNumber(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : fallback;
}

export function cut(text: string): string {
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}
