// Configuration reference: each key with its doc, default and environment variable. Validated at
// boot; an invalid value stops the server with a message naming the key, never a guess.
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_PORTS } from '../../../src/shared/protocol.js';
import { LOG_LEVELS } from '../observability/logger.js';
import { ConfigError } from './types.js';
import type { ServerConfig } from './types.js';

type KeySpec = {
  readonly env: string;
  readonly doc: string;
  readonly schema: z.ZodType;
};

const port = z.coerce
  .number({ error: 'expected a port number' })
  .int({ error: 'expected a whole port number' })
  .min(0, { error: 'expected a port from 0 to 65535' })
  .max(65535, { error: 'expected a port from 0 to 65535' });
const positiveInt = z.coerce
  .number({ error: 'expected a number' })
  .int({ error: 'expected a whole number' })
  .positive({ error: 'expected a number above 0' });
const bool = z.union([z.boolean(), z.stringbool()], {
  error: 'expected true or false (also accepted: 1/0, yes/no, on/off)',
});

export const CONFIG_KEYS = {
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
    doc: "Loopback port of the auth broker, the devices' only door.",
    schema: port.default(DEFAULT_PORTS.broker),
  },
  opsPort: {
    env: 'ATTACHE_OPS_PORT',
    doc: 'Loopback port of /healthz and /metrics.',
    schema: port.default(DEFAULT_PORTS.ops),
  },
  couchPort: {
    env: 'ATTACHE_COUCH_PORT',
    doc: 'Loopback port of the embedded CouchDB-protocol server.',
    schema: port.default(DEFAULT_PORTS.couch),
  },
  logLevel: {
    env: 'ATTACHE_LOG_LEVEL',
    doc: 'pino log level.',
    schema: z.enum(LOG_LEVELS).default('info'),
  },
  seedDemoData: {
    env: 'ATTACHE_SEED_DEMO',
    doc: 'Seed the demo SOR with sample briefings for the sample user when its store is new.',
    schema: bool.default(true),
  },
  devTokens: {
    env: 'ATTACHE_DEV_TOKENS',
    doc: 'Embedded mode only: serve POST /dev/token on the broker, minting 1-hour tokens for users the demo SOR knows.',
    schema: bool.default(true),
  },
  tokenIssuer: {
    env: 'ATTACHE_TOKEN_ISSUER',
    doc: 'Required `iss` of access tokens the broker accepts.',
    schema: z.string().min(1).default('urn:attache:dev-issuer'),
  },
  tokenAudience: {
    env: 'ATTACHE_TOKEN_AUDIENCE',
    doc: 'Required `aud` of access tokens the broker accepts.',
    schema: z.string().min(1).default('urn:attache:broker'),
  },
  tokenClockToleranceSec: {
    env: 'ATTACHE_TOKEN_CLOCK_TOLERANCE_SEC',
    doc: 'Clock skew allowed when checking token `exp`/`nbf`, in seconds.',
    schema: z.coerce.number().int().min(0).max(300).default(30),
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
  queueVisibilityMs: {
    env: 'ATTACHE_QUEUE_VISIBILITY_MS',
    doc: 'Lease (visibility) timeout: a claimed event not acked within it is redelivered.',
    schema: positiveInt.default(60_000),
  },
  queueMaxAttempts: {
    env: 'ATTACHE_QUEUE_MAX_ATTEMPTS',
    doc: 'Deliveries of one event before it is dead-lettered.',
    schema: positiveInt.max(100).default(8),
  },
  queueRetryBaseMs: {
    env: 'ATTACHE_QUEUE_RETRY_BASE_MS',
    doc: 'First retry delay; doubles with each attempt.',
    schema: positiveInt.default(500),
  },
  queueRetryMaxMs: {
    env: 'ATTACHE_QUEUE_RETRY_MAX_MS',
    doc: 'Cap of the retry delay.',
    schema: positiveInt.default(60_000),
  },
} as const satisfies Record<keyof ServerConfig, KeySpec>;

type ConfigKey = keyof typeof CONFIG_KEYS;

const configSchema = z
  .object(
    Object.fromEntries(Object.entries(CONFIG_KEYS).map(([key, spec]) => [key, spec.schema])) as {
      [K in ConfigKey]: (typeof CONFIG_KEYS)[K]['schema'];
    },
  )
  .strict()
  .refine((c) => c.queueRetryBaseMs <= c.queueRetryMaxMs, {
    message: 'must not exceed queueRetryMaxMs',
    path: ['queueRetryBaseMs'],
  });

function describeKey(key: string): string {
  const spec = (CONFIG_KEYS as Record<string, KeySpec | undefined>)[key];
  return spec ? `${key} (${spec.env})` : key;
}

/**
 * Validates a configuration object; missing keys take their defaults. `cwd` anchors a relative
 * dataDir so that the result never depends on where a later call runs.
 */
export function parseConfig(input: Record<string, unknown>, cwd = process.cwd()): ServerConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path.length > 0 ? String(issue.path[0]) : '(config)';
      if (issue.code === 'unrecognized_keys') {
        return `unknown configuration keys: ${issue.keys.join(', ')}`;
      }
      const got = key in input ? ` (got ${JSON.stringify(input[key])})` : '';
      return `${describeKey(key)}: ${issue.message}${got}`;
    });
    throw new ConfigError(
      `Invalid server configuration:\n  - ${problems.join('\n  - ')}`,
      problems,
    );
  }
  const config = result.data as ServerConfig;
  return { ...config, dataDir: path.resolve(cwd, config.dataDir) };
}

/** Reads every documented key from its environment variable (unset or empty means default). */
export function loadConfigFromEnv(env: NodeJS.ProcessEnv, cwd = process.cwd()): ServerConfig {
  const input: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
    const value = env[spec.env];
    if (value !== undefined && value.trim() !== '') input[key] = value.trim();
  }
  return parseConfig(input, cwd);
}

/** The configuration reference as Markdown table rows (server/README.md embeds them; a test keeps them in step). */
export function describeConfig(): string {
  return Object.entries(CONFIG_KEYS)
    .map(([key, spec]) => {
      const parsed = spec.schema.safeParse(undefined);
      const def = parsed.success ? JSON.stringify(parsed.data) : '(required)';
      return `| \`${spec.env}\` | \`${key}\` | ${def} | ${spec.doc} |`;
    })
    .join('\n');
}
