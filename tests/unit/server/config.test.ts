import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_KEYS,
  describeConfig,
  loadConfigFromEnv,
  parseConfig,
} from '../../../server/src/config/config-schema.js';
import { ConfigError } from '../../../server/src/config/types.js';
import { DEFAULT_PORTS } from '../../../src/shared/protocol.js';

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('server configuration', () => {
  it('defaults every key: shared default ports, .data/server resolved against the working directory', () => {
    const config = loadConfigFromEnv({}, '/srv/attache');
    expect(config.dataDir).toBe(path.resolve('/srv/attache', '.data/server'));
    expect(config.sorPort).toBe(DEFAULT_PORTS.sor);
    expect(config.brokerPort).toBe(DEFAULT_PORTS.broker);
    expect(config.opsPort).toBe(DEFAULT_PORTS.ops);
    // Deprecated: the embedded CouchDB-protocol server has no port any more.
    expect(config.couchPort).toBeUndefined();
    expect(config.devIdp).toBe(true);
    expect(config.idpPort).toBe(DEFAULT_PORTS.idp);
  });

  it('reads each key from its documented environment variable', () => {
    const config = loadConfigFromEnv(
      {
        ATTACHE_DATA_DIR: '/var/lib/attache',
        ATTACHE_SOR_PORT: '0',
        ATTACHE_BROKER_PORT: '6080',
        ATTACHE_OPS_PORT: '6090',
        ATTACHE_SEED_DEMO: 'false',
        ATTACHE_POLL_INTERVAL_MS: '250',
      },
      '/anywhere',
    );
    expect(config).toMatchObject({
      dataDir: '/var/lib/attache',
      sorPort: 0,
      brokerPort: 6080,
      opsPort: 6090,
      seedDemoData: false,
      pollIntervalMs: 250,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfigFromEnv({ ATTACHE_SOR_PORT: '' }).sorPort).toBe(DEFAULT_PORTS.sor);
  });

  it('rejects invalid values with one problem per key, naming the key, its variable and the value', () => {
    const problems = problemsOf(() =>
      loadConfigFromEnv({
        ATTACHE_SOR_PORT: 'abc',
        ATTACHE_BROKER_PORT: '70000',
        ATTACHE_SEED_DEMO: 'maybe',
        ATTACHE_LOG_LEVEL: 'loud',
      }),
    );
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(
      /^sorPort \(ATTACHE_SOR_PORT\): expected a port number \(got "abc"\)$/,
    );
    expect(problems.join('\n')).toContain(
      'brokerPort (ATTACHE_BROKER_PORT): expected a port from 0 to 65535 (got "70000")',
    );
    expect(problems.join('\n')).toContain(
      'seedDemoData (ATTACHE_SEED_DEMO): expected true or false',
    );
    expect(problems.join('\n')).toContain('logLevel (ATTACHE_LOG_LEVEL)');
  });

  it('puts every problem in the error message, so the boot log says what to fix', () => {
    expect(() => loadConfigFromEnv({ ATTACHE_POLL_INTERVAL_MS: '-5' })).toThrow(
      /Invalid server configuration:\n {2}- pollIntervalMs \(ATTACHE_POLL_INTERVAL_MS\): expected a number above 0/,
    );
  });

  it('binds the broker and ops listeners to loopback unless an IP address is configured', () => {
    expect(loadConfigFromEnv({}).brokerHost).toBe('127.0.0.1');
    expect(
      loadConfigFromEnv({ ATTACHE_BROKER_HOST: '0.0.0.0', ATTACHE_OPS_HOST: '::' }),
    ).toMatchObject({
      brokerHost: '0.0.0.0',
      opsHost: '::',
    });
    expect(problemsOf(() => loadConfigFromEnv({ ATTACHE_BROKER_HOST: 'broker.example' }))).toEqual([
      'brokerHost (ATTACHE_BROKER_HOST): expected an IPv4 or IPv6 address, e.g. 127.0.0.1 or 0.0.0.0 (got "broker.example")',
    ]);
  });

  it('refuses `none` and HMAC token algorithms, alone or in a list, naming the variable', () => {
    const allowed = 'RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA';
    for (const value of ['none', 'NONE', 'HS256', 'HS512', 'ES256,none', 'RS256, HS256']) {
      expect(problemsOf(() => loadConfigFromEnv({ ATTACHE_TOKEN_ALGORITHMS: value }))).toEqual([
        `tokenAlgorithms (ATTACHE_TOKEN_ALGORITHMS): expected some of ${allowed} (got "${value}")`,
      ]);
    }
    expect(loadConfigFromEnv({ ATTACHE_TOKEN_ALGORITHMS: 'RS256, ES256' }).tokenAlgorithms).toEqual(
      ['RS256', 'ES256'],
    );
  });

  it('rejects a retry base delay above the cap', () => {
    const problems = problemsOf(() =>
      parseConfig({ queueRetryBaseMs: 5000, queueRetryMaxMs: 1000 }),
    );
    expect(problems).toEqual([
      'queueRetryBaseMs (ATTACHE_QUEUE_RETRY_BASE_MS): must not exceed queueRetryMaxMs (got 5000)',
    ]);
  });

  it('rejects unknown keys in an object config (typos must not be ignored)', () => {
    const problems = problemsOf(() => parseConfig({ sorport: 1 }));
    expect(problems[0]).toContain('unknown configuration keys: sorport');
  });

  it('documents every key with an ATTACHE_ variable and a doc line', () => {
    for (const spec of Object.values(CONFIG_KEYS)) {
      expect(spec.env).toMatch(/^ATTACHE_[A-Z_]+$/);
      expect(spec.doc.length).toBeGreaterThan(10);
    }
  });
});

describe('configuration reference in server/README.md', () => {
  it('lists every key exactly as the schema documents it', () => {
    const readme = fs.readFileSync(new URL('../../../server/README.md', import.meta.url), 'utf8');
    expect(readme).toContain(describeConfig());
  });
});
