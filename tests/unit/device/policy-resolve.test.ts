// Which value each setting takes: managed policy over the person's settings over the defaults,
// environment variables only in development, and invalid values reported (setting, source,
// reason), never guessed. Policy comes from real files through the Linux reader.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLinuxPolicySource } from '../../../src/main/policy/policy-source.linux.js';
import type { ResolveInput } from '../../../src/main/policy/resolve.js';
import { resolveSettings } from '../../../src/main/policy/resolve.js';
import { EMPTY_POLICY } from '../../../src/main/policy/types.js';
import { tempDir } from './fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A folder holding policy.json (and policy.d/ files), read by the real Linux reader. */
async function policyFiles(main: unknown, extra: Record<string, unknown> = {}) {
  const dir = await tempDir('policy');
  cleanups.push(dir.remove);
  const file = join(dir.path, 'policy.json');
  if (main !== undefined) {
    await writeFile(file, typeof main === 'string' ? main : JSON.stringify(main));
  }
  if (Object.keys(extra).length > 0) {
    await mkdir(join(dir.path, 'policy.d'));
    for (const [name, body] of Object.entries(extra)) {
      await writeFile(join(dir.path, 'policy.d', name), JSON.stringify(body));
    }
  }
  return { file, policy: await createLinuxPolicySource({ file }).read() };
}

const CONNECTION = {
  ServerUrl: 'https://attache.example.gov.au',
  IdentityAuthority: 'https://login.microsoftonline.com/tenant-id',
  ClientId: 'reader-client',
  Scopes: 'api://attache-broker/briefings.sync',
};

function input(overrides: Partial<ResolveInput>): ResolveInput {
  return {
    policy: EMPTY_POLICY,
    environment: {},
    person: { from: '/data/settings.json', values: {} },
    mode: 'production',
    ...overrides,
  };
}

describe('managed configuration precedence', () => {
  it('takes the organisation policy over the person, and the person over the default', async () => {
    const { file, policy } = await policyFiles({ ...CONNECTION, Theme: 'dark' });
    const resolved = resolveSettings(
      input({ policy, person: { from: 'me', values: { Theme: 'light', TextSize: 'large' } } }),
    );
    expect(resolved.ready).toBe(true);
    expect(resolved.values.theme).toBe('dark');
    expect(resolved.origins.theme).toEqual({ source: 'policy', from: file, locked: true });
    expect(resolved.values.textSize).toBe('large');
    expect(resolved.origins.textSize).toEqual({ source: 'person', from: 'me', locked: false });
    expect(resolved.values.dateFormat).toBe('system');
    expect(resolved.origins.dateFormat.source).toBe('default');
    expect(resolved.values.identityAuthority).toBe('https://login.microsoftonline.com/tenant-id/');
    expect(resolved.values.scopes).toEqual(['api://attache-broker/briefings.sync']);
  });

  it('lets files in policy.d override policy.json and each other, in name order', async () => {
    const { policy } = await policyFiles(
      { ...CONNECTION, Theme: 'dark', TextSize: 'small' },
      {
        '20-late.json': { Theme: 'light' },
        '10-early.json': { Theme: 'system', DateFormat: 'day-month-year' },
      },
    );
    const resolved = resolveSettings(input({ policy }));
    expect(resolved.values.theme).toBe('light');
    expect(resolved.origins.theme.from).toMatch(/policy\.d\/20-late\.json$/);
    expect(resolved.values.dateFormat).toBe('day-month-year');
    expect(resolved.values.textSize).toBe('small');
  });

  it('reads environment variables only in development, and lists which it used', () => {
    const environment = {
      ATTACHE_BROKER_URL: 'https://dev.example.org',
      ATTACHE_MAX_OFFLINE_DAYS: '3',
    };
    const development = resolveSettings(input({ environment, mode: 'development' }));
    expect(development.values.serverUrl).toBe('https://dev.example.org');
    expect(development.values.maxOfflineDays).toBe(3);
    expect(development.origins.serverUrl.source).toBe('development');
    expect(development.fromEnvironment).toEqual(['ATTACHE_BROKER_URL', 'ATTACHE_MAX_OFFLINE_DAYS']);
    const production = resolveSettings(input({ environment }));
    expect(production.ready).toBe(false);
    expect(production.values.maxOfflineDays).toBe(14);
    expect(production.fromEnvironment).toEqual([]);
  });

  it('does not let a person set what only the organisation may', () => {
    const resolved = resolveSettings(
      input({
        person: { from: 'me', values: { ...CONNECTION, ServerUrl: 'https://evil.example' } },
      }),
    );
    expect(resolved.ready).toBe(false);
    expect(resolved.problems).toContainEqual({
      name: 'ServerUrl',
      from: 'me',
      reason: 'is not a setting a person may change',
    });
  });
});

