// Composition of the server: builds every capability from the validated config and wires them
// together. Exported as startServer so tests (and main.ts) own the lifecycle.
import path from 'node:path';
import { createBrokerFromConfig } from './broker/broker-setup.js';
import { ensurePrivateDir, readSecretFromFile } from './config/secret-files.js';
import { loadOrCreateServerSecrets, serverSecretsFile } from './config/server-secrets.js';
import { DEPRECATED_KEYS } from './config/config-schema.js';
import type { ServerConfig } from './config/types.js';
import { setUpCouch, setUpUserAuth } from './couch/couch-setup.js';
import type { CouchEndpoint } from './couch/types.js';
import { createDeviceRegistry, wipeConfirmationKey } from './devices/device-registry.js';
import { createUserDbs } from './user-dbs/user-dbs.js';
import { createClientAddress, limitKeyOf } from './http/client-address.js';
import { createHostCheck } from './http/host-check.js';
import { closeServer, listen } from './http/json-http.js';
import type { ParserRefusal } from './http/parser-refusals.js';
import { reportParserRefusals } from './http/parser-refusals.js';
import { startDevIdp } from './demo/idp/dev-idp.oidc.js';
import { createAdminAudit } from './audit/admin-audit.js';
import { createFileAuditLog } from './audit/audit-log.js';
import { createLogger, setLogLevel } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { createOpsServer } from './ops/ops-server.js';
import { registerSiteReplicationMetrics } from './sites/replication-metrics.js';
import { readSiteReplications } from './sites/replication-status.js';
import { createSiteCouch } from './sites/site-couch.js';
import { createRefusalAggregator } from './audit/refusal-aggregator.js';
import {
  createFanoutQueue,
  createSorAdapter,
  resolveInstanceId,
  startPipeline,
} from './pipeline/pipeline.js';
import { createSorAdminServer } from './demo/sor/admin-api.js';
import { adminTokenFile, hasAdminToken, loadOrCreateAdminToken } from './http/admin-token.js';
import { createDemoSor } from './demo/sor/demo-sor.sqlite.js';
import type { DemoSor } from './demo/sor/demo-sor.sqlite.js';
import { seedDemoSor } from './demo/sor/seed-briefings.js';

const log = createLogger('server');

/** Embedded parts (demo SOR, development provider) listen on loopback only; CouchDB on a socket. */
export const BIND_HOST = '127.0.0.1';

/** How to reach a listener from this machine: a wildcard address is reached on loopback. */
function urlHost(bindHost: string): string {
  if (bindHost === '0.0.0.0') return '127.0.0.1';
  if (bindHost === '::') return '[::1]';
  return bindHost.includes(':') ? `[${bindHost}]` : bindHost;
}

export type ServerUrls = {
  readonly sor: string;
  readonly broker: string;
  readonly ops: string;
  /** Issuer of the development OpenID provider (msal authority: this plus '/'); null when off. */
  readonly idp: string | null;
};

export type RunningServer = {
  readonly urls: ServerUrls;
  /**
   * Where CouchDB answers: Apache CouchDB's URL, or the embedded server's Unix socket (no TCP
   * port), with its supervised process.
   */
  readonly couch: CouchEndpoint & {
    readonly embedded: { pid(): number | null; restarts(): number } | null;
  };
  /** Where the generated secrets live (owner-only files in the data folder). */
  readonly files: {
    readonly adminToken: string;
    readonly serverSecrets: string;
    readonly auditLog: string;
    /** CA certificate (PEM) of the development provider's https: devices must trust it. */
    readonly devCa: string | null;
  };
  stop(): Promise<void>;
};

