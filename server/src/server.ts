// Composition of the server: builds every capability from the validated config and wires them
// together. Exported as startServer so tests (and main.ts) own the lifecycle.
import path from 'node:path';
import { createBrokerFromConfig } from './broker/broker-setup.js';
import { devSigningKeyFile } from './broker/dev-signing-key.js';
import { ensurePrivateDir } from './config/secret-files.js';
import { loadOrCreateServerSecrets, serverSecretsFile } from './config/server-secrets.js';
import type { ServerConfig } from './config/types.js';
import { createCouchClient } from './couch/couch-client.js';
import { startEmbeddedCouch } from './couch/embedded-couch.pouch.js';
import { createFanout } from './fanout/fanout-worker.js';
import type { FanoutEvent } from './fanout/types.js';
import { createUserDbs } from './fanout/user-dbs.js';
import { closeServer, listen } from './http/json-http.js';
import { startDevIdp } from './idp/dev-idp.js';
import { createFileAuditLog } from './observability/audit-log.js';
import { createLogger, setLogLevel } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { createOpsServer } from './observability/ops-server.js';
import { createPoller } from './poller/poller.js';
import { createSqliteQueue } from './queue/queue.sqlite.js';
import { createSorAdminServer } from './sor/admin-api.js';
import { adminTokenFile, hasAdminToken, loadOrCreateAdminToken } from './sor/admin-token.js';
import { createDemoSor } from './sor/demo-sor.sqlite.js';
import { seedDemoSor } from './sor/seed-briefings.js';

const log = createLogger('server');

/** Everything listens on loopback only. */
export const BIND_HOST = '127.0.0.1';

export type ServerUrls = {
  readonly sor: string;
  readonly broker: string;
  readonly ops: string;
  readonly couch: string;
  /** Issuer of the development OpenID provider (msal authority: this plus '/'); null when off. */
  readonly idp: string | null;
};

export type RunningServer = {
  readonly urls: ServerUrls;
  /** Where the generated secrets live (owner-only files in the data folder). */
  readonly files: {
    readonly adminToken: string;
    readonly serverSecrets: string;
    readonly devSigningKey: string;
    readonly auditLog: string;
    /** CA certificate (PEM) of the development provider's https: devices must trust it. */
    readonly devCa: string | null;
  };
  stop(): Promise<void>;
};

