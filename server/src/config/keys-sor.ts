// Configuration of the System of Record: the embedded demo SOR and its sample briefings, or any
// SOR behind the REST contract (server/openapi/sor-adapter.yaml).
// One documented key per entry; config-schema.ts assembles all groups.
import { z } from 'zod';
import type { ConfigRule, KeyGroup } from './key-spec.js';
import { positiveInt, bool, optionalUrl } from './key-spec.js';

export const SOR_KEYS = {
  demoSor: {
    env: 'ATTACHE_DEMO_SOR',
    doc: 'Run the embedded demo SOR (admin API and SOR contract API on sorPort).',
    schema: bool.default(true),
  },
  seedDemoData: {
    env: 'ATTACHE_SEED_DEMO',
    doc: 'Seed the demo SOR with sample briefings for the sample user when its store is new.',
    schema: bool.default(true),
  },
  sorAdapter: {
    env: 'ATTACHE_SOR_ADAPTER',
    doc: '"demo": the embedded demo SOR, in process. "rest": any SOR behind the REST contract (server/openapi/sor-adapter.yaml).',
    schema: z.enum(['demo', 'rest']).default('demo'),
  },
  sorRestUrl: {
    env: 'ATTACHE_SOR_REST_URL',
    doc: "With sorAdapter=rest: base URL of the SOR contract API (…/sor/v1). Empty: the embedded demo SOR's.",
    schema: optionalUrl(['http:', 'https:']).default(''),
  },
  sorRestTokenFile: {
    env: 'ATTACHE_SOR_REST_TOKEN_FILE',
    doc: "With sorAdapter=rest: file holding the bearer token for the SOR contract API. Empty: the demo SOR's admin token.",
    schema: z.string().trim().default(''),
  },
  sorTimeoutMs: {
    env: 'ATTACHE_SOR_TIMEOUT_MS',
    doc: 'Timeout of one request to the SOR contract API.',
    schema: positiveInt.default(30_000),
  },
} as const satisfies KeyGroup;

/** What these keys require of each other (or of other groups' keys). */
export const SOR_RULES: readonly ConfigRule[] = [
  {
    key: 'sorAdapter',
    message: 'is "demo", which needs demoSor=true (or use sorAdapter=rest with sorRestUrl)',
    holds: (c) => c.sorAdapter !== 'demo' || c.demoSor,
  },
  {
    key: 'sorRestUrl',
    message: 'is required when sorAdapter is "rest" and the demo SOR is off',
    holds: (c) => c.sorAdapter !== 'rest' || c.sorRestUrl !== '' || c.demoSor,
  },
  {
    key: 'sorRestTokenFile',
    message: 'is required when sorRestUrl names an external SOR',
    holds: (c) => c.sorRestUrl === '' || c.sorRestTokenFile !== '' || c.demoSor,
  },
];