export { FANOUT_QUEUE } from './pipeline/pipeline.js';

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

    const instanceId = resolveInstanceId(config);
    for (const [key, message] of Object.entries(DEPRECATED_KEYS)) {
      if (config[key as keyof ServerConfig] !== undefined) log.warn({ key }, message);
    }
    // Production (couchUrl set): Apache CouchDB 3.x with configured credentials; otherwise the
    // embedded CouchDB-protocol server, in a supervised child process on a Unix socket.
    const couch = await setUpCouch(config, secrets);
    stops.push({ name: 'couch', stop: () => couch.stop() });
    const couchClient = couch.client;
    // Every instance must derive the same user passwords (and wipe confirmations): production
    // names a shared file.
    const serviceSecret =
      config.serviceSecretFile !== ''
        ? readSecretFromFile(
            'serviceSecretFile',
            'ATTACHE_SERVICE_SECRET_FILE',
            config.serviceSecretFile,
            32,
          )
        : secrets.serviceSecret;
    const userDbs = createUserDbs({
      couch: couchClient,
      auth: await setUpUserAuth(config, couchClient, serviceSecret),
      serviceAdminName: couch.admin.username,
    });

    let sor: DemoSor | null = null;
    if (config.demoSor) {
      const demo = createDemoSor({ file: path.join(config.dataDir, 'demo-sor.sqlite') });
      sor = demo;
      stops.push({ name: 'demo SOR store', stop: () => demo.close() });
      if (config.seedDemoData) {
        const seeded = await seedDemoSor(demo);
        if (seeded > 0) log.info({ briefings: seeded }, 'demo SOR seeded with sample briefings');
      }
    }

    const queue = createFanoutQueue(config);
    stops.push({ name: 'queue', stop: () => queue.close() });

    const metrics = createMetrics({ queueDepth: () => queue.depth() });
    // Apache CouchDB only (the embedded server has no replicator): this site's replications.
    if (!couch.embedded) {
      const scheduler = createSiteCouch('this site', {
        url: couch.endpoint.url,
        credentials: couch.admin,
      });
      registerSiteReplicationMetrics(metrics.registry, () => readSiteReplications(scheduler));
    }
    const audit = createFileAuditLog({
      file: path.join(config.dataDir, 'audit', 'audit.jsonl'),
      instance: instanceId,
    });
    stops.push({ name: 'audit log', stop: () => audit.close() });
    // Closed before the trail (stops run in reverse): the counts of open windows are written.
    const refusals = createRefusalAggregator({ audit, windowMs: config.auditRefusalWindowMs });
    stops.push({ name: 'refusal counts', stop: () => refusals.close() });
    const clientOf = createClientAddress(config.brokerTrustedProxies);
    const hostCheck = createHostCheck(config.adminHostNames);
    /** What Node's parser refused on the server `name`, counted per address and status. */
    const parserRefusals =
      (name: string) =>
      ({ status, code, client }: ParserRefusal): void =>
        refusals.record(`http\u0000${name}\u0000${limitKeyOf(client)}\u0000${status}`, {
          action: 'http.refused',
          user: null,
          server: name,
          client,
          decision: 'refused',
          reason: `Node's HTTP parser refused the request (${code})`,
          status,
        });

    let sorPort = 0;
    if (sor) {
      const sorServer = createSorAdminServer({
        sor,
        adminToken,
        audit: createAdminAudit({ server: 'sor-admin', audit, refusals, clientOf }),
        hostCheck,
        classificationCeiling: config.classificationCeiling,
      });
      reportParserRefusals(sorServer, parserRefusals('sor-admin'));
      sorPort = await listen(sorServer, BIND_HOST, config.sorPort);
      stops.push({ name: 'SOR admin API', stop: () => closeServer(sorServer) });
    }
    const sorAdapter = createSorAdapter(
      config,
      sor ? { sor, url: `http://${BIND_HOST}:${sorPort}`, token: adminToken } : null,
    );
    const pipeline = await startPipeline({
      config,
      couch: couchClient,
      userDbs,
      serviceAdminName: couch.admin.username,
      sor: sorAdapter,
      queue,
      metrics,
      audit,
      instanceId,
    });
    stops.push({ name: 'pipeline', stop: () => pipeline.stop() });

    const idp = config.devIdp
      ? await startDevIdp({
          dataDir: config.dataDir,
          host: BIND_HOST,
          port: config.idpPort,
          accessTokenTtlSec: config.idpAccessTokenTtlSec,
          refreshTokenTtlSec: config.idpRefreshTokenTtlSec,
          audit,
          onParserRefusal: parserRefusals('idp'),
        })
      : null;
    if (idp) stops.push({ name: 'OpenID provider', stop: () => idp.stop() });
    const devices = createDeviceRegistry({
      couch: couchClient,
      serviceAdminName: couch.admin.username,
      audit,
      confirmationKey: wipeConfirmationKey(serviceSecret),
      refusals,
    });
    await devices.init();
    const broker = createBrokerFromConfig(config, {
      userDbs,
      couchUrl: couch.endpoint.url,
      couchSocketPath: couch.endpoint.socketPath,
      audit,
      metrics,
      idp,
      devices,
      refusals,
      clientOf,
    });
    reportParserRefusals(broker, parserRefusals('broker'));
    const brokerPort = await listen(broker, config.brokerHost, config.brokerPort);
    stops.push({ name: 'broker', stop: () => closeServer(broker) });

    const ops = createOpsServer({
      metrics,
      checks: {
        couch: async () => ({ ok: await couchClient.ping() }),
        sor: async () => ({ ok: await sorAdapter.ping() }),
        queue: async () => ({ ok: await queue.healthy(), detail: await queue.depth() }),
      },
      deadLetters: (limit) => queue.deadLetters(limit),
      replayDeadLetters: (ids) => queue.replayDeadLetters(ids),
      resetCursor: (cursor) => pipeline.resetCursor(cursor),
      devices,
      isAdmin: (req) => hasAdminToken(req, adminToken),
      audit: createAdminAudit({ server: 'ops', audit, refusals, clientOf }),
      hostCheck,
    });
    reportParserRefusals(ops, parserRefusals('ops'));
    const opsPort = await listen(ops, config.opsHost, config.opsPort);
    stops.push({ name: 'ops', stop: () => closeServer(ops) });

    const urls: ServerUrls = {
      sor: sor ? `http://${BIND_HOST}:${sorPort}` : '',
      broker: `http://${urlHost(config.brokerHost)}:${brokerPort}`,
      ops: `http://${urlHost(config.opsHost)}:${opsPort}`,
      idp: idp?.issuer ?? null,
    };
    const files = {
      adminToken: adminTokenFile(config.dataDir),
      serverSecrets: serverSecretsFile(config.dataDir),
      auditLog: path.join(config.dataDir, 'audit', 'audit.jsonl'),
      devCa: idp?.caFile ?? null,
    };
    log.info(
      { urls, adminTokenFile: files.adminToken, devCa: files.devCa },
      'Attaché server started',
    );
    return {
      urls,
      couch: { ...couch.endpoint, embedded: couch.embedded },
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
