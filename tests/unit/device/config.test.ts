import { describe, expect, it } from 'vitest';
import { ConfigError, readDeviceConfig } from '../../../src/main/config.js';

describe('device configuration', () => {
  it('defaults to the embedded development provider and its reader client', () => {
    expect(readDeviceConfig({}).auth).toEqual({
      authority: 'https://127.0.0.1:5443/',
      clientId: 'attache-reader',
      scopes: ['api://attache-broker/briefings.sync'],
      caFile: null,
      maxOfflineDays: 14,
    });
  });

  it('adds the trailing slash msal needs, and reads scopes and the offline period', () => {
    const { auth } = readDeviceConfig({
      ATTACHE_AUTHORITY: 'https://login.microsoftonline.com/contoso',
      ATTACHE_CLIENT_ID: '6731de76-14a6-49ae-97bc-6eba6914391e',
      ATTACHE_SCOPES: 'api://attache-broker/briefings.sync  api://other/x',
      ATTACHE_TLS_CA_FILE: '/etc/attache/ca.pem',
      ATTACHE_MAX_OFFLINE_DAYS: '30',
    });
    expect(auth).toEqual({
      authority: 'https://login.microsoftonline.com/contoso/',
      clientId: '6731de76-14a6-49ae-97bc-6eba6914391e',
      scopes: ['api://attache-broker/briefings.sync', 'api://other/x'],
      caFile: '/etc/attache/ca.pem',
      maxOfflineDays: 30,
    });
  });

  it('accepts an https broker anywhere and a plain http one only on loopback', () => {
    for (const url of [
      'https://attache.example.org/',
      'http://127.0.0.1:5080',
      'http://localhost:5080/',
      'http://[::1]:5080/',
    ]) {
      expect(readDeviceConfig({ ATTACHE_BROKER_URL: url }).brokerUrl).toBe(url);
    }
  });

  it('treats an empty variable as unset', () => {
    expect(readDeviceConfig({ ATTACHE_AUTHORITY: '', ATTACHE_TLS_CA_FILE: '' }).auth).toMatchObject(
      {
        authority: 'https://127.0.0.1:5443/',
        caFile: null,
      },
    );
  });

  it.each([
    [
      'a plain http authority',
      { ATTACHE_AUTHORITY: 'http://127.0.0.1:5443/' },
      'ATTACHE_AUTHORITY',
    ],
    ['no offline period', { ATTACHE_MAX_OFFLINE_DAYS: '0' }, 'ATTACHE_MAX_OFFLINE_DAYS'],
    [
      'an offline period that is not a number',
      { ATTACHE_MAX_OFFLINE_DAYS: 'two weeks' },
      'ATTACHE_MAX_OFFLINE_DAYS',
    ],
    ['no scopes', { ATTACHE_SCOPES: ' , ' }, 'ATTACHE_SCOPES'],
    [
      'a plain http broker on another machine (the bearer token would cross the network in clear)',
      { ATTACHE_BROKER_URL: 'http://broker.example.org:5080' },
      'must be https unless the broker runs on this machine',
    ],
    [
      'a plain http broker on a name that merely starts like loopback',
      { ATTACHE_BROKER_URL: 'http://127.0.0.1.example.org/' },
      'ATTACHE_BROKER_URL',
    ],
    [
      'a broker URL of another scheme',
      { ATTACHE_BROKER_URL: 'ftp://127.0.0.1/' },
      'ATTACHE_BROKER_URL',
    ],
  ])('refuses %s, naming the variable', (_what, env, variable) => {
    expect(() => readDeviceConfig(env)).toThrow(ConfigError);
    expect(() => readDeviceConfig(env)).toThrow(variable);
  });
});
