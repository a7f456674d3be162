// electron-builder.yml as electron-builder itself reads and validates it (its own loader and its
// own configuration schema), and what the packaged app must keep: the fuses, the entitlements,
// the MSI upgrade code, the artifact names, no update feed.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Configuration } from 'app-builder-lib';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../../..');

/** The fuses the packaged app is built with; changing one is a security decision, made here. */
const FUSES = {
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  loadBrowserProcessSpecificV8Snapshot: false,
  grantFileProtocolExtraPrivileges: false,
} as const;

/** Never changes: a new one would install new versions beside the old ones on Windows. */
const MSI_UPGRADE_CODE = 'D1905070-9493-467B-B022-B76C030E84FD';

const readConfig = (): Promise<Configuration> => getConfig(REPO, null, null);
const validate = (config: Configuration): Promise<void> =>
  validateConfiguration(config, new DebugLogger(false));

describe('electron-builder.yml', () => {
  it('is valid against electron-builder’s own configuration schema', async () => {
    const config = await readConfig();
    expect(config.appId).toBe('au.gov.attache.reader');
    await expect(validate(config)).resolves.toBeUndefined();
  });

  it('the schema check catches a misspelt option (the validation is real)', async () => {
    const config = await readConfig();
    const misspelt = { ...config, msi: { ...config.msi, upgradeCod: MSI_UPGRADE_CODE } };
    await expect(validate(misspelt as Configuration)).rejects.toThrow(
      /does not match the API schema[\s\S]*configuration\.msi/,
    );
  });

  it('keeps the fuses', async () => {
    expect((await readConfig()).electronFuses).toEqual(FUSES);
  });

  it('names every installer with the version and the architecture', async () => {
    const config = await readConfig();
    expect(config.artifactName).toMatch(/\$\{version\}/);
    expect(config.artifactName).toMatch(/\$\{arch\}/);
    for (const target of ['win', 'mac', 'linux', 'msi', 'nsis', 'dmg', 'pkg'] as const) {
      expect(config[target]?.artifactName, `${target} overrides the name`).toBeUndefined();
    }
  });

  it('gives every MSI the same upgrade code, so a new version replaces the old one', async () => {
    expect((await readConfig()).msi?.upgradeCode).toBe(MSI_UPGRADE_CODE);
  });

  it('signs macOS builds for the hardened runtime with only the JIT entitlement', async () => {
    const mac = (await readConfig()).mac;
    expect(mac?.hardenedRuntime).toBe(true);
    expect(mac?.entitlements).toBe('build/entitlements.mac.plist');
    expect(mac?.entitlementsInherit).toBe('build/entitlements.mac.plist');
    const plist = readFileSync(join(REPO, 'build/entitlements.mac.plist'), 'utf8');
    const granted = [...plist.matchAll(/<key>([^<]+)<\/key>\s*<true\/>/g)].map((m) => m[1]);
    const keys = [...plist.matchAll(/<key>([^<]+)<\/key>/g)].map((m) => m[1]);
    expect(granted).toEqual(['com.apple.security.cs.allow-jit']);
    expect(keys).toEqual(granted);
  });

  it('publishes no update feed: MDM updates the fleet', async () => {
    expect((await readConfig()).publish).toBeNull();
  });
});

/** The unpacked Linux app `npm run dist -- --linux --dir` leaves, where the binary was available. */
const packagedBinary = join(REPO, 'release/linux-unpacked/attache');

describe.skipIf(!existsSync(packagedBinary))('the packaged app (release/linux-unpacked)', () => {
  it('carries the configured fuses in its Electron binary', async () => {
    const wire = await getCurrentFuseWire(packagedBinary);
    const state = (on: boolean) => (on ? FuseState.ENABLE : FuseState.DISABLE);
    expect(wire[FuseV1Options.RunAsNode]).toBe(state(FUSES.runAsNode));
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(state(FUSES.enableCookieEncryption));
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(
      state(FUSES.enableNodeOptionsEnvironmentVariable),
    );
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(
      state(FUSES.enableNodeCliInspectArguments),
    );
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(
      state(FUSES.enableEmbeddedAsarIntegrityValidation),
    );
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(state(FUSES.onlyLoadAppFromAsar));
    expect(wire[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]).toBe(
      state(FUSES.loadBrowserProcessSpecificV8Snapshot),
    );
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(
      state(FUSES.grantFileProtocolExtraPrivileges),
    );
  });
});
