// Configuration of the pipeline's workers on this instance: the poller and the lease only one
// instance holds, the fan-out with its classification ceiling and the compaction after
// unshares, and the returns integrator.
// One documented key per entry; config-schema.ts assembles all groups.
import { CLASSIFICATIONS } from '../../../src/shared/briefing.js';
import { z } from 'zod';
import type { ConfigRule, KeyGroup } from './key-spec.js';
import { positiveInt, bool } from './key-spec.js';

export const PIPELINE_KEYS = {
  pollerEnabled: {
    env: 'ATTACHE_POLLER',
    doc: 'Run a poller on this instance. Several may run: only the holder of the lease polls.',
    schema: bool.default(true),
  },
  pollIntervalMs: {
    env: 'ATTACHE_POLL_INTERVAL_MS',
    doc: 'How often the poller asks the SOR for share/unshare changes.',
    schema: positiveInt.default(1000),
  },
  pollBatchSize: {
    env: 'ATTACHE_POLL_BATCH_SIZE',
    doc: 'Most changes read from the SOR per poll.',
    schema: positiveInt.max(10_000).default(500),
  },
  pollMaxBackoffMs: {
    env: 'ATTACHE_POLL_MAX_BACKOFF_MS',
    doc: 'Longest wait between polls while the SOR keeps failing.',
    schema: positiveInt.default(30_000),
  },
  leaseTtlMs: {
    env: 'ATTACHE_LEASE_TTL_MS',
    doc: 'Lease time of the poller and the returns integrator: another instance takes over after this long without renewal (renewed every third of it).',
    schema: positiveInt.min(1000, { error: 'expected at least 1000 ms' }).default(15_000),
  },
  fanoutEnabled: {
    env: 'ATTACHE_FANOUT',
    doc: 'Run a fan-out worker on this instance (any number may run on one queue).',
    schema: bool.default(true),
  },
  fanoutConcurrency: {
    env: 'ATTACHE_FANOUT_CONCURRENCY',
    doc: 'Events one fan-out worker processes at once.',
    schema: positiveInt.max(256).default(4),
  },
  fanoutIdleMs: {
    env: 'ATTACHE_FANOUT_IDLE_MS',
    doc: 'How long the fan-out waits before claiming again when the queue is empty.',
    schema: positiveInt.default(200),
  },
  fanoutBatchSize: {
    env: 'ATTACHE_FANOUT_BATCH_SIZE',
    doc: 'Events a fan-out worker claims at once; writes to one user database are grouped into one _bulk_docs.',
    schema: positiveInt.max(5_000).default(200),
  },
  classificationCeiling: {
    env: 'ATTACHE_CLASSIFICATION_CEILING',
    doc: 'The highest marking the fan-out delivers to any device (organisation-wide). A briefing marked above it is not published (and removed where an earlier version was), the audit trail records it for each recipient (fanout.withheld), and the SOR is told why (POST /delivery-notices).',
    schema: z.enum(CLASSIFICATIONS).default('TOP SECRET'),
  },
  compactionQuietMs: {
    env: 'ATTACHE_COMPACTION_QUIET_MS',
    doc: "After an unshare, how long a user's briefings database must see no further unshare before it is compacted (several unshares in a row make one compaction).",
    schema: z.coerce.number().int().min(0).default(30_000),
  },
  compactionMaxDelayMs: {
    env: 'ATTACHE_COMPACTION_MAX_DELAY_MS',
    doc: "The longest an unshared briefing stays on the server's disk while unshares keep coming: compacted this long after the first unshare at the latest (plus the wait for its turn).",
    schema: positiveInt.default(300_000),
  },
  compactionMinIntervalMs: {
    env: 'ATTACHE_COMPACTION_MIN_INTERVAL_MS',
    doc: 'Least time between the starts of two compactions, over all users (one runs at a time), so a mass unshare does not swamp CouchDB.',
    schema: z.coerce.number().int().min(0).default(2_000),
  },
  returnsEnabled: {
    env: 'ATTACHE_RETURNS',
    doc: "Run the returns integrator (users' returns databases to the SOR) on this instance; only the lease holder works.",
    schema: bool.default(true),
  },
  returnsIntervalMs: {
    env: 'ATTACHE_RETURNS_INTERVAL_MS',
    doc: 'How long the returns integrator waits before looking again while another instance holds its lease, and its first retry delay after a failure. Between those it follows which returns databases are written (CouchDB _db_updates).',
    schema: positiveInt.default(2_000),
  },
  returnsSweepIntervalMs: {
    env: 'ATTACHE_RETURNS_SWEEP_INTERVAL_MS',
    doc: "How often the returns integrator reads every user's returns database even when none was written (it also does at start and after a failure), in case an update was missed.",
    schema: positiveInt.default(900_000),
  },
  returnsClockSkewSec: {
    env: 'ATTACHE_RETURNS_CLOCK_SKEW_SEC',
    doc: "How far a device's clock may be off: a return's own time counts as when it was written if it lies within a share of its briefing with its author, widened by this much, and not later than this after it reached the server.",
    schema: z.coerce.number().int().min(0).max(86_400).default(300),
  },
} as const satisfies KeyGroup;

/** What these keys require of each other (or of other groups' keys). */
export const PIPELINE_RULES: readonly ConfigRule[] = [
  {
    key: 'compactionQuietMs',
    message: 'must not exceed compactionMaxDelayMs',
    holds: (c) => c.compactionQuietMs <= c.compactionMaxDelayMs,
  },
];
