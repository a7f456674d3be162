// Configuration reference: each key with its doc, default and environment variable. Validated at
// boot; an invalid value stops the server with a message naming the key, never a guess.
// The keys are listed by capability in keys-*.ts (one documented key per entry, with what the
// keys of that group require of each other); this file assembles them, in the order the
// reference in server/README.md shows them, and parses, loads and describes the whole.
import path from 'node:path';
import { z } from 'zod';
import type { ConfigRule, KeySpec } from './key-spec.js';
import { BROKER_KEYS, BROKER_RULES } from './keys-broker.js';
import { COUCH_KEYS, COUCH_RULES } from './keys-couch.js';
import { IDENTITY_KEYS, IDENTITY_RULES } from './keys-identity.js';
import { PIPELINE_KEYS, PIPELINE_RULES } from './keys-pipeline.js';
import { PROCESS_KEYS, PROCESS_RULES } from './keys-process.js';
import { QUEUE_KEYS, QUEUE_RULES } from './keys-queue.js';
import { SOR_KEYS, SOR_RULES } from './keys-sor.js';
import { ConfigError } from './types.js';
import type { ServerConfig } from './types.js';

export const CONFIG_KEYS = {
  ...PROCESS_KEYS,
  ...IDENTITY_KEYS,
  ...BROKER_KEYS,
  ...COUCH_KEYS,
  ...SOR_KEYS,
  ...QUEUE_KEYS,
  ...PIPELINE_KEYS,
} as const satisfies Record<keyof ServerConfig, KeySpec>;

const RULES: readonly ConfigRule[] = [
  ...PROCESS_RULES,
  ...IDENTITY_RULES,
  ...BROKER_RULES,
  ...COUCH_RULES,
  ...SOR_RULES,
  ...QUEUE_RULES,
  ...PIPELINE_RULES,
];

type ConfigKey = keyof typeof CONFIG_KEYS;

/** Keys kept so old settings still parse, with what the server logs when one is set. */
export const DEPRECATED_KEYS: Partial<Record<ConfigKey, string>> = {
  couchPort:
    'couchPort (ATTACHE_COUCH_PORT) no longer has any effect: the embedded CouchDB-protocol server listens on a Unix socket in <dataDir>/couch/run and opens no TCP port. Remove the setting.',
};

const configSchema = z
  .object(
    Object.fromEntries(Object.entries(CONFIG_KEYS).map(([key, spec]) => [key, spec.schema])) as {
      [K in ConfigKey]: (typeof CONFIG_KEYS)[K]['schema'];
    },
  )
  .strict()
  .superRefine((config, ctx) => {
    for (const rule of RULES) {
      if (!rule.holds(config))
        ctx.addIssue({ code: 'custom', message: rule.message, path: [rule.key] });
    }
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
      const spec = (CONFIG_KEYS as Record<string, KeySpec | undefined>)[key];
      const got =
        key in input ? ` (got ${spec?.secret ? '[redacted]' : JSON.stringify(input[key])})` : '';
      return `${describeKey(key)}: ${issue.message}${got}`;
    });
    throw new ConfigError(
      `Invalid server configuration:\n  - ${problems.join('\n  - ')}`,
      problems,
    );
  }
  const config = result.data as Omit<ServerConfig, 'couchUserAuth'> & {
    couchUserAuth?: ServerConfig['couchUserAuth'];
  };
  return {
    ...config,
    couchUserAuth: config.couchUserAuth ?? (config.couchUrl === '' ? 'basic' : 'jwt'),
    dataDir: path.resolve(cwd, config.dataDir),
  };
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
      const def = !parsed.success
        ? '(required)'
        : parsed.data === undefined
          ? '(unset)'
          : JSON.stringify(parsed.data);
      return `| \`${spec.env}\` | \`${key}\` | ${def} | ${spec.doc} |`;
    })
    .join('\n');
}
