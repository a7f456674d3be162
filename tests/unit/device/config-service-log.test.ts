// What the settings service (src/main/policy/config-service.ts) writes to the log for IT: each
// value it could not use, once, with the setting, where it came from and why, but never the
// value itself (a mistyped policy can hold an internal host name or a secret pasted into the
// wrong key); and, in development only, which environment variables set something, by name and
// never by value. Real policy and settings files, a logger that keeps its records in memory.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigServiceOptions } from '../../../src/main/policy/config-service.js';
import { createConfigService } from '../../../src/main/policy/config-service.js';
import { createLinuxPolicySource } from '../../../src/main/policy/policy-source.linux.js';
import { createUserSettingsFile } from '../../../src/main/policy/user-settings.js';
import type { LogRecord } from '../../../src/main/logging/logger.js';
import { memoryLogger, tempDir } from './fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const CONNECTION = {
  ServerUrl: 'https://attache.example.gov.au',
  IdentityAuthority: 'https://login.microsoftonline.com/tenant-id',
  ClientId: 'reader-client',
  Scopes: 'api://attache-broker/briefings.sync',
};

/** A device folder with a policy file and the person's settings file, both real. */
async function device(policy: unknown, person: unknown = {}) {
  const dir = await tempDir('config-log');
  cleanups.push(dir.remove);
  const policyFile = join(dir.path, 'policy', 'policy.json');
  await writeFile(join(dir.path, 'settings.json'), JSON.stringify(person));
  await mkdir(join(dir.path, 'policy'));
  await writeFile(policyFile, JSON.stringify(policy));
  const { logger, records } = memoryLogger();
  const start = (overrides: Partial<ConfigServiceOptions> = {}) =>
    createConfigService({
      policy: createLinuxPolicySource({ file: policyFile }),
      person: createUserSettingsFile(dir.path),
      environment: {},
      mode: 'production',
      device: { id: 'device-1', appVersion: '1.2.3' },
      logger,
      ...overrides,
    });
  return { policyFile, personFile: join(dir.path, 'settings.json'), records, start };
}

const ignored = (records: readonly LogRecord[]) =>
  records.filter((record) => record.message === 'a setting was ignored');

describe('the settings service’s log', () => {
  it('says which setting was ignored, from which source and why, once, without its value', async () => {
    const canary = 'canary-7f3a9c';
    const { policyFile, personFile, records, start } = await device(
      {
        ...CONNECTION,
        MaxOfflineDays: `${canary}-days`,
        LogLevel: `${canary}-verbose`,
        AllowedLinkTargets: 12,
        [`${canary}Colour`]: `${canary}-red`,
      },
      { Theme: `${canary}-theme`, ClientId: `${canary}-client` },
    );
    const config = await start();
    expect(config.current().ready).toBe(true);

    const problems = ignored(records);
    expect(problems.every((record) => record.level === 'warn')).toBe(true);
    expect(problems.every((record) => record.scope === 'test:settings')).toBe(true);
    expect(problems.map((record) => record.fields)).toEqual(
      expect.arrayContaining([
        { setting: 'MaxOfflineDays', source: policyFile, reason: 'must be a number' },
        {
          setting: 'LogLevel',
          source: policyFile,
          reason: 'must be one of: debug, info, warn, error',
        },
        {
          setting: 'AllowedLinkTargets',
          source: policyFile,
          reason: 'must be a list of text',
        },
        {
          setting: `${canary}Colour`,
          source: policyFile,
          reason: 'is not an Attaché setting',
        },
        {
          setting: 'Theme',
          source: personFile,
          reason: 'must be one of: system, light, dark',
        },
        {
          setting: 'ClientId',
          source: personFile,
          reason: 'is not a setting a person may change',
        },
      ]),
    );
    expect(problems).toHaveLength(6);
    // The names IT mistyped are the clue; no value anyone wrote is repeated.
    const logged = JSON.stringify(records.map(({ message, fields }) => ({ message, fields })));
    expect(logged.replaceAll(`${canary}Colour`, '')).not.toContain(canary);

    // Read again with nothing changed: nothing is logged twice.
    await config.refresh();
    expect(ignored(records)).toHaveLength(6);
  });

  it('names the required setting that leaves the device not set up, without its value', async () => {
    const internalHost = 'http://canary-internal-broker.corp.example.org';
    const { policyFile, records, start } = await device({ ...CONNECTION, ServerUrl: internalHost });
    const config = await start();
    expect(config.current().ready).toBe(false);
    const notSetUp = records.filter(
      (record) => record.message === 'Attaché is not set up on this device',
    );
    expect(notSetUp).toHaveLength(1);
    expect(notSetUp[0]).toMatchObject({
      level: 'error',
      fields: {
        setting: 'ServerUrl',
        source: policyFile,
        reason: 'must be https unless the broker runs on this machine',
      },
    });
    expect(ignored(records).map((record) => record.fields)).toEqual([
      {
        setting: 'ServerUrl',
        source: policyFile,
        reason: 'must be https unless the broker runs on this machine',
      },
    ]);
    expect(JSON.stringify(records)).not.toContain('canary-internal-broker');
  });

  it('in development, names the environment variables that set something, never their values', async () => {
    const { records, start } = await device({});
    const environment = {
      ATTACHE_BROKER_URL: 'http://127.0.0.1:5999/canary-broker-path',
      ATTACHE_CLIENT_ID: 'canary-client-id-81b2',
      ATTACHE_MAX_OFFLINE_DAYS: '',
      ATTACHE_UNRELATED: 'canary-unrelated',
    };
    await start({ mode: 'development', environment });
    const development = records.filter(
      (record) => record.message === 'development: settings taken from environment variables',
    );
    expect(development).toHaveLength(1);
    expect(development[0]?.level).toBe('warn');
    expect(development[0]?.scope).toBe('test:settings');
    expect(development[0]?.fields).toEqual({
      variables: ['ATTACHE_BROKER_URL', 'ATTACHE_CLIENT_ID'],
    });
    const logged = JSON.stringify(records);
    for (const value of Object.values(environment).filter(Boolean)) {
      expect(logged).not.toContain(value);
    }
    expect(logged).not.toContain('canary');
  });

  it('says nothing about environment variables in production, or when none set anything', async () => {
    const { records, start } = await device(CONNECTION);
    await start({
      mode: 'production',
      environment: { ATTACHE_BROKER_URL: 'http://127.0.0.1:5999', ATTACHE_CLIENT_ID: 'x' },
    });
    await start({ mode: 'development', environment: {} });
    expect(records.map((record) => record.message)).not.toContain(
      'development: settings taken from environment variables',
    );
    expect(records).toEqual([]);
  });
});
