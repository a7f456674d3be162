// The platform readers at their adapter boundary. The registry's native calls cannot run on
// Linux, so native-reg is replaced by a fake registry (named as such) holding what Group Policy
// writes. Managed preferences are real property list files, XML and binary, in a folder laid
// out as macOS lays out /Library/Managed Preferences.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build, buildBinary } from 'plist';
import { afterEach, describe, expect, it } from 'vitest';
import { createPlistPolicySource } from '../../../src/main/policy/policy-source.plist.js';
import type { RegistryApi } from '../../../src/main/policy/policy-source.registry.js';
import {
  POLICY_KEY,
  createRegistryPolicySource,
} from '../../../src/main/policy/policy-source.registry.js';
import { policySourceFor } from '../../../src/main/policy/read-policy.js';
import { resolveSettings } from '../../../src/main/policy/resolve.js';
import { tempDir } from './fixtures.js';

type FakeKey = { values: Record<string, unknown>; keys: Record<string, FakeKey> };

/** A fake of native-reg over an in-memory tree: hive -> path -> values and subkeys. */
function fakeRegistry(hives: { HKLM?: FakeKey; HKCU?: FakeKey }) {
  const opened: string[] = [];
  const closed: FakeKey[] = [];
  const api: RegistryApi = {
    HKLM: { hive: 'HKLM' },
    HKCU: { hive: 'HKCU' },
    Access: { READ: 0x20019, WOW64_64KEY: 0x100 },
    openKey: (parent: unknown, subKey: string) => {
      const from = parent as { hive?: 'HKLM' | 'HKCU' } & Partial<FakeKey>;
      if (from.hive) {
        opened.push(`${from.hive}\\${subKey}`);
        return subKey === POLICY_KEY ? (hives[from.hive] ?? null) : null;
      }
      return from.keys?.[subKey] ?? null;
    },
    enumValueNames: (key: unknown) => Object.keys((key as FakeKey).values),
    enumKeyNames: (key: unknown) => Object.keys((key as FakeKey).keys),
    queryValue: (key: unknown, name: string | null) => (key as FakeKey).values[name ?? ''],
    closeKey: (key: unknown) => {
      closed.push(key as FakeKey);
    },
  };
  return { api, opened, closed };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('Windows registry policy (native-reg faked)', () => {
  it('reads HKLM before HKCU: REG_SZ, REG_DWORD and list subkeys in numeric order', async () => {
    const links: FakeKey = {
      values: { '10': 'https://ten.example.gov.au/', '2': 'https://two.example.gov.au/', '': 'x' },
      keys: {},
    };
    const { api, opened, closed } = fakeRegistry({
      HKLM: {
        values: { ServerUrl: 'https://attache.example.gov.au', MaxOfflineDays: 7, Theme: 'dark' },
        keys: { AllowedLinkTargets: links },
      },
      HKCU: { values: { Theme: 'light', TextSize: 'large' }, keys: {} },
    });
    const reading = await createRegistryPolicySource({ api }).read();
    expect(opened).toEqual([`HKLM\\${POLICY_KEY}`, `HKCU\\${POLICY_KEY}`]);
    expect(reading.layers).toEqual([
      {
        from: 'HKLM\\SOFTWARE\\Policies\\Attache',
        values: {
          ServerUrl: 'https://attache.example.gov.au',
          MaxOfflineDays: 7,
          Theme: 'dark',
          AllowedLinkTargets: ['https://two.example.gov.au/', 'https://ten.example.gov.au/'],
        },
      },
      { from: 'HKCU\\SOFTWARE\\Policies\\Attache', values: { Theme: 'light', TextSize: 'large' } },
    ]);
    expect(closed).toHaveLength(3);
    const resolved = resolveSettings({
      policy: reading,
      environment: {},
      person: { from: 'me', values: {} },
      mode: 'development',
    });
    // The machine's policy wins over the user's.
    expect(resolved.values.theme).toBe('dark');
    expect(resolved.origins.theme.from).toBe('HKLM\\SOFTWARE\\Policies\\Attache');
    expect(resolved.values.textSize).toBe('large');
    expect(resolved.values.maxOfflineDays).toBe(7);
  });

  it('reports a value of a type it does not read instead of guessing', async () => {
    const { api } = fakeRegistry({
      HKLM: { values: { Theme: Buffer.from([1, 2]) }, keys: {} },
    });
    const reading = await createRegistryPolicySource({ api }).read();
    expect(reading.layers).toEqual([{ from: `HKLM\\${POLICY_KEY}`, values: {} }]);
    expect(reading.problems).toEqual([
      {
        name: 'Theme',
        from: `HKLM\\${POLICY_KEY}`,
        reason: 'has a registry type Attaché does not read (use REG_SZ or REG_DWORD)',
      },
    ]);
  });

  it('is no policy when neither key exists', async () => {
    const { api } = fakeRegistry({});
    expect(await createRegistryPolicySource({ api }).read()).toEqual({ layers: [], problems: [] });
  });
});

describe('macOS managed preferences (real property lists)', () => {
  async function managedPreferences(
    machine: Uint8Array | string | null,
    user: Uint8Array | string | null,
  ) {
    const root = await tempDir('managed-prefs');
    cleanups.push(root.remove);
    await mkdir(join(root.path, 'alex'));
    if (machine !== null) await writeFile(join(root.path, 'au.gov.attache.reader.plist'), machine);
    if (user !== null) {
      await writeFile(join(root.path, 'alex', 'au.gov.attache.reader.plist'), user);
    }
    return createPlistPolicySource({ root: root.path, userName: 'alex' });
  }

  it('reads a binary machine plist and an XML user plist, the machine first', async () => {
    const source = await managedPreferences(
      buildBinary({
        Theme: 'dark',
        MaxOfflineDays: 5,
        AllowedLinkTargets: ['https://a.gov.au/'],
      }),
      build({ Theme: 'light', DateFormat: 'day-month-year', PayloadUUID: 'x' }),
    );
    const reading = await source.read();
    expect(reading.problems).toEqual([]);
    expect(reading.layers.map((layer) => layer.values)).toEqual([
      { Theme: 'dark', MaxOfflineDays: 5, AllowedLinkTargets: ['https://a.gov.au/'] },
      { Theme: 'light', DateFormat: 'day-month-year' },
    ]);
    expect(reading.layers[0]?.from).toMatch(/au\.gov\.attache\.reader\.plist$/);
    expect(reading.layers[1]?.from).toMatch(/alex\/au\.gov\.attache\.reader\.plist$/);
  });

  it('reports a file that is not a property list', async () => {
    const source = await managedPreferences('this is not a plist', null);
    const reading = await source.read();
    expect(reading.layers).toEqual([]);
    expect(reading.problems[0]?.reason).toContain('is not a property list');
  });

  it('says a property list cannot be read without quoting any of it (it may hold a secret)', async () => {
    const broken = build({ ClientId: 's3cr3t-client-value' }).replace('</dict>', '<dict></plist>');
    for (const text of [broken, 's3cr3t-client-value', '<?xml version="1.0"?><plist>s3cr3t']) {
      const reading = await (await managedPreferences(text, null)).read();
      expect(reading.problems).toHaveLength(1);
      expect(reading.problems[0]?.reason).toMatch(
        /^is not a property list Attaché can read: a mistake (at line \d+, column \d+|somewhere in it)$/,
      );
      expect(JSON.stringify(reading)).not.toContain('s3cr3t');
    }
  });
});

describe('choosing the source', () => {
  it('uses ATTACHE_POLICY_FILE only in development', () => {
    const environment = { ATTACHE_POLICY_FILE: '/tmp/policy.json' };
    expect(
      policySourceFor({ platform: 'win32', mode: 'development', environment }).description,
    ).toContain('/tmp/policy.json');
    expect(
      policySourceFor({ platform: 'win32', mode: 'production', environment }).description,
    ).toBe('the registry');
    expect(
      policySourceFor({ platform: 'darwin', mode: 'production', environment: {} }).description,
    ).toBe('managed preferences');
    expect(
      policySourceFor({ platform: 'linux', mode: 'production', environment: {} }).description,
    ).toBe('/etc/attache/policy.json');
  });
});
