// The device's real sign-in for integration tests: the composition root's msal-node and keytar
// adapters (createDeviceAuth), and real Chromium playing the system browser on the development
// provider's login page. Run inside a D-Bus session with gnome-keyring (scripts/test.sh).
import keytar from 'keytar';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import { devAccountsWithPasswords } from '../../../server/src/demo/idp/dev-users.js';
import type { RunningHost } from '../../../src/host/host.js';
import { readDeviceConfig } from '../../../src/main/config.js';
import { createDeviceAuth } from '../../../src/main/device-auth.js';
import type { DeviceAuthOptions } from '../../../src/main/composition-root.js';
import type { Logger } from '../../../src/main/logging/logger.js';
import { keychainServiceFor } from '../../../src/main/secrets/keychain-service.js';
import { eventuallyValue } from '../../support/eventually.js';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['ATTACHE_CHROMIUM'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}

/** What the host's entry point builds from ATTACHE_AUTHORITY and ATTACHE_TLS_CA_FILE. */
export function realDeviceAuth(options: {
  readonly dataDir: string;
  readonly issuer: string;
  readonly caFile: string;
  readonly logger: Logger;
}): Promise<DeviceAuthOptions> {
  const config = readDeviceConfig({
    ATTACHE_AUTHORITY: options.issuer,
    ATTACHE_TLS_CA_FILE: options.caFile,
  });
  return createDeviceAuth(config, options.dataDir, options.logger);
}

/** Signs the host in as `user`, the way the reader's Sign in button and a person would. */
export async function signInThroughBrowser(
  host: RunningHost,
  browser: Browser,
  user: string,
): Promise<void> {
  const password = devAccountsWithPasswords().find((a) => a.id === user)?.password ?? '';
  const pageUrl = new Promise<string>((resolve) => {
    const off = host.services.events.subscribe((name, payload) => {
      if (name !== 'session:open-browser') return;
      off();
      resolve((payload as { url: string }).url);
    });
  });
  const started = await host.services.dispatch('session:sign-in', {});
  if (!started.ok) throw new Error(`sign-in did not start: ${started.error.message}`);
  // The system browser would need the development CA installed; this one accepts it.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    await page.goto(await pageUrl);
    await page.getByLabel('Username').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const deadline = Date.now() + 30_000;
    const done = (): boolean => {
      const session = host.services.session();
      return (
        session.state === 'signed-in' && !session.signInNeeded && session.signIn.phase === 'idle'
      );
    };
    while (!done()) {
      if (Date.now() > deadline) throw new Error('the host did not finish signing in');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await context.close();
  }
}

/** Removes whatever a test left in the keychain for this data folder. */
export async function clearDeviceKeychain(dataDir: string): Promise<void> {
  const service = keychainServiceFor(dataDir);
  for (const { account } of await keytar.findCredentials(service)) {
    await keytar.deletePassword(service, account);
  }
}

/** Waits until `probe` gives a value (tests/support/eventually.ts). */
export function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  return eventuallyValue(probe, { what, timeout: timeoutMs, interval: 150 });
}
