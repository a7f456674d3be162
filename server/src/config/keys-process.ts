// Configuration of the server process: where it keeps its state, where its listeners are and
// who may address them, how it logs, and what it calls itself in leases and the audit trail.
// One documented key per entry; config-schema.ts assembles all groups.
import { z } from 'zod';
import { DEFAULT_PORTS } from '../../../src/shared/protocol.js';
import { LOG_LEVELS } from '../observability/logger.js';
import type { ConfigRule, KeyGroup } from './key-spec.js';
import { port, positiveInt, bindHost, commaList } from './key-spec.js';

export const PROCESS_KEYS = {
  dataDir: {
    env: 'ATTACHE_DATA_DIR',
    doc: 'Folder for all server state (CouchDB files, SQLite databases, generated secrets). Relative paths resolve against the working directory.',
    schema: z.string().min(1).default('.data/server'),
  },
  sorPort: {
    env: 'ATTACHE_SOR_PORT',
    doc: 'Loopback port of the demo SOR admin API. 0 picks a free port.',
    schema: port.default(DEFAULT_PORTS.sor),
  },
  brokerPort: {
    env: 'ATTACHE_BROKER_PORT',
    doc: "Port of the auth broker, the devices' only door (address: brokerHost).",
    schema: port.default(DEFAULT_PORTS.broker),
  },
  opsPort: {
    env: 'ATTACHE_OPS_PORT',
    doc: 'Port of /healthz and /metrics (address: opsHost).',
    schema: port.default(DEFAULT_PORTS.ops),
  },
  brokerHost: {
    env: 'ATTACHE_BROKER_HOST',
    doc: 'Address the auth broker listens on. Loopback by default; behind a load balancer, the interface the balancer reaches (e.g. 0.0.0.0). The embedded CouchDB, demo SOR and development provider always stay on loopback.',
    schema: bindHost,
  },
  opsHost: {
    env: 'ATTACHE_OPS_HOST',
    doc: 'Address /healthz, /metrics and the dead-letter API listen on. Loopback by default; the monitoring network in production.',
    schema: bindHost,
  },
  adminHostNames: {
    env: 'ATTACHE_ADMIN_HOST_NAMES',
    doc: 'Comma-separated host names under which the ops endpoints and the demo SOR admin API may be addressed, besides IP addresses and localhost (e.g. the name Prometheus uses). A request naming another host is refused (403): DNS rebinding.',
    schema: commaList(
      (items) =>
        items.every((item) =>
          /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(item),
        ),
      'expected host names (letters, digits, hyphens, dots), comma-separated',
    ).default([]),
  },
  logLevel: {
    env: 'ATTACHE_LOG_LEVEL',
    doc: 'pino log level.',
    schema: z.enum(LOG_LEVELS).default('info'),
  },
  instanceId: {
    env: 'ATTACHE_INSTANCE_ID',
    doc: 'Name of this instance in leases and the audit trail; unique per running process. Empty: host name plus a hash of dataDir (stable across restarts).',
    schema: z.string().trim().max(200).default(''),
  },
  auditRefusalWindowMs: {
    env: 'ATTACHE_AUDIT_REFUSAL_WINDOW_MS',
    doc: "Refusals anyone can repeat at will (no or a bad token, a scan of the admin ports, what Node's HTTP parser refuses) are recorded five per kind (client address, status, reason) per window; the window's others become one record with their count when it ends.",
    schema: positiveInt.min(1000, { error: 'expected at least 1000 ms' }).default(60_000),
  },
} as const satisfies KeyGroup;

export const PROCESS_RULES: readonly ConfigRule[] = [];
