// Prometheus metrics of one server instance. A registry per instance (not prom-client's global
// one) so that tests can run several servers in one process without clashing names.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type QueueDepthSource = () => Promise<{ ready: number; leased: number; dead: number }>;

export type FanoutOutcome = 'written' | 'unchanged' | 'deleted' | 'absent' | 'stale';
export type FanoutFailure = 'retry' | 'dead_letter';

export type Metrics = {
  readonly registry: Registry;
  fanoutProcessed(outcome: FanoutOutcome): void;
  fanoutFailed(disposition: FanoutFailure): void;
  /** Seconds from the SOR approval (share) to the CouchDB write returning. */
  approvalLag(seconds: number): void;
  pollerFailed(): void;
  brokerDecision(decision: 'allowed' | 'refused'): void;
};

export function createMetrics(deps: { queueDepth: QueueDepthSource }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'attache_' });

  new Gauge({
    name: 'attache_queue_depth',
    help: 'Messages in the fan-out queue by state (ready, leased, dead-lettered).',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const depth = await deps.queueDepth();
      this.set({ state: 'ready' }, depth.ready);
      this.set({ state: 'leased' }, depth.leased);
      this.set({ state: 'dead' }, depth.dead);
    },
  });
  const processed = new Counter({
    name: 'attache_fanout_events_processed_total',
    help: 'Share/unshare events the fan-out completed, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const failed = new Counter({
    name: 'attache_fanout_events_failed_total',
    help: 'Share/unshare events the fan-out failed, by what happened to them.',
    labelNames: ['disposition'] as const,
    registers: [registry],
  });
  const lag = new Histogram({
    name: 'attache_approval_to_couch_lag_seconds',
    help: 'Time from the SOR approving a share to the briefing being written in CouchDB.',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800],
    registers: [registry],
  });
  const pollerErrors = new Counter({
    name: 'attache_poller_errors_total',
    help: 'Failed polls of the SOR.',
    registers: [registry],
  });
  const brokerDecisions = new Counter({
    name: 'attache_broker_decisions_total',
    help: 'Requests the broker allowed or refused.',
    labelNames: ['decision'] as const,
    registers: [registry],
  });

  return {
    registry,
    fanoutProcessed: (outcome) => processed.inc({ outcome }),
    fanoutFailed: (disposition) => failed.inc({ disposition }),
    approvalLag: (seconds) => lag.observe(Math.max(0, seconds)),
    pollerFailed: () => pollerErrors.inc(),
    brokerDecision: (decision) => brokerDecisions.inc({ decision }),
  };
}
