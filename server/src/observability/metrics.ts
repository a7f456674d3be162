// Prometheus metrics of one server instance. A registry per instance (not prom-client's global
// one) so that tests can run several servers in one process without clashing names.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type QueueDepthSource = () => Promise<{
  ready: number;
  delayed?: number;
  leased: number;
  dead: number;
}>;

export type FanoutOutcome = 'written' | 'unchanged' | 'deleted' | 'absent' | 'stale';
export type FanoutFailure = 'retry' | 'dead_letter';
export type ReturnsOutcome = 'stored' | 'duplicate' | 'rejected';
export type LeaseName = 'poller' | 'returns' | 'compaction';
/** Where a return was refused, and why (docs/operations.md, "Returns refused"). */
export type ReturnsRefusal =
  | { where: 'broker'; reason: 'hourly_limit' | 'request_limit' | 'invalid' }
  | { where: 'integrator'; reason: 'invalid' | 'no_briefing' | 'not_shared' | 'sor_refused' };
export type CompactionOutcome = 'done' | 'failed';

export type Metrics = {
  readonly registry: Registry;
  fanoutProcessed(outcome: FanoutOutcome, count?: number): void;
  fanoutFailed(disposition: FanoutFailure): void;
  /** Seconds from the SOR approval (share) to the CouchDB write returning. */
  approvalLag(seconds: number): void;
  pollerFailed(): void;
  sorChangesQueued(count: number): void;
  leaseHeld(lease: LeaseName, held: boolean): void;
  returnsProcessed(outcome: ReturnsOutcome): void;
  brokerDecision(decision: 'allowed' | 'refused'): void;
  returnsRefused<W extends ReturnsRefusal['where']>(
    where: W,
    reason: Extract<ReturnsRefusal, { where: W }>['reason'],
  ): void;
  /** A user's briefings database compacted after unshares (or the attempt failed). */
  compaction(outcome: CompactionOutcome, seconds?: number): void;
  /** Databases waiting for a compaction, as last seen by the lease holder. */
  compactionsPending(count: number): void;
};

export function createMetrics(deps: { queueDepth: QueueDepthSource }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'attache_' });

  new Gauge({
    name: 'attache_queue_depth',
    help: 'Messages in the fan-out queue by state (ready, delayed for a retry, leased by a worker, dead-lettered). With RabbitMQ, "leased" counts this instance only.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      try {
        const depth = await deps.queueDepth();
        this.set({ state: 'ready' }, depth.ready);
        this.set({ state: 'delayed' }, depth.delayed ?? 0);
        this.set({ state: 'leased' }, depth.leased);
        this.set({ state: 'dead' }, depth.dead);
      } catch {
        // Queue unreachable: keep the last values; /healthz reports the queue as down.
      }
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
    help: 'Failed polls of the SOR (or failed enqueues of what was read).',
    registers: [registry],
  });
  const queued = new Counter({
    name: 'attache_sor_changes_queued_total',
    help: 'SOR change-log entries the poller put on the queue.',
    registers: [registry],
  });
  const leases = new Gauge({
    name: 'attache_lease_held',
    help: 'Whether this instance holds a lease (1) or not (0): exactly one instance should hold each.',
    labelNames: ['lease'] as const,
    registers: [registry],
  });
  const returns = new Counter({
    name: 'attache_returns_processed_total',
    help: 'Returns (read receipts) the integrator handled, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const brokerDecisions = new Counter({
    name: 'attache_broker_decisions_total',
    help: 'Requests the broker allowed or refused.',
    labelNames: ['decision'] as const,
    registers: [registry],
  });
  const returnsRefused = new Counter({
    name: 'attache_returns_refused_total',
    help: 'Returns refused: at the broker (volume limits; shape, refused by the database) or by the integrator (shape, briefing unknown or not shared with the author when written, SOR refusal).',
    labelNames: ['where', 'reason'] as const,
    registers: [registry],
  });
  const compactions = new Counter({
    name: 'attache_compactions_total',
    help: "Compactions of a user's briefings database after unshares, by outcome.",
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const compactionSeconds = new Histogram({
    name: 'attache_compaction_duration_seconds',
    help: "Time one compaction of a user's briefings database took (until CouchDB finished).",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const compactionsPending = new Gauge({
    name: 'attache_compactions_pending',
    help: "Users' briefings databases waiting to be compacted after unshares (seen by the lease holder).",
    registers: [registry],
  });
  const refusals: ReturnsRefusal[] = [
    { where: 'broker', reason: 'hourly_limit' },
    { where: 'broker', reason: 'request_limit' },
    { where: 'broker', reason: 'invalid' },
    { where: 'integrator', reason: 'invalid' },
    { where: 'integrator', reason: 'no_briefing' },
    { where: 'integrator', reason: 'not_shared' },
    { where: 'integrator', reason: 'sor_refused' },
  ];
  for (const labels of refusals) returnsRefused.inc(labels, 0);
  for (const outcome of ['done', 'failed'] as const) compactions.inc({ outcome }, 0);
  for (const outcome of ['written', 'unchanged', 'deleted', 'absent', 'stale'] as const) {
    processed.inc({ outcome }, 0);
  }
  for (const disposition of ['retry', 'dead_letter'] as const) failed.inc({ disposition }, 0);
  for (const lease of ['poller', 'returns', 'compaction'] as const) leases.set({ lease }, 0);
  for (const outcome of ['stored', 'duplicate', 'rejected'] as const) {
    returns.inc({ outcome }, 0);
  }

  return {
    registry,
    fanoutProcessed: (outcome, count = 1) => processed.inc({ outcome }, count),
    fanoutFailed: (disposition) => failed.inc({ disposition }),
    approvalLag: (seconds) => lag.observe(Math.max(0, seconds)),
    pollerFailed: () => pollerErrors.inc(),
    sorChangesQueued: (count) => queued.inc(count),
    leaseHeld: (lease, held) => leases.set({ lease }, held ? 1 : 0),
    returnsProcessed: (outcome) => returns.inc({ outcome }),
    brokerDecision: (decision) => brokerDecisions.inc({ decision }),
    returnsRefused: (where, reason) => returnsRefused.inc({ where, reason }),
    compaction: (outcome, seconds) => {
      compactions.inc({ outcome });
      if (seconds !== undefined) compactionSeconds.observe(seconds);
    },
    compactionsPending: (count) => compactionsPending.set(count),
  };
}
