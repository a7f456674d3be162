// Production settings (external CouchDB, RabbitMQ, REST SOR adapter) are checked together at
// start: a missing companion key is named, and a URL carrying credentials is never echoed.
import { describe, expect, it } from 'vitest';
import { loadConfigFromEnv } from '../../../server/src/config/config-schema.js';
import { ConfigError } from '../../../server/src/config/types.js';

function problemsOf(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadConfigFromEnv(env, '/srv');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('production configuration', () => {
  it('accepts a complete production setting', () => {
    const config = loadConfigFromEnv(
      {
        ATTACHE_COUCH_URL: 'https://couch.internal:6984',
        ATTACHE_COUCH_USER: 'attache-service',
        ATTACHE_COUCH_PASSWORD_FILE: '/run/secrets/couch-password',
        ATTACHE_COUCH_JWT_KEY_FILE: '/run/secrets/couch-jwt.pem',
        ATTACHE_SERVICE_SECRET_FILE: '/run/secrets/service-secret',
        ATTACHE_QUEUE: 'rabbitmq',
        ATTACHE_RABBITMQ_URL: 'amqps://attache:s3cret@mq.internal:5671/attache',
        ATTACHE_DEMO_SOR: 'false',
        ATTACHE_SOR_ADAPTER: 'rest',
        ATTACHE_SOR_REST_URL: 'https://sor-facade.internal/sor/v1',
        ATTACHE_SOR_REST_TOKEN_FILE: '/run/secrets/sor-token',
        ATTACHE_INSTANCE_ID: 'attache-2',
      },
      '/srv',
    );
    expect(config).toMatchObject({
      queue: 'rabbitmq',
      rabbitmqQueueType: 'quorum',
      sorAdapter: 'rest',
      demoSor: false,
      couchUser: 'attache-service',
      couchUserAuth: 'jwt',
      couchJwtKeyFile: '/run/secrets/couch-jwt.pem',
    });
  });

  it('acts as users by token on Apache CouchDB unless told otherwise, and by password on the embedded server', () => {
    const couch = {
      ATTACHE_COUCH_URL: 'http://couch:5984',
      ATTACHE_COUCH_USER: 'attache-service',
      ATTACHE_COUCH_PASSWORD_FILE: '/run/secrets/couch-password',
    };
    expect(problemsOf(couch)).toEqual([
      'couchJwtKeyFile (ATTACHE_COUCH_JWT_KEY_FILE): is required when couchUserAuth is "jwt" (the default with couchUrl): see docs/operations.md, "CouchDB"; or set couchUserAuth=basic',
    ]);
    expect(
      loadConfigFromEnv({ ...couch, ATTACHE_COUCH_USER_AUTH: 'basic' }, '/srv').couchUserAuth,
    ).toBe('basic');
    expect(loadConfigFromEnv({}, '/srv').couchUserAuth).toBe('basic');
    expect(problemsOf({ ATTACHE_COUCH_USER_AUTH: 'jwt' })).toContain(
      'couchUserAuth (ATTACHE_COUCH_USER_AUTH): is "jwt", which needs Apache CouchDB (couchUrl): the embedded server checks Basic credentials only (got "jwt")',
    );
  });

  it('defaults to the embedded parts: SQLite queue, demo SOR in process, embedded CouchDB', () => {
    const config = loadConfigFromEnv({}, '/srv');
    expect(config).toMatchObject({
      queue: 'sqlite',
      sorAdapter: 'demo',
      demoSor: true,
      couchUrl: '',
      pollerEnabled: true,
      fanoutEnabled: true,
      returnsEnabled: true,
    });
  });

  it('names each missing companion key', () => {
    const problems = problemsOf({
      ATTACHE_COUCH_URL: 'http://couch:5984',
      ATTACHE_QUEUE: 'rabbitmq',
      ATTACHE_DEMO_SOR: 'false',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'rabbitmqUrl (ATTACHE_RABBITMQ_URL): is required when queue is "rabbitmq"',
        'couchUser (ATTACHE_COUCH_USER): is required when couchUrl is set',
        'couchPasswordFile (ATTACHE_COUCH_PASSWORD_FILE): is required when couchUrl is set',
        'sorAdapter (ATTACHE_SOR_ADAPTER): is "demo", which needs demoSor=true (or use sorAdapter=rest with sorRestUrl)',
      ]),
    );
  });

  it('requires the REST URL and token when the demo SOR is off', () => {
    expect(problemsOf({ ATTACHE_DEMO_SOR: 'off', ATTACHE_SOR_ADAPTER: 'rest' })).toEqual([
      'sorRestUrl (ATTACHE_SOR_REST_URL): is required when sorAdapter is "rest" and the demo SOR is off',
    ]);
    expect(
      problemsOf({
        ATTACHE_DEMO_SOR: 'off',
        ATTACHE_SOR_ADAPTER: 'rest',
        ATTACHE_SOR_REST_URL: 'https://sor/sor/v1',
      }),
    ).toEqual([
      'sorRestTokenFile (ATTACHE_SOR_REST_TOKEN_FILE): is required when sorRestUrl names an external SOR',
    ]);
  });

  it('rejects malformed URLs and never echoes a RabbitMQ URL, which carries a password', () => {
    const problems = problemsOf({
      ATTACHE_COUCH_URL: 'couch.internal:5984',
      ATTACHE_QUEUE: 'rabbitmq',
      ATTACHE_RABBITMQ_URL: 'http://attache:hunter2@mq',
      ATTACHE_RABBITMQ_QUEUE_TYPE: 'mirrored',
    });
    const text = problems.join('\n');
    expect(text).toContain(
      'couchUrl (ATTACHE_COUCH_URL): expected an http or https URL (got "couch.internal:5984")',
    );
    expect(text).toContain(
      'rabbitmqUrl (ATTACHE_RABBITMQ_URL): expected an amqp or amqps URL (got [redacted])',
    );
    expect(text).toContain('rabbitmqQueueType (ATTACHE_RABBITMQ_QUEUE_TYPE)');
    expect(text).not.toContain('hunter2');
  });
});