describe('invalid values are reported, never guessed', () => {
  it('falls back to the default and says which setting, which source and why', async () => {
    const { file, policy } = await policyFiles({
      ...CONNECTION,
      TextSize: 'enormous',
      MaxOfflineDays: 'two weeks',
      AllowedLinkTargets: ['http://intranet.example.gov.au/'],
      Colour: 'blue',
    });
    const resolved = resolveSettings(input({ policy }));
    expect(resolved.ready).toBe(true);
    expect(resolved.values.textSize).toBe('standard');
    // The organisation meant to set it: the default holds, and the person cannot override it.
    expect(resolved.origins.textSize).toEqual({ source: 'default', from: 'default', locked: true });
    expect(resolved.values.maxOfflineDays).toBe(14);
    expect(resolved.values.allowedLinkTargets).toEqual([]);
    const named = (name: string) => resolved.problems.find((p) => p.name === name);
    expect(named('TextSize')).toEqual({
      name: 'TextSize',
      from: file,
      reason: 'must be one of: small, standard, large, larger',
    });
    expect(named('MaxOfflineDays')?.reason).toBe('must be a number');
    expect(named('AllowedLinkTargets')?.reason).toContain('https://');
    expect(named('Colour')).toEqual({
      name: 'Colour',
      from: file,
      reason: 'is not an Attaché setting',
    });
  });

  it('is not set up when a required setting is missing, naming it', async () => {
    const { policy } = await policyFiles({ ServerUrl: CONNECTION.ServerUrl });
    const resolved = resolveSettings(input({ policy }));
    expect(resolved.ready).toBe(false);
    if (resolved.ready) return;
    expect(resolved.notSetUp).toEqual({
      name: 'IdentityAuthority',
      from: 'managed policy',
      reason: 'is not set',
    });
  });

  it('is not set up when a required setting is invalid, even where a development default exists', async () => {
    const { file, policy } = await policyFiles({ ServerUrl: 'http://broker.example.org' });
    const resolved = resolveSettings(input({ policy, mode: 'development' }));
    expect(resolved.ready).toBe(false);
    if (resolved.ready) return;
    expect(resolved.notSetUp).toEqual({
      name: 'ServerUrl',
      from: file,
      reason: 'must be https unless the broker runs on this machine',
    });
  });

  it('uses the development defaults for missing required settings only in development', () => {
    const resolved = resolveSettings(input({ mode: 'development' }));
    expect(resolved.ready).toBe(true);
    expect(resolved.values.serverUrl).toBe('http://127.0.0.1:5080');
    expect(resolved.origins.serverUrl.from).toBe('development default');
  });

  it('reports a policy file that is not JSON, and goes on with the others', async () => {
    const { file, policy } = await policyFiles('{ "Theme": ', { '10.json': { ...CONNECTION } });
    expect(policy.problems).toEqual([
      { name: '(file)', from: file, reason: expect.stringContaining('is not JSON') as unknown },
    ]);
    expect(resolveSettings(input({ policy })).ready).toBe(true);
  });

  it('says where a policy file is not JSON without quoting any of it (it may hold a secret)', async () => {
    for (const text of [
      '{ "ClientId": s3cr3t-client-value }',
      `{\n  "Theme": "dark",\n  "ClientId": "${'x'.repeat(40)}" "s3cr3t-client-value"\n}`,
      `{ "ServerUrl": "https://s3cr3t-client-value.example", ${' '.repeat(200)}`,
    ]) {
      const { policy } = await policyFiles(text);
      const [problem, ...others] = policy.problems;
      expect(others).toEqual([]);
      expect(problem?.reason).toMatch(
        /^is not JSON: a mistake (at line \d+, column \d+|somewhere in it)$/,
      );
      expect(JSON.stringify(policy)).not.toContain('s3cr3t');
    }
    const { policy } = await policyFiles('{\n  "Theme": "dark",\n  "ClientId": 42 43\n}');
    expect(policy.problems[0]?.reason).toBe('is not JSON: a mistake at line 3, column 18');
  });

  it('treats an absent policy file as no policy', async () => {
    const { policy } = await policyFiles(undefined);
    expect(policy).toEqual({ layers: [], problems: [] });
  });
});
