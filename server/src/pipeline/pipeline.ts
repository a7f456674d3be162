// Composition of the briefing pipeline (SOR adapter -> poller -> queue -> fan-out, and returns
// -> SOR) from the validated configuration. server.ts calls these; they only wire: each part
// lives in its capability folder.
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { AuditLog } from '../audit/types.js';
import { readSecretFromFile } from '../config/secret-files.js';
import type { ServerConfig } from '../config/types.js';
import { CONTROL_DB, ensureControlDb, ensureDbUpdatesFeed } from '../couch/control-db.js';
import type { CouchClient } from '../couch/types.js';
import { createCompactionRequests, createCompactor } from '../fanout/compactions.js';
import { createFanout } from '../fanout/fanout-worker.js';
import type { FanoutEvent } from '../fanout/types.js';
import type { UserDbs } from '../user-dbs/user-dbs.js';
import { createLogger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { createCouchLease } from '../lease/lease.js';
import type { Lease } from '../lease/lease.js';
import { CURSOR_FIELD, createPoller } from '../poller/poller.js';
import { createAmqpQueue } from '../queue/queue.amqp.js';
import { createSqliteQueue } from '../queue/queue.sqlite.js';
import type { Queue } from '../queue/types.js';
import { createCouchCheckpoints, createReturnsIntegrator } from '../returns/returns-integrator.js';
import { createReturnsWithdrawals } from '../returns/withdrawals.js';
import type { DemoSor } from '../demo/sor/demo-sor.sqlite.js';
import { SOR_API_PREFIX } from '../sor/sor-contract.js';
import { createRestSorAdapter } from '../sor/sor.rest.js';
import type { SorAdapter, SorDeliveryNotices } from '../sor/types.js';

const log = createLogger('pipeline');

export const FANOUT_QUEUE = 'fanout';
/**
 * Batches one fan-out worker keeps in flight (see FanoutDeps.parallelBatches). Three: with two,
 * CouchDB sat idle whenever both were reading and transforming SOR documents at once; with a
 * third, about 8 bulk writes wait at CouchDB on average (in the fan-out benchmark), as many as
 * its raw `_bulk_docs` limit is measured with.
 */
export const FANOUT_PARALLEL_BATCHES = 3;

/** This instance's name: configured, or host name plus a hash of the data folder. */
export function resolveInstanceId(config: ServerConfig): string {
  if (config.instanceId !== '') return config.instanceId;
  const digest = createHash('sha256').update(config.dataDir).digest('hex').slice(0, 8);
  return `${os.hostname()}-${digest}`;
}

export function createFanoutQueue(config: ServerConfig): Queue<FanoutEvent> {
  const retry = {
    maxAttempts: config.queueMaxAttempts,
    baseDelayMs: config.queueRetryBaseMs,
    maxDelayMs: config.queueRetryMaxMs,
  };
  if (config.queue === 'rabbitmq') {
    return createAmqpQueue<FanoutEvent>({
      url: config.rabbitmqUrl,
      name: `${config.rabbitmqPrefix}.${FANOUT_QUEUE}`,
      queueType: config.rabbitmqQueueType,
      retry,
      visibilityMs: config.queueVisibilityMs,
      // The fan-out's batches in flight plus two spare: a batch's acks free its room only once
      // the broker has settled them (a quorum queue: once they are in its log), so with one
      // spare the next claim after an ack often found only part of a batch delivered.
      prefetch: config.fanoutBatchSize * (FANOUT_PARALLEL_BATCHES + 2),
    });
  }
  return createSqliteQueue<FanoutEvent>({
    file: path.join(config.dataDir, 'queue.sqlite'),
    name: FANOUT_QUEUE,
    visibilityMs: config.queueVisibilityMs,
    retry,
  });
}

/** The SOR adapter the configuration asks for. */
export function createSorAdapter(
  config: ServerConfig,
  demo: { sor: DemoSor; url: string; token: string } | null,
): SorAdapter & SorDeliveryNotices {
  if (config.sorAdapter === 'demo') {
    if (!demo) throw new Error('sorAdapter=demo needs the demo SOR (demoSor=true).');
    return demo.sor;
  }
  const baseUrl = config.sorRestUrl !== '' ? config.sorRestUrl : `${demo!.url}${SOR_API_PREFIX}`;
  const token =
    config.sorRestTokenFile !== ''
      ? readSecretFromFile(
          'sorRestTokenFile',
          'ATTACHE_SOR_REST_TOKEN_FILE',
          config.sorRestTokenFile,
        )
      : demo!.token;
  return createRestSorAdapter({ baseUrl, token, timeoutMs: config.sorTimeoutMs });
}

export type PipelineDeps = {
  readonly config: ServerConfig;
  readonly couch: CouchClient;
  readonly userDbs: UserDbs;
  readonly serviceAdminName: string;
  readonly sor: SorAdapter & SorDeliveryNotices;
  readonly queue: Queue<FanoutEvent>;
  readonly metrics: Metrics;
  readonly audit: AuditLog;
  readonly instanceId: string;
};

export type Pipeline = {
  /** Sets the poller's SOR cursor (null: from the beginning) for a replay; any instance may. */
  resetCursor(cursor: string | null): Promise<void>;
  stop(): Promise<void>;
};

function lease(deps: PipelineDeps, name: 'poller' | 'returns' | 'compaction'): Lease {
  return createCouchLease({
    couch: deps.couch,
    name,
    instanceId: deps.instanceId,
    ttlMs: deps.config.leaseTtlMs,
    onChange: (held) => deps.metrics.leaseHeld(name, held),
  });
}

/** Starts the parts this instance runs (poller, fan-out, returns integrator) per the config. */
export async function startPipeline(deps: PipelineDeps): Promise<Pipeline> {
  const { config } = deps;
  await ensureControlDb(deps.couch, deps.serviceAdminName);
  const stops: (() => Promise<void>)[] = [];
  const compactions = createCompactionRequests({ couch: deps.couch });
  const withdrawals = createReturnsWithdrawals(deps.couch);

  const fanout = config.fanoutEnabled
    ? createFanout({
        queue: deps.queue,
        sor: deps.sor,
        couch: deps.couch,
        userDbs: deps.userDbs,
        metrics: deps.metrics,
        audit: deps.audit,
        concurrency: config.fanoutConcurrency,
        batchSize: config.fanoutBatchSize,
        parallelBatches: FANOUT_PARALLEL_BATCHES,
        idleMs: config.fanoutIdleMs,
        ceiling: { highest: config.classificationCeiling, notices: deps.sor },
        compactions,
        withdrawals,
      })
    : null;
  if (fanout) {
    fanout.start();
    stops.push(() => fanout.stop());
    // Where fan-out runs, compactions after unshares run too (one instance at a time).
    const compactionLease = lease(deps, 'compaction');
    const compactor = createCompactor({
      couch: deps.couch,
      lease: compactionLease,
      audit: deps.audit,
      metrics: deps.metrics,
      quietMs: config.compactionQuietMs,
      maxDelayMs: config.compactionMaxDelayMs,
      minIntervalMs: config.compactionMinIntervalMs,
      intervalMs: Math.min(1_000, Math.max(100, config.compactionQuietMs)),
    });
    compactionLease.start();
    compactor.start();
    stops.push(() => compactionLease.stop());
    stops.push(() => compactor.stop());
  }

  if (config.pollerEnabled) {
    const pollerLease = lease(deps, 'poller');
    const poller = createPoller({
      sor: deps.sor,
      queue: deps.queue,
      lease: pollerLease,
      metrics: deps.metrics,
      intervalMs: config.pollIntervalMs,
      batchSize: config.pollBatchSize,
      maxBackoffMs: config.pollMaxBackoffMs,
      maxQueued: config.pollBatchSize * 4,
      ...(fanout ? { onEnqueued: () => fanout.wake() } : {}),
    });
    pollerLease.start();
    poller.start();
    // Stop polling first, then hand the lease over (stops run in reverse order).
    stops.push(() => pollerLease.stop());
    stops.push(() => poller.stop());
  }

  if (config.returnsEnabled) {
    // The integrator follows which returns databases are written (`_db_updates`).
    if ((await ensureDbUpdatesFeed(deps.couch)) === 'created') {
      log.info("created CouchDB's _global_changes database, which keeps the _db_updates feed");
    }
    const returnsLease = lease(deps, 'returns');
    const integrator = createReturnsIntegrator({
      couch: deps.couch,
      sor: deps.sor,
      lease: returnsLease,
      audit: deps.audit,
      metrics: deps.metrics,
      checkpoints: createCouchCheckpoints(deps.couch),
      intervalMs: config.returnsIntervalMs,
      sweepIntervalMs: config.returnsSweepIntervalMs,
      withdrawals,
      compactReturns: (user) => compactions.requestReturns(user),
      maxBackoffMs: config.pollMaxBackoffMs,
      clockSkewMs: config.returnsClockSkewSec * 1000,
    });
    returnsLease.start();
    integrator.start();
    stops.push(() => returnsLease.stop());
    stops.push(() => integrator.stop());
  }

  log.info(
    {
      instance: deps.instanceId,
      queue: config.queue,
      sor: config.sorAdapter,
      poller: config.pollerEnabled,
      fanout: config.fanoutEnabled,
      returns: config.returnsEnabled,
    },
    'pipeline started',
  );

  return {
    async resetCursor(cursor) {
      // An operator's override, from any instance: a CAS on the lease document. The holder's
      // next cursor update then conflicts, so it re-reads the lease and continues from here.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const doc = await deps.couch.getDoc(CONTROL_DB, 'lease:poller');
        const data = { ...((doc?.['data'] as Record<string, unknown> | undefined) ?? {}) };
        if (cursor === null) delete data[CURSOR_FIELD];
        else data[CURSOR_FIELD] = cursor;
        try {
          await deps.couch.putDoc(CONTROL_DB, {
            ...(doc ?? { _id: 'lease:poller', released: true }),
            _id: 'lease:poller',
            data,
          });
          log.warn({ cursor }, 'SOR cursor reset by an operator');
          deps.audit.record({
            action: 'poller.cursor_reset',
            user: null,
            decision: 'allowed',
            reason: cursor === null ? 'replay from the beginning' : `replay after ${cursor}`,
          });
          return;
        } catch (error) {
          if (attempt === 4) throw error;
        }
      }
    },
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}