export const FANOUT_QUEUE = 'fanout';

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  setLogLevel(config.logLevel);
  ensurePrivateDir(config.dataDir);
  // Undo stack: whatever started is stopped, in reverse order, on stop() or a failed start.
  const stops: { name: string; stop: () => Promise<void> | void }[] = [];
  const stopAll = async () => {
    for (const { name, stop } of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        log.error({ component: name, err: String(error) }, 'stopping failed');
      }
    }
    stops.length = 0;
  };

  try {
    const secrets = loadOrCreateServerSecrets(config.dataDir);
    const adminToken = loadOrCreateAdminToken(config.dataDir);

    const couch = await startEmbeddedCouch({
      dataDir: config.dataDir,
      host: BIND_HOST,
      port: config.couchPort,
      admin: secrets.couchAdmin,
    });
    stops.push({ name: 'couch', stop: () => couch.stop() });
    const couchClient = createCouchClient({ url: couch.url, credentials: secrets.couchAdmin });
    const userDbs = createUserDbs({
      couch: couchClient,
      serviceSecret: secrets.serviceSecret,
      serviceAdminName: secrets.couchAdmin.username,
    });

    const sor = createDemoSor({ file: path.join(config.dataDir, 'demo-sor.sqlite') });
    stops.push({ name: 'demo SOR store', stop: () => sor.close() });
    if (config.seedDemoData) {
      const seeded = await seedDemoSor(sor);
      if (seeded > 0) log.info({ briefings: seeded }, 'demo SOR seeded with sample briefings');
    }

    const queue = createSqliteQueue<FanoutEvent>({
      file: path.join(config.dataDir, 'queue.sqlite'),
      name: FANOUT_QUEUE,
      visibilityMs: config.queueVisibilityMs,
      retry: {
        maxAttempts: config.queueMaxAttempts,
        baseDelayMs: config.queueRetryBaseMs,
        maxDelayMs: config.queueRetryMaxMs,
      },
    });
    stops.push({ name: 'queue', stop: () => queue.close() });

    const metrics = createMetrics({
      queueDepth: () =>
        queue.depth().then((d) => ({ ready: d.ready + d.delayed, leased: d.leased, dead: d.dead })),
    });
    const audit = createFileAuditLog({ file: path.join(config.dataDir, 'audit', 'audit.jsonl') });
    stops.push({ name: 'audit log', stop: () => audit.close() });

    const sorServer = createSorAdminServer({ sor, adminToken });
    const sorPort = await listen(sorServer, BIND_HOST, config.sorPort);
    stops.push({ name: 'SOR admin API', stop: () => closeServer(sorServer) });

    const fanout = createFanout({
      queue,
      sor,
      couch: couchClient,
      userDbs,
      metrics,
      concurrency: config.fanoutConcurrency,
      idleMs: config.fanoutIdleMs,
    });
    const poller = createPoller({
      sor,
      queue,
      metrics,
      intervalMs: config.pollIntervalMs,
      batchSize: config.pollBatchSize,
      maxBackoffMs: config.pollMaxBackoffMs,
      onEnqueued: () => fanout.wake(),
    });
    fanout.start();
    stops.push({ name: 'fan-out', stop: () => fanout.stop() });
    poller.start();
    stops.push({ name: 'poller', stop: () => poller.stop() });

    const idp = config.devIdp
      ? await startDevIdp({
          dataDir: config.dataDir,
          host: BIND_HOST,
          port: config.idpPort,
          accessTokenTtlSec: config.idpAccessTokenTtlSec,
          refreshTokenTtlSec: config.idpRefreshTokenTtlSec,
          audit,
        })
      : null;
    if (idp) stops.push({ name: 'OpenID provider', stop: () => idp.stop() });
    const broker = await createBrokerFromConfig(config, {
      userDbs,
      couchUrl: couch.url,
      audit,
      metrics,
      idp,
      isKnownUser: (id: string) => sor.isKnownUser(id),
    });
    const brokerPort = await listen(broker, BIND_HOST, config.brokerPort);
    stops.push({ name: 'broker', stop: () => closeServer(broker) });

    const ops = createOpsServer({
      metrics,
      checks: {
        couch: async () => ({ ok: await couchClient.ping() }),
        sor: async () => ({ ok: await sor.ping() }),
        queue: async () => ({ ok: true, detail: await queue.depth() }),
      },
      deadLetters: (limit) => queue.deadLetters(limit),
      isAdmin: (req) => hasAdminToken(req, adminToken),
    });
    const opsPort = await listen(ops, BIND_HOST, config.opsPort);
    stops.push({ name: 'ops', stop: () => closeServer(ops) });

    const urls: ServerUrls = {
      sor: `http://${BIND_HOST}:${sorPort}`,
      broker: `http://${BIND_HOST}:${brokerPort}`,
      ops: `http://${BIND_HOST}:${opsPort}`,
      couch: couch.url,
      idp: idp?.issuer ?? null,
    };
    const files = {
      adminToken: adminTokenFile(config.dataDir),
      serverSecrets: serverSecretsFile(config.dataDir),
      devSigningKey: devSigningKeyFile(config.dataDir),
      auditLog: path.join(config.dataDir, 'audit', 'audit.jsonl'),
      devCa: idp?.caFile ?? null,
    };
    log.info(
      { urls, adminTokenFile: files.adminToken, devTokens: config.devTokens },
      'Attaché server started',
    );
    return {
      urls,
      files,
      async stop() {
        await stopAll();
        log.info('Attaché server stopped');
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
