// Site replication on /metrics: read from CouchDB's scheduler at each scrape. Aggregated per
// direction, never one series per replication: /metrics answers anyone who reaches the ops port,
// and a replication's id names a person (the hex of their user id). Which replication is behind
// is for `npm run sites -- status`, which needs the CouchDB admin.
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { createLogger, describeError } from '../observability/logger.js';
import { REPLICATION_DIRECTIONS } from './replication-plan.js';
import type { ReplicationStatus } from './replication-status.js';
import { REPLICATION_STATES, summarizeReplications } from './replication-status.js';

const log = createLogger('sites');

export function registerSiteReplicationMetrics(
  registry: Registry,
  read: () => Promise<readonly ReplicationStatus[]>,
): void {
  // One read serves the gauges of one scrape (they collect one after another, within the second).
  let last: { at: number; value: Promise<ReturnType<typeof summarizeReplications> | null> } | null =
    null;
  const summary = () => {
    if (!last || Date.now() - last.at > 1_000) {
      last = {
        at: Date.now(),
        value: read().then(
          (replications) => summarizeReplications(replications),
          (error: unknown) => {
            log.warn({ err: describeError(error) }, 'reading the replication scheduler failed');
            return null;
          },
        ),
      };
    }
    return last.value;
  };
  new Gauge({
    name: 'attache_site_replication_scheduler_up',
    help: "Whether CouchDB's replication scheduler answered this scrape (1) or not (0).",
    registers: [registry],
    async collect() {
      this.set((await summary()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'attache_site_replications',
    help: "Attaché's replications with the other site held by this site's CouchDB, by direction and scheduler state (running, pending, crashing, error, failed...).",
    labelNames: ['direction', 'state'] as const,
    registers: [registry],
    async collect() {
      const s = await summary();
      if (!s) return;
      for (const direction of REPLICATION_DIRECTIONS) {
        for (const state of REPLICATION_STATES) {
          this.set({ direction, state }, s[direction].byState[state]);
        }
      }
    },
  });
  new Gauge({
    name: 'attache_site_replication_changes_pending',
    help: 'Changes at the source that site replications have not yet read (the lag), summed per direction.',
    labelNames: ['direction'] as const,
    registers: [registry],
    async collect() {
      const s = await summary();
      if (s)
        for (const d of REPLICATION_DIRECTIONS) this.set({ direction: d }, s[d].changesPending);
    },
  });
  new Gauge({
    name: 'attache_site_replication_max_changes_pending',
    help: 'The most changes one site replication has not yet read, per direction.',
    labelNames: ['direction'] as const,
    registers: [registry],
    async collect() {
      const s = await summary();
      if (s) {
        for (const d of REPLICATION_DIRECTIONS) this.set({ direction: d }, s[d].maxChangesPending);
      }
    },
  });
}
